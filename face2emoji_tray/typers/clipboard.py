"""Paste through the clipboard, then put back what the user had there.

Works wherever a clipboard and a paste shortcut do (X11 with xclip/xsel, Wayland with
wl-clipboard, Windows, macOS), and keeps emoji with variation selectors or ZWJ sequences
intact. The user's previous clipboard text is restored even when pasting fails.
"""
from __future__ import annotations

import time

import pyperclip

from face2emoji_tray.typers import Typer, TypingError, desktop, run_tool

SETTLE = 0.15  # seconds for the target application to read the clipboard before we restore it


def _paste_shortcut() -> None:
    where = desktop()
    if where == "x11":
        run_tool(["xdotool", "key", "--clearmodifiers", "ctrl+v"], "clipboard")
    elif where == "wayland":
        run_tool(["wtype", "-M", "ctrl", "v", "-m", "ctrl"], "clipboard")
    else:
        from pynput.keyboard import Controller, Key

        keys = Controller()
        with keys.pressed(Key.cmd if where == "macos" else Key.ctrl):
            keys.tap("v")


class ClipboardTyper(Typer):
    name = "clipboard"

    @classmethod
    def supported(cls) -> bool:
        if desktop() == "none":
            return False
        try:
            pyperclip.paste()
        except pyperclip.PyperclipException:
            return False
        return True

    def type(self, text: str) -> None:
        try:
            previous = pyperclip.paste()
        except pyperclip.PyperclipException as exc:
            raise TypingError(f"{self.name}: no clipboard ({exc})") from None
        try:
            pyperclip.copy(text)
            _paste_shortcut()
            time.sleep(SETTLE)
        except pyperclip.PyperclipException as exc:
            raise TypingError(f"{self.name}: {exc}") from None
        finally:
            pyperclip.copy(previous)
