"""The hotkey on X11, with python-xlib: a passive grab (XGrabKey) of the combination on the
root window, heard by a thread of its own.

Why not pynput here: on Linux it requires evdev, which has no wheels, so installing the app
would need a compiler and kernel headers. A grab is also exact: the X server reports only our
combination, and the focused window does not get it as well.

The grab holds for the combination with Caps Lock and Num Lock on or off (X compares the lock
modifiers too). It fails, in one line, when another program already holds the combination.
"""
from __future__ import annotations

import logging
import os
import select
import threading
from typing import Callable

from Xlib import X, XK, display, error

from face2emoji_tray.hotkey_base import HotkeyError

log = logging.getLogger(__name__)

# pynput's names (the settings' syntax) for the modifiers, as X modifier masks.
MODIFIERS = {"ctrl": X.ControlMask, "shift": X.ShiftMask, "alt": X.Mod1Mask, "cmd": X.Mod4Mask,
             "alt_gr": X.Mod5Mask}
# pynput's names for the other keys it knows, as X keysym names.
KEYSYMS = {"space": "space", "enter": "Return", "esc": "Escape", "tab": "Tab",
           "backspace": "BackSpace", "delete": "Delete", "insert": "Insert", "home": "Home",
           "end": "End", "page_up": "Prior", "page_down": "Next", "up": "Up", "down": "Down",
           "left": "Left", "right": "Right", "pause": "Pause", "print_screen": "Print",
           "scroll_lock": "Scroll_Lock", "caps_lock": "Caps_Lock", "num_lock": "Num_Lock",
           "menu": "Menu", "media_play_pause": "XF86_AudioPlay", "media_next": "XF86_AudioNext",
           "media_volume_mute": "XF86_AudioMute", "media_previous": "XF86_AudioPrev",
           "media_volume_down": "XF86_AudioLowerVolume",
           "media_volume_up": "XF86_AudioRaiseVolume",
           **{f"f{n}": f"F{n}" for n in range(1, 21)}}
XK.load_keysym_group("xf86")


def parse(combination: str) -> tuple[int, int]:
    """'<ctrl>+<alt>+e' → (modifier mask, keysym): modifiers and exactly one other key, in
    pynput's syntax (<name>, <keysym number> or one character). ValueError if it is not one."""
    mask, keys = 0, []
    for part in _parts(combination):
        name = part[1:-1].lower() if len(part) > 2 and part[0] + part[-1] == "<>" else None
        base = name.removesuffix("_l").removesuffix("_r") if name else None
        if base in MODIFIERS:
            mask |= MODIFIERS[base]
        elif name in KEYSYMS:
            keys.append(XK.string_to_keysym(KEYSYMS[name]))
        elif name is not None and name.isdigit():
            keys.append(int(name))  # pynput's <vk> is the keysym on X
        elif len(part) == 1:
            keys.append(_char_keysym(part.lower()))
        else:
            raise ValueError(f"unknown key {part!r}")
    if len(keys) != 1:
        raise ValueError("a hotkey is modifiers and one other key")
    return mask, keys[0]


def _parts(combination: str) -> list[str]:
    """Split on '+' as pynput does: a '+' that starts a part is the plus key."""
    parts, start = [], 0
    for i, char in enumerate(combination):
        if char == "+" and i != start:
            parts.append(combination[start:i])
            start = i + 1
    if start == len(combination):
        raise ValueError("ends with '+'")
    return [*parts, combination[start:]]


def _char_keysym(char: str) -> int:
    """X keysyms are the code point for Latin-1 and 0x1000000 + the code point beyond it."""
    code = ord(char)
    return code if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF else 0x1000000 | code


class X11Keys:
    """Hears the combination and tells, for the release wait, whether keys are still down."""

    def __init__(self, combination: str, on_press: Callable[[], None]) -> None:
        try:
            mask, keysym = parse(combination)
        except ValueError as exc:
            raise HotkeyError(f"invalid hotkey {combination!r} ({exc})") from None
        self._events = _connect()
        self._probe = _connect()  # the worker thread's own: a connection is not shared
        self._keycode = self._events.keysym_to_keycode(keysym)
        if not self._keycode:
            self._close_connections()
            raise HotkeyError(f"hotkey {combination!r}: that key is not on this keyboard")
        self._combination = combination
        self._on_press = on_press
        self._modifiers = [mask | lock for lock in self._lock_variants()]
        self._watched = self._keys_to_release()
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._listen, name="face2emoji-x11-hotkey",
                                        daemon=True)

    def start(self) -> None:
        """Grab the combination (HotkeyError when another program holds it), then listen."""
        root = self._events.screen().root
        taken = error.CatchError(error.BadAccess)
        for modifiers in self._modifiers:
            root.grab_key(self._keycode, modifiers, True, X.GrabModeAsync, X.GrabModeAsync,
                          onerror=taken)
        self._events.sync()
        if taken.get_error() is not None:
            self._close()
            raise HotkeyError(f"hotkey {self._combination!r} is taken by another program "
                              "(choose another in the settings)")
        self._thread.start()

    def stop(self) -> None:
        """Wake the thread, which ends by closing its connections (that ungrabs), and wait."""
        if self._thread.is_alive():
            os.write(self._wake_write, b"x")
            self._thread.join(timeout=5)
        self._close()

    def held(self) -> bool:
        """Whether a modifier or the hotkey's own key is still down (the worker thread asks)."""
        down = self._probe.query_keymap()
        return any(down[code // 8] & (1 << code % 8) for code in self._watched)

    def _close(self) -> None:
        self._close_connections()
        for end in (self._wake_read, self._wake_write):
            if end >= 0:
                os.close(end)
        self._wake_read = self._wake_write = -1

    def _close_connections(self) -> None:
        for connection in (self._events, self._probe):
            try:
                connection.close()
            except (error.ConnectionClosedError, OSError):  # closed, or the X server is gone
                pass

    def _lock_variants(self) -> list[int]:
        """The hotkey with Caps Lock and Num Lock off and on: X matches those masks too."""
        num_lock = self._mask_of(XK.string_to_keysym("Num_Lock"))
        return sorted({0, X.LockMask, num_lock, X.LockMask | num_lock})

    def _mask_of(self, keysym: int) -> int:
        """The modifier bit a key sets on this keyboard (0 if it sets none)."""
        code = self._events.keysym_to_keycode(keysym)
        rows = self._events.get_modifier_mapping()
        return next((1 << row for row, codes in enumerate(rows) if code and code in codes), 0)

    def _keys_to_release(self) -> set[int]:
        """The hotkey's key and every modifier key but the locks, whose state lasts."""
        locks = X.LockMask | self._mask_of(XK.string_to_keysym("Num_Lock"))
        rows = self._events.get_modifier_mapping()
        return {self._keycode} | {code for row, codes in enumerate(rows)
                                  if not locks & (1 << row) for code in codes if code}

    def _listen(self) -> None:
        try:
            while self._wake_read not in select.select([self._events, self._wake_read], [], [])[0]:
                self._read_events()
        except error.ConnectionClosedError:
            log.warning("the X server closed the connection: no hotkey from now on")
        finally:
            self._close_connections()

    def _read_events(self) -> None:
        events = [self._events.next_event() for _ in range(self._events.pending_events())]
        for i, event in enumerate(events):
            if getattr(event, "detail", None) != self._keycode:
                continue
            if event.type == X.KeyPress and not _repeated(events, i):
                self._on_press()


def _repeated(events: list, i: int) -> bool:
    """X's auto-repeat of a held key: a release and a press of the same key at the same time."""
    before = events[i - 1] if i > 0 else None
    return (before is not None and before.type == X.KeyRelease
            and before.detail == events[i].detail and before.time == events[i].time)


def _connect() -> display.Display:
    try:
        return display.Display()
    except Exception as exc:  # no DISPLAY, a refused connection, a bad authority
        raise HotkeyError(f"no global hotkey on this desktop ({exc})") from None
