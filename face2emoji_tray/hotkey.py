"""The global hotkey: a listener of the platform hears it, a worker thread acts.

The combination is reported on the key press, while Ctrl/Alt are still held; typing then
would send Ctrl+Alt+😀. So the listener only queues the press, and the worker waits until the
keys are up (at most `MAX_WAIT`) before it calls the action, never inside the listener
(which, with pynput, would stall every key of the desktop).

Listeners: on Linux python-xlib's grab on X11 (hotkey_x11.py; pynput would need evdev, which
only builds from source); on Windows and macOS pynput's (`PynputKeys` below).
"""
from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from typing import Callable

from face2emoji_tray.hotkey_base import HotkeyError, Keys

log = logging.getLogger(__name__)
MAX_WAIT = 1.0  # seconds to wait for the modifiers to be released


class Hotkey:
    """The one object the app holds: Hotkey(combination, action).start() ... .stop()."""

    def __init__(self, combination: str, action: Callable[[], None]) -> None:
        self._presses: queue.Queue[float | None] = queue.Queue()
        self._action = action
        self._keys = _listener(combination, self._pressed)
        self._worker = threading.Thread(target=self._work, name="face2emoji-hotkey", daemon=True)

    def start(self) -> None:
        self._keys.start()
        self._worker.start()

    def stop(self) -> None:
        self._presses.put(None)
        self._keys.stop()

    def _pressed(self) -> None:  # the listener's thread: bookkeeping only
        self._presses.put(time.monotonic())

    # Worker thread: wait for the keys to be up, then act.
    def _work(self) -> None:
        while (pressed := self._presses.get()) is not None:
            try:
                while self._keys.held() and time.monotonic() - pressed < MAX_WAIT:
                    time.sleep(0.005)
                self._action()
            except Exception:  # the hotkey must survive any failure of one press
                log.exception("hotkey action failed")


def _listener(combination: str, on_press: Callable[[], None]) -> Keys:
    if sys.platform.startswith("linux"):
        from face2emoji_tray.hotkey_x11 import X11Keys

        return X11Keys(combination, on_press)
    return PynputKeys(combination, on_press)


class PynputKeys:
    """Windows and macOS: pynput's listener sees every key; it tracks the held modifiers."""

    def __init__(self, combination: str, on_press: Callable[[], None]) -> None:
        try:
            from pynput import keyboard
        except Exception as exc:  # pynput fails at import where it cannot reach a display
            raise HotkeyError(f"no global hotkey on this desktop ({str(exc).splitlines()[0]})")
        try:
            self._hotkey = keyboard.HotKey(keyboard.HotKey.parse(combination), on_press)
        except ValueError as exc:
            raise HotkeyError(f"invalid hotkey {combination!r} ({exc})") from None
        key = keyboard.Key
        self._modifiers = {key.ctrl, key.ctrl_l, key.ctrl_r, key.alt, key.alt_l, key.alt_r,
                           key.alt_gr, key.shift, key.shift_l, key.shift_r, key.cmd, key.cmd_l,
                           key.cmd_r}
        self._held: set = set()
        self._listener = keyboard.Listener(on_press=self._on_press, on_release=self._on_release)

    def start(self) -> None:
        self._listener.start()
        self._listener.wait()

    def stop(self) -> None:
        self._listener.stop()

    def held(self) -> bool:
        return bool(self._held)

    def _on_press(self, key) -> None:
        if key in self._modifiers:
            self._held.add(key)
        self._hotkey.press(self._listener.canonical(key))

    def _on_release(self, key) -> None:
        self._held.discard(key)
        self._hotkey.release(self._listener.canonical(key))
