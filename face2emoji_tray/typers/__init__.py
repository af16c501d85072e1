"""Typing text into the focused field of any application: one interface, a backend per way,
tried in order at every press until one succeeds.

Which backend works depends on the desktop (measured on Debian 12; see README):
- X11: `xdotool type` delivers emoji outside the BMP exactly; pynput's X backend does NOT
  (it remaps spare keysyms and garbles 😀🙂😢). So: xdotool, then the clipboard.
- Wayland on wlroots (sway, Hyprland): wtype sends any code point through the
  virtual-keyboard protocol; then the clipboard (wl-copy, wtype presses Ctrl+V).
- Wayland on GNOME or KDE: neither compositor offers the virtual-keyboard protocol, so wtype
  cannot work, and `ydotool type` emulates a US keyboard and cannot produce emoji. So: the
  clipboard (wl-copy, ydotool presses Ctrl+V), then ydotool for plain ASCII text only.
- Windows and macOS: pynput (SendInput with KEYEVENTF_UNICODE / CGEventKeyboardSetUnicodeString
  carry any code point), then the clipboard.
A backend can pass its start-up check and still fail when used (ydotoold not running, a
compositor refusing wtype), so the chain falls back at every press, not once at start.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys

log = logging.getLogger(__name__)


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


def session() -> str:
    """desktop(), with Wayland split by what its compositor lets a client do:
    'wayland-gnome' and 'wayland-kde' refuse the virtual-keyboard protocol wtype needs;
    'wayland' is every other compositor (sway, Hyprland and the rest of wlroots)."""
    where = desktop()
    if where != "wayland":
        return where
    names = os.environ.get("XDG_CURRENT_DESKTOP", "").lower().split(":")
    for family in ("gnome", "kde"):
        if family in names:
            return f"wayland-{family}"
    return where


def run_tool(args: list[str], what: str) -> None:
    """Run a typing tool; its failure becomes one TypingError line (ydotool writes its
    errors to stdout, so the last line of either stream is used)."""
    if shutil.which(args[0]) is None:
        raise TypingError(f"{what}: {args[0]} is not installed")
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        raise TypingError(f"{what}: {args[0]} did not finish in 5 s") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or done.stdout.strip().splitlines()
        raise TypingError(f"{what}: {args[0]} failed ({(lines or ['no message'])[-1]})")


def backends() -> dict[str, type[Typer]]:
    from face2emoji_tray.typers.clipboard import ClipboardTyper
    from face2emoji_tray.typers.direct import PynputTyper, WtypeTyper, XdotoolTyper, YdotoolTyper

    return {t.name: t for t in (XdotoolTyper, WtypeTyper, YdotoolTyper, PynputTyper,
                                ClipboardTyper)}


PREFERENCE = {
    "x11": ("xdotool", "clipboard"),
    "wayland": ("wtype", "clipboard", "ydotool"),
    "wayland-gnome": ("clipboard", "ydotool"),
    "wayland-kde": ("clipboard", "ydotool"),
    "windows": ("pynput", "clipboard"),
    "macos": ("pynput", "clipboard"),
    "none": (),
}


class Chain:
    """Backends in order of preference. Each press goes to the first one that is available
    then; when it fails, one log line names the failure and the next one tries."""

    def __init__(self, typers: list[Typer]) -> None:
        self.typers = typers

    def type(self, text: str) -> str:
        """Type `text`; the name of the backend that did, or TypingError with every failure.
        Availability is checked only as far down the order as a press gets (the clipboard's
        check reads the clipboard)."""
        failures: list[str] = []
        for typer in self.typers:
            if not typer.supported():
                continue
            if failures:
                log.warning("%s; trying %s", failures[-1], typer.name)
            try:
                typer.type(text)
                return typer.name
            except TypingError as exc:
                failures.append(str(exc))
        if not failures:
            raise TypingError(f"none of {self.names()} is available here; "
                              "run `face2emoji doctor`")
        raise TypingError("; ".join(failures))

    def names(self) -> str:
        return ", ".join(t.name for t in self.typers)

    def describe(self) -> str:
        """The order, the first available backend marked: 'clipboard (used) → ydotool
        (not available)'."""
        parts, used = [], False
        for typer in self.typers:
            if not typer.supported():
                parts.append(f"{typer.name} (not available)")
            elif not used:
                parts.append(f"{typer.name} (used)")
                used = True
            else:
                parts.append(typer.name)
        return " → ".join(parts)


def choose(name: str = "auto") -> Chain:
    """The configured backend alone, or this desktop's chain; TypingError when nothing in it
    works here now."""
    table = backends()
    if name != "auto":
        if name not in table:
            raise TypingError(f"unknown typing backend {name!r} ({', '.join(table)})")
        if not table[name].supported():
            raise TypingError(f"typing backend {name!r} does not work on this desktop "
                              f"({session()})")
        return Chain([table[name]()])
    chain = Chain([table[n]() for n in PREFERENCE[session()]])
    if not any(t.supported() for t in chain.typers):
        raise TypingError(f"no typing backend works on this desktop ({session()})")
    return chain
