"""Backends that type the text as key events."""
from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache

from face2emoji_tray.typers import Refused, Typer, TypingError, desktop, run_tool


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


WTYPE_SETTLE = ("-s", "30")  # ms between wtype's new keyboard (and its keymap) and the keys


class WtypeTyper(ToolTyper):
    """Wayland compositors with the virtual-keyboard protocol (sway, Hyprland; not GNOME or
    KDE). wtype sends the keys right after the keymap of its new virtual keyboard, and the
    focused client may not have read that keymap yet: in foot on sway, 13 of 20 emoji arrived
    without a pause, 30/30 with 5 ms; 30 ms leaves room for a loaded machine."""

    name, where, command = "wtype", "wayland", ("wtype", *WTYPE_SETTLE)


@lru_cache(maxsize=4)
def _speaks_keycodes(path: str, version: tuple[int, int, int]) -> bool:
    """Whether the ydotool at `path` is 1.0 or later. Its `key` takes raw keycodes
    ('29:1 47:1 47:0 29:0' is Ctrl+V); 0.1.x (Debian 12) reads the same words as key names
    and would type '2', '4', ... into the user's field. Only 1.0 documents YDOTOOL_SOCKET in
    its `--help`, which it prints without needing the daemon. Asked once per version of the
    file (`version`: its inode, size and modification time), not at every press."""
    try:
        done = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and "YDOTOOL_SOCKET" in done.stdout


def ydotool_usable() -> bool:
    """ydotool 1.0 or later is installed (whether ydotoold runs shows only when it is used)."""
    path = shutil.which("ydotool")
    if path is None:
        return False
    st = os.stat(path)
    return _speaks_keycodes(path, (st.st_ino, st.st_size, st.st_mtime_ns))


class YdotoolTyper(ToolTyper):
    """Any Wayland desktop through uinput; needs ydotool 1.0+ and ydotoold with access to
    /dev/uinput. It presses the keys of a US keyboard, so it cannot type emoji (its own
    issue tracker says so): text outside ASCII is refused, and the chain goes on. So is a
    backslash: `ydotool type` reads escapes by default (its tool_type.c), so `\n` would press
    Return and `\t` Tab, past the rule for typed text (emoji.text_problem)."""

    name, where, command = "ydotool", "wayland", ("ydotool", "type")

    @classmethod
    def supported(cls) -> bool:
        return desktop() == cls.where and ydotool_usable()

    def type(self, text: str) -> None:
        if not text.isascii():
            raise Refused(f"{self.name}: cannot type {text!r} (it types US-keyboard keys, "
                          "ASCII only)")
        if "\\" in text:
            raise Refused(f"{self.name}: cannot type {text!r} (it reads a backslash as the start "
                          "of an escape: \\n would press Return)")
        super().type(text)


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
            keys = Controller()
        except Exception as exc:  # pynput raises platform-specific errors
            raise Refused(f"{self.name}: {exc}") from None
        try:
            keys.type(text)
        except Exception as exc:  # after some keys, maybe
            raise TypingError(f"{self.name}: {exc}") from None
