"""Paste through the clipboard, then put back what the user had there.

Works wherever a clipboard and a way to press the paste shortcut do: X11 (xclip or xsel,
xdotool presses Ctrl+V), Wayland (wl-clipboard; wtype presses Ctrl+V on wlroots compositors,
ydotool 1.0+ on GNOME and KDE, which refuse wtype), Windows and macOS (pynput). It keeps
emoji with variation selectors or ZWJ sequences intact, and it is the only way to type an
emoji on GNOME and KDE Wayland. The user's previous clipboard text is restored even when
pasting fails.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import time
from typing import Callable

import pyperclip

from face2emoji_tray.typers import Refused, Typer, desktop, run_tool, session
from face2emoji_tray.typers.direct import WTYPE_SETTLE, ydotool_usable

log = logging.getLogger(__name__)
SETTLE = 0.15  # seconds for the target application to read the clipboard before we restore it
WTYPE_CTRL_V = ("wtype", *WTYPE_SETTLE, "-M", "ctrl", "v", "-m", "ctrl")
YDOTOOL_CTRL_V = ("ydotool", "key", "29:1", "47:1", "47:0", "29:0")  # KEY_LEFTCTRL, KEY_V
# The tools that can press Ctrl+V in each session, tried in this order.
PASTE_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "x11": (("xdotool", "key", "--clearmodifiers", "ctrl+v"),),
    "wayland": (WTYPE_CTRL_V, YDOTOOL_CTRL_V),
    "wayland-gnome": (YDOTOOL_CTRL_V,),
    "wayland-kde": (YDOTOOL_CTRL_V,),
}


def _clipboard() -> tuple[Callable[[str], None], Callable[[], str]]:
    """pyperclip's (copy, paste) for the environment as it is now. Its module-level
    functions keep the first mechanism they found for the whole process."""
    return pyperclip.determine_clipboard()


def _paste_commands() -> list[tuple[str, ...]]:
    """The Ctrl+V commands of this session whose tool is installed (ydotool: 1.0 or later)."""
    return [c for c in PASTE_KEYS.get(session(), ())
            if (ydotool_usable() if c[0] == "ydotool" else shutil.which(c[0]) is not None)]


def _press_paste() -> None:
    """Press Ctrl+V with the first tool that does; Refused when none did (a tool that ran past
    its time may have pressed it: that TypingError ends the press, no other tool tries)."""
    if desktop() in ("windows", "macos"):
        from pynput.keyboard import Controller, Key

        keys = Controller()
        with keys.pressed(Key.cmd if desktop() == "macos" else Key.ctrl):
            keys.tap("v")
        return
    failures = []
    for command in _paste_commands():
        try:
            run_tool(list(command), "clipboard")
            return
        except Refused as exc:
            failures.append(str(exc).removeprefix("clipboard: "))
    raise Refused("clipboard: " + ("; ".join(failures) or "nothing here can press Ctrl+V"))


def _give_back(copy: Callable[[str], None], previous: str) -> None:
    """Put the user's clipboard text back. A failure here is one log line, not an error: the
    paste is done (or already failed on its own), and raising now would hide which. pyperclip
    runs wl-copy, xclip or xsel: a tool gone meanwhile raises OSError, `wl-copy --clear`
    (an empty previous text) CalledProcessError."""
    try:
        copy(previous)
    except (pyperclip.PyperclipException, OSError, subprocess.SubprocessError) as exc:
        log.warning("clipboard: your earlier clipboard text could not be put back (%s)", exc)


class ClipboardTyper(Typer):
    name = "clipboard"

    @classmethod
    def supported(cls) -> bool:
        where = desktop()
        if where == "none" or (where in ("x11", "wayland") and not _paste_commands()):
            return False
        try:
            _clipboard()[1]()
        except pyperclip.PyperclipException:
            return False
        return True

    def type(self, text: str) -> None:
        copy, paste = _clipboard()
        try:
            previous = paste()
        except pyperclip.PyperclipException as exc:
            raise Refused(f"{self.name}: no clipboard ({exc})") from None
        try:
            copy(text)
            _press_paste()
            time.sleep(SETTLE)
        except pyperclip.PyperclipException as exc:  # copying failed: nothing was pasted
            raise Refused(f"{self.name}: {exc}") from None
        finally:
            _give_back(copy, previous)
