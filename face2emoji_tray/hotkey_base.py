"""What a platform's hotkey listener is (Keys) and raises (HotkeyError), apart from hotkey.py
so that the listeners (hotkey_x11.py) import this and hotkey.py imports them: one way."""
from __future__ import annotations

from typing import Protocol


class HotkeyError(RuntimeError):
    """The hotkey cannot be used: an invalid combination, or no way to listen here."""


class Keys(Protocol):
    """A platform's listener: calls `on_press` (its own thread) when the combination is
    pressed, and tells whether keys of it are still held."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def held(self) -> bool: ...
