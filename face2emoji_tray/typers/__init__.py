"""Typing text into the focused field of any application: one interface, a backend per way,
tried in order at every press until one types.

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
compositor refusing wtype), so the chain falls back at every press, not once at start — but
only from a backend that typed nothing (Refused): one that stopped part way or ran past its
time may have typed some keys, and the next backend would type them all again.
Every text is checked once more here (emoji.text_problem): no path reaches a key that is not
text (Return, Escape, BackSpace).
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys

from face2emoji_tray.emoji import text_problem

log = logging.getLogger(__name__)


class TypingError(RuntimeError):
    """Typing failed; one line that says which backend and why. Part of the text may have
    been typed: nothing else tries it again."""


class Refused(TypingError):
    """The backend typed nothing (not installed, or it refused before its first key: no
    display, no compositor support, no daemon): the next one may try."""


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


TIMEOUT = 5  # seconds a typing tool may take (a typed text is at most 32 characters)


def run_tool(args: list[str], what: str) -> None:
    """Run a typing tool; its failure becomes one line (ydotool writes its errors to stdout, so
    the last line of either stream is used). A tool that ends with an error on its own has
    refused at its start (xdotool, wtype and ydotool connect to the display, the compositor or
    the daemon before their first key): Refused. One stopped at TIMEOUT may have typed part."""
    if shutil.which(args[0]) is None:
        raise Refused(f"{what}: {args[0]} is not installed")
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise TypingError(f"{what}: {args[0]} did not finish in {TIMEOUT} s (stopped; part of "
                          "the text may be typed, so it is not typed again)") from None
    except OSError as exc:
        raise Refused(f"{what}: {args[0]} cannot be run ({exc.strerror})") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or done.stdout.strip().splitlines()
        raise Refused(f"{what}: {args[0]} failed ({(lines or ['no message'])[-1]})")


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
    then; when it refuses, one log line names the refusal and the next one tries."""

    def __init__(self, typers: list[Typer]) -> None:
        self.typers = typers

    def type(self, text: str) -> str:
        """Type `text` once; the name of the backend that did, or TypingError with every
        failure. Availability is checked only as far down the order as
        a press gets (the clipboard's check reads the clipboard)."""
        if why := text_problem(text):
            raise TypingError(f"cannot type {why}")
        failures: list[str] = []
        for typer in self.typers:
            if not typer.supported():
                continue
            if failures:
                log.warning("%s; trying %s", failures[-1], typer.name)
            try:
                typer.type(text)
                return typer.name
            except Refused as exc:
                failures.append(str(exc))
            except TypingError as exc:
                raise TypingError("; ".join([*failures, str(exc)])) from None
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
