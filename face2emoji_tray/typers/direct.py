"""Backends that type the text as key events."""
from __future__ import annotations

import shutil

from face2emoji_tray.typers import Typer, TypingError, desktop, run_tool


class ToolTyper(Typer):
    """A command-line tool on one desktop that types its last argument as key events."""

    where = ""  # the desktop() it works on
    command: tuple[str, ...] = ()  # the tool and its options, before "--" and the text

    @classmethod
    def supported(cls) -> bool:
        return desktop() == cls.where and shutil.which(cls.command[0]) is not None

    def type(self, text: str) -> None:
        run_tool([*self.command, "--", text], self.name)


class XdotoolTyper(ToolTyper):
    """X11: exact code points, emoji outside the BMP included (5/5 runs measured). xdotool
    remaps a spare keycode per character; a 12 ms delay lost 2 of 10 emoji under load, 30 ms none."""

    name, where = "xdotool", "x11"
    command = ("xdotool", "type", "--clearmodifiers", "--delay", "30")


class WtypeTyper(ToolTyper):
    """Wayland compositors with the virtual-keyboard protocol (sway, Hyprland; not GNOME)."""

    name, where, command = "wtype", "wayland", ("wtype",)


class YdotoolTyper(ToolTyper):
    """Any Wayland desktop through uinput; needs ydotoold running with access to /dev/uinput."""

    name, where, command = "ydotool", "wayland", ("ydotool", "type")


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
