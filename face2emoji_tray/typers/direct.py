"""Backends that type the text as key events."""
from __future__ import annotations

import shutil

from face2emoji_tray.typers import Typer, TypingError, desktop, run_tool


class XdotoolTyper(Typer):
    """X11: exact code points, emoji outside the BMP included (5/5 runs measured)."""

    name = "xdotool"

    @classmethod
    def supported(cls) -> bool:
        return desktop() == "x11" and shutil.which("xdotool") is not None

    def type(self, text: str) -> None:
        run_tool(["xdotool", "type", "--clearmodifiers", "--delay", "30", "--", text], self.name)


class WtypeTyper(Typer):
    """Wayland compositors with the virtual-keyboard protocol (sway, Hyprland; not GNOME)."""

    name = "wtype"

    @classmethod
    def supported(cls) -> bool:
        return desktop() == "wayland" and shutil.which("wtype") is not None

    def type(self, text: str) -> None:
        run_tool(["wtype", "--", text], self.name)


class YdotoolTyper(Typer):
    """Any Wayland desktop through uinput; needs ydotoold running with access to /dev/uinput."""

    name = "ydotool"

    @classmethod
    def supported(cls) -> bool:
        return desktop() == "wayland" and shutil.which("ydotool") is not None

    def type(self, text: str) -> None:
        run_tool(["ydotool", "type", "--", text], self.name)


class PynputTyper(Typer):
    """Windows (SendInput, KEYEVENTF_UNICODE) and macOS (CGEventKeyboardSetUnicodeString):
    both carry any code point. Not offered on X11, where it garbles non-BMP emoji."""

    name = "pynput"

    @classmethod
    def supported(cls) -> bool:
        return desktop() in ("windows", "macos")

    def type(self, text: str) -> None:
        from pynput.keyboard import Controller

        try:
            Controller().type(text)
        except Exception as exc:  # pynput raises platform-specific errors
            raise TypingError(f"{self.name}: {exc}") from None
