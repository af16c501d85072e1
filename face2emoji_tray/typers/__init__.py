"""Typing text into the focused field of any application: one interface, a backend per way.

Which backend works depends on the desktop (measured on Debian 12 / Xvfb; see README):
- X11: `xdotool type` delivers emoji outside the BMP exactly; pynput's X backend does NOT
  (it remaps spare keysyms and garbles 😀🙂😢). So: xdotool, then the clipboard.
- Wayland: no client may inject keys through the compositor by default; wtype (wlroots
  desktops) or ydotool (uinput, any desktop, needs its daemon), then the clipboard.
- Windows and macOS: pynput (SendInput with KEYEVENTF_UNICODE / CGEventKeyboardSetUnicodeString
  carry any code point), then the clipboard.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys


class TypingError(RuntimeError):
    """Typing failed; one line that says which backend and why."""


class Typer:
    name = "typer"

    @classmethod
    def supported(cls) -> bool:
        raise NotImplementedError

    def type(self, text: str) -> None:
        raise NotImplementedError


def desktop() -> str:
    """'x11', 'wayland', 'windows', 'macos' or 'none' (no display to type into)."""
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    if os.environ.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "x11" if os.environ.get("DISPLAY") else "none"


def run_tool(args: list[str], what: str) -> None:
    """Run a typing tool; its failure becomes one TypingError line."""
    if shutil.which(args[0]) is None:
        raise TypingError(f"{what}: {args[0]} is not installed")
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        raise TypingError(f"{what}: {args[0]} did not finish in 5 s") from None
    if done.returncode != 0:
        err = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise TypingError(f"{what}: {args[0]} failed ({err})")


def backends() -> dict[str, type[Typer]]:
    from face2emoji_tray.typers.clipboard import ClipboardTyper
    from face2emoji_tray.typers.direct import PynputTyper, WtypeTyper, XdotoolTyper, YdotoolTyper

    return {t.name: t for t in (XdotoolTyper, WtypeTyper, YdotoolTyper, PynputTyper,
                                ClipboardTyper)}


PREFERENCE = {
    "x11": ("xdotool", "clipboard"),
    "wayland": ("wtype", "ydotool", "clipboard"),
    "windows": ("pynput", "clipboard"),
    "macos": ("pynput", "clipboard"),
    "none": (),
}


def choose(name: str = "auto") -> Typer:
    """The configured backend, or the first supported one for this desktop."""
    table = backends()
    if name != "auto":
        if name not in table:
            raise TypingError(f"unknown typing backend {name!r} ({', '.join(table)})")
        if not table[name].supported():
            raise TypingError(f"typing backend {name!r} does not work on this desktop "
                              f"({desktop()})")
        return table[name]()
    for candidate in PREFERENCE[desktop()]:
        if table[candidate].supported():
            return table[candidate]()
    raise TypingError(f"no typing backend works on this desktop ({desktop()}); "
                      "run `face2emoji doctor` for what to install")
