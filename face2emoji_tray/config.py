"""The user's settings: a TOML file in the platform's config folder.

A broken file never stops the app: each bad value is reported in one line and replaced by
its default, and the file is left exactly as the user wrote it (we only ever create it
when it does not exist).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import platformdirs

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser from PyPI (setup.cfg installs it)
    import tomli as tomllib

from face2emoji_tray import files
from face2emoji_tray.emoji import CLASSES, DEFAULT_EMOJI, name_problem, nfc, shown, text_problem

APP = "face2emoji"
CONFIG_FILE = Path(platformdirs.user_config_dir(APP)) / "config.toml"
TYPERS = ("auto", "xdotool", "wtype", "ydotool", "clipboard", "pynput")
PORTS = range(1, 65536)  # a TCP port; 0 would be any free one, and the preview's files name it
MAX_BYTES = 1 << 20  # the settings file: a few hundred bytes; a FIFO or /dev/zero is refused
# A <named> key, or one key of a character: a letter, a digit or a little punctuation. The
# hotkey reaches a shell line (doctor's gsettings command under GNOME Wayland, which the README
# tells users to run) and the terminal: quotes, $, ;, (, {, backslashes and control characters
# would let a shared settings file run commands or retitle the terminal there.
_KEY = re.compile(r"^(<[a-z0-9_]+>|[a-z0-9\-=.,/])$")


@dataclass(frozen=True)
class Config:
    hotkey: str = "<ctrl>+<alt>+e"  # pynput's syntax
    camera: int = 0  # device index
    fps: float = 5.0  # frames analysed per second (5: ≈9% of one core, bench.app)
    window: float = 1.0  # seconds of predictions the emoji is smoothed over
    threshold: float = 0.45  # below this smoothed confidence, the state is "unsure"
    wink_hold: float = 0.4  # seconds a wink must be held (a blink lasts 0.1-0.4 s)
    sleep_hold: float = 1.5  # seconds both eyes must stay shut for 😴
    fallback: str = ""  # typed when there is no face or no confident emoji ("" types nothing)
    typer: str = "auto"
    web_port: int = 8765
    emoji: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_EMOJI))  # + taught names


def valid_hotkey(text: str) -> bool:
    """'<ctrl>+<alt>+e' style: keys joined by '+', each a <named> key or one character."""
    parts = text.lower().split("+")
    return bool(text) and all(_KEY.match(p) for p in parts)


def _check(name: str, value, default) -> str | None:
    """A problem with one value, or None if it is fine."""
    if isinstance(default, bool) or type(value) is not type(default):
        if not (isinstance(default, float) and type(value) is int):
            return f"'{name}' should be {type(default).__name__}, not {type(value).__name__}"
    if name == "hotkey" and not valid_hotkey(value):
        return f"'hotkey' = {shown(value)} is not a hotkey like '<ctrl>+<alt>+e'"
    if name == "typer" and value not in TYPERS:
        return f"'typer' = {shown(value)} is not one of {', '.join(TYPERS)}"
    if name in ("fps", "window", "wink_hold", "sleep_hold") and not value > 0:
        return f"'{name}' must be above 0"
    if name == "threshold" and not 0 <= value <= 1:
        return "'threshold' must be between 0 and 1"
    if name == "camera" and value < 0:
        return "'camera' must not be negative"
    if name == "web_port" and value not in PORTS:
        return f"'web_port' = {value} is not a port ({PORTS.start}-{PORTS.stop - 1})"
    if name == "fallback" and value and (why := text_problem(value)):
        return f"'fallback' cannot be typed: {why}"
    return None


def _emoji(table, problems: list[str]) -> dict[str, str]:
    """Per class, and per taught face by its name (profile.py), the text it types; an entry
    that cannot be typed (emoji.text_problem) is named and the class keeps its default.
    A key that differs from a class only in case or width (Happy, ｈａｐｐｙ: name_problem) is
    named and ignored, not read as the class: TOML keys, like every other setting's name,
    are exact, and `Happy` beside `happy` would leave one of the two silently unused."""
    out = dict(DEFAULT_EMOJI)
    for key, text in table.items():
        name = nfc(key)
        if name not in CLASSES and (why := name_problem(name)):
            problems.append(f"[emoji] {shown(key)} names no class ({', '.join(CLASSES)}) and "
                            f"cannot name a taught face: {why}; ignored")
        elif why := text_problem(text):
            keeps = "using the default" if name in CLASSES else "ignored"
            problems.append(f"[emoji] {shown(name)} cannot be typed: {why}; {keeps}")
        else:
            out[name] = text
    return out


def parse(text: str) -> tuple[Config, list[str]]:
    """TOML text → Config and the problems found (each already a one-line message)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Config(), [f"not valid TOML ({exc}); using all defaults"]
    problems: list[str] = []
    defaults = Config()
    known = {f.name for f in fields(Config)}
    values = {}
    for name, value in data.items():
        if name not in known:
            problems.append(f"unknown setting {shown(name)} ignored")
        elif name == "emoji":
            if isinstance(value, dict):
                values["emoji"] = _emoji(value, problems)
            else:
                problems.append("'emoji' should be a table of class = \"emoji\"")
        elif (problem := _check(name, value, getattr(defaults, name))) is not None:
            problems.append(problem + "; using the default")
        else:
            values[name] = float(value) if isinstance(getattr(defaults, name), float) else value
    return replace(defaults, **values), problems


def default_text() -> str:
    """The file written on first start: every setting, at its default, with a comment."""
    c = Config()
    lines = ["# Face2Emoji settings. Delete a line to get its default back.",
             f'hotkey = "{c.hotkey}"  # pynput syntax: <ctrl>, <alt>, <shift>, <cmd>, then a key',
             f"camera = {c.camera}  # webcam index",
             f"fps = {c.fps}  # frames analysed per second",
             f"window = {c.window}  # seconds the emoji is smoothed over",
             f"threshold = {c.threshold}  # minimum smoothed confidence",
             f"wink_hold = {c.wink_hold}  # seconds a wink must be held",
             f"sleep_hold = {c.sleep_hold}  # seconds both eyes must stay shut for a sleepy face",
             f'fallback = "{c.fallback}"  # typed when unsure; empty types nothing',
             f'typer = "{c.typer}"  # {" | ".join(TYPERS)}',
             f"web_port = {c.web_port}", "", "[emoji]"]
    lines += [f'{cls} = "{text}"' for cls, text in c.emoji.items()]
    return "\n".join(lines) + "\n"


def load(path: Path = CONFIG_FILE, create: bool = False) -> tuple[Config, list[str]]:
    """Read the config file; a missing one gives defaults (and is created if asked)."""
    try:
        text = files.read_bounded(path, MAX_BYTES).decode("utf-8")
    except FileNotFoundError:
        if not create:
            return Config(), []
        try:  # a folder we cannot write (XDG_CONFIG_HOME=/proc/…) is no reason not to start
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(default_text(), encoding="utf-8")
        except OSError as exc:
            return Config(), [f"{path}: cannot be created ({files.reason(exc)}); using all "
                              "defaults"]
        return Config(), []
    except (OSError, ValueError) as exc:  # files.Refused and UnicodeDecodeError are ValueErrors
        return Config(), [f"{path}: cannot read ({exc}); using all defaults"]
    config, problems = parse(text)
    return config, [f"{path}: {p}" for p in problems]
