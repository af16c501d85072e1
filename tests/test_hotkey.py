"""The global hotkey on X11 as a Linux install has it: python-xlib's grab, no pynput (which
needs evdev, built from source). Real key presses from xdotool on a real (virtual) X server."""
from __future__ import annotations

import subprocess
import sys

import pytest
from Xlib import XK, display

from face2emoji_tray.hotkey import Hotkey, HotkeyError
from tests.waiting import wait_for

COMBINATION = "<ctrl>+<alt>+e"


@pytest.fixture
def x11(desk, monkeypatch):
    """This process on that desktop, with pynput unimportable as on an installed Linux."""
    monkeypatch.setenv("DISPLAY", desk["DISPLAY"])
    monkeypatch.setitem(sys.modules, "pynput", None)
    return desk


def press(env, *keys: str) -> None:
    subprocess.run(["xdotool", *keys], env=env, check=True, timeout=10)


class Recorder:
    """The action: records, for each call, whether Ctrl, Alt or E were still held."""

    def __init__(self) -> None:
        self.held: list[bool] = []
        self._x = display.Display()
        self._codes = [self._x.keysym_to_keycode(XK.string_to_keysym(name))
                       for name in ("Control_L", "Alt_L", "e")]

    def __call__(self) -> None:
        down = self._x.query_keymap()
        self.held.append(any(down[c // 8] & (1 << c % 8) for c in self._codes))

    def calls(self, n: int) -> list[bool]:
        """The record once there are `n` calls (more would show in the comparison)."""
        wait_for(lambda: len(self.held) >= n, 10, f"{n} calls of the action")
        return self.held


@pytest.mark.desktop
def test_pressing_the_hotkey_calls_the_action_once_the_keys_are_up(x11):
    action = Recorder()
    hotkey = Hotkey(COMBINATION, action)
    hotkey.start()
    try:
        press(x11, "key", "ctrl+alt+e")
        assert action.calls(1) == [False]
        # Ctrl and Alt held after E: typing now would send Ctrl+Alt+😀; it waits for them.
        press(x11, "keydown", "ctrl+alt+e", "keyup", "e", "sleep", "0.3", "keyup", "alt", "ctrl")
        assert action.calls(2) == [False, False]
        # Caps Lock or Num Lock on: the same hotkey (X compares the lock modifiers too).
        for lock in ("Caps_Lock", "Num_Lock"):
            press(x11, "key", lock, "key", "ctrl+alt+e", "key", lock)
        assert action.calls(4) == [False] * 4
        # Another combination with the same key does nothing (the next press shows it).
        press(x11, "key", "ctrl+e", "key", "alt+e", "key", "ctrl+alt+e")
        assert action.calls(5) == [False] * 5
    finally:
        hotkey.stop()


@pytest.mark.desktop
def test_a_hotkey_another_program_holds_is_refused_and_free_again_once_stopped(x11):
    first = Hotkey(COMBINATION, Recorder())
    first.start()
    with pytest.raises(HotkeyError, match=r"^hotkey '<ctrl>\+<alt>\+e' is taken by another "
                                          r"program \(choose another in the settings\)$"):
        Hotkey(COMBINATION, Recorder()).start()
    first.stop()
    action = Recorder()
    second = wait_for(lambda: started(Hotkey(COMBINATION, action)), 10, "the grab released")
    try:
        press(x11, "key", "ctrl+alt+e")
        assert action.calls(1) == [False]
    finally:
        second.stop()


def started(hotkey: Hotkey) -> Hotkey | None:
    try:
        hotkey.start()
    except HotkeyError:
        return None
    return hotkey


@pytest.mark.parametrize("combination,error", [
    ("<ctrl>+<alt>", r"^invalid hotkey '<ctrl>\+<alt>' \(a hotkey is modifiers and one other"),
    ("<ctrl>+<hyper>+e", r"^invalid hotkey '<ctrl>\+<hyper>\+e' \(unknown key '<hyper>'\)$"),
    ("<ctrl>+", r"^invalid hotkey"),
])
def test_an_invalid_combination_is_one_line(combination, error):
    with pytest.raises(HotkeyError, match=error):
        Hotkey(combination, lambda: None)


def test_without_a_display_there_is_no_hotkey(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(HotkeyError, match=r"^no global hotkey on this desktop \("):
        Hotkey(COMBINATION, lambda: None)


def test_the_x11_listener_imports_without_the_hotkey_module_so_imports_run_one_way():
    code = "import sys, face2emoji_tray.hotkey_x11; print('face2emoji_tray.hotkey' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "False", done.stderr
