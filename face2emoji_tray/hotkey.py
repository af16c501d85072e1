"""The global hotkey: pynput listens, a worker thread acts.

pynput reports the combination on the key press, while Ctrl/Alt are still held; typing
then would send Ctrl+Alt+😀. So the listener only queues the press, and a worker waits
until the modifiers are up (at most `MAX_WAIT`) before it calls the action, never inside
the listener's callback (which would stall every key of the desktop).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)
MAX_WAIT = 1.0  # seconds to wait for the modifiers to be released


class HotkeyError(RuntimeError):
    """The hotkey cannot be used: an invalid combination, or no way to listen here."""


class Hotkey:
    def __init__(self, combination: str, action: Callable[[], None]) -> None:
        try:
            from pynput import keyboard
        except Exception as exc:  # pynput fails at import where it cannot reach a display
            raise HotkeyError(f"no global hotkey on this desktop ({str(exc).splitlines()[0]})")
        self._keyboard = keyboard
        try:
            self._hotkey = keyboard.HotKey(keyboard.HotKey.parse(combination), self._fired)
        except ValueError as exc:
            raise HotkeyError(f"invalid hotkey {combination!r} ({exc})") from None
        self._modifiers = {keyboard.Key.ctrl, keyboard.Key.ctrl_l, keyboard.Key.ctrl_r,
                           keyboard.Key.alt, keyboard.Key.alt_l, keyboard.Key.alt_r,
                           keyboard.Key.alt_gr, keyboard.Key.shift, keyboard.Key.shift_l,
                           keyboard.Key.shift_r, keyboard.Key.cmd, keyboard.Key.cmd_l,
                           keyboard.Key.cmd_r}
        self._held: set = set()
        self._presses: queue.Queue[float | None] = queue.Queue()
        self._action = action
        self._listener = keyboard.Listener(on_press=self._on_press, on_release=self._on_release)
        self._worker = threading.Thread(target=self._work, name="face2emoji-hotkey", daemon=True)

    def start(self) -> None:
        self._listener.start()
        self._listener.wait()
        self._worker.start()

    def stop(self) -> None:
        self._listener.stop()
        self._presses.put(None)

    # Listener thread: bookkeeping only.
    def _on_press(self, key) -> None:
        if key in self._modifiers:
            self._held.add(key)
        self._hotkey.press(self._listener.canonical(key))

    def _on_release(self, key) -> None:
        self._held.discard(key)
        self._hotkey.release(self._listener.canonical(key))

    def _fired(self) -> None:
        self._presses.put(time.monotonic())

    # Worker thread: wait for the modifiers, then act.
    def _work(self) -> None:
        while (pressed := self._presses.get()) is not None:
            while self._held and time.monotonic() - pressed < MAX_WAIT:
                time.sleep(0.005)
            try:
                self._action()
            except Exception:  # the hotkey must survive any failure of one press
                log.exception("hotkey action failed")
