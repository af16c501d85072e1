"""Our classes, their default emoji, and the class names other datasets use for them."""
from __future__ import annotations

import re
import unicodedata

# The eight expressions the product knows. The face model predicts the first six; wink
# (one eye shut) and sleepy (both shut, held) are read from the eyes (see eyes.py), since
# no labelled dataset of either exists.
FACE_CLASSES = ("angry", "happy", "neutral", "sad", "scared", "surprised")
CLASSES = FACE_CLASSES + ("wink", "sleepy")

DEFAULT_EMOJI = {
    "happy": "\U0001F600",  # 😀 grinning face (outside the BMP: a typing test in itself)
    "sad": "\U0001F622",  # 😢
    "angry": "\U0001F620",  # 😠
    "scared": "\U0001F628",  # 😨
    "surprised": "\U0001F62E",  # 😮
    "wink": "\U0001F609",  # 😉
    "sleepy": "\U0001F634",  # 😴 sleeping face
    "neutral": "\U0001F610",  # 😐
}

# FER2013 folder names → ours. Disgust is not one of our classes: see models/README.md.
ALIASES = {"fear": "scared", "surprise": "surprised"}


def our_class(name: str) -> str | None:
    """A dataset's class name in our vocabulary, or None if we have no such class."""
    name = ALIASES.get(name.lower(), name.lower())
    return name if name in CLASSES else None


# What the app is showing when it shows no expression: the tray's other icons (assets/emoji/)
# and the smoother's other states. A taught face named so would pass for one of them.
STATES = ("no_face", "unsure", "expression", "paused", "problem")

# Typed text is an emoji, a few of them, or a short word. 32 characters hold three of the
# longest emoji sequences (a kiss with two skin tones is 10 code points, a subdivision flag
# 7) or a kaomoji like ¯\_(ツ)_/¯, and xdotool types them in about a second (30 ms a key),
# well inside the typers' 5 s limit.
MAX_TEXT = 32
ZWJ = "\u200d"  # joins emoji (👨‍👩‍👧): the one format character an emoji needs
# An emoji tag sequence (UTS #51): 🏴, tag characters, the cancel tag — the flags of England,
# Scotland and Wales. Tag characters anywhere else are invisible text.
_FLAG_TAGS = re.compile("\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F")
# Unicode categories that are keys, line breaks or invisible reordering, not text to type:
# control characters arrive in a field as BackSpace, Tab, Return, Escape; format characters
# (bidi overrides U+202E, U+2066…, zero-width spaces, the BOM, tags) hide or reorder what a
# name looks like. Variation selectors (VS15/VS16, ❤️) are marks (Mn), not format characters.
_REFUSED = {"Cc": "a control character", "Cf": "an invisible format character",
            "Cs": "a lone surrogate", "Zl": "a line separator", "Zp": "a paragraph separator"}


def text_problem(text: object, what: str = "text") -> str:
    """Why `text` cannot be typed ('' when it can): the one rule for everything the app
    types, whether it comes from the settings, a profile, the page or a folder's name. It is
    refused whole, never cleaned: what is left after removing keys is not what was meant."""
    if not isinstance(text, str):
        return "not a string"
    if not text:
        return f"an empty {what}"
    if len(text) > MAX_TEXT:
        return f"a {what} of {len(text)} characters (at most {MAX_TEXT})"
    for ch in _FLAG_TAGS.sub("\U0001F3F4", text):
        kind = unicodedata.category(ch)
        if kind in _REFUSED and ch != ZWJ:
            return f"a {what} with U+{ord(ch):04X} ({_REFUSED[kind]})"
    return ""


def name_problem(name: object) -> str:
    """Why `name` cannot name a taught face ('' when it can). A name is typed when the face
    has no emoji of its own, so it is text first; it is also a menu line, a JSON key and a
    label the tray compares with its states, so it is never blank, padded, a path, a class or
    a state. Compare names as nfc() gives them."""
    if why := text_problem(name, "name"):
        return why
    if name != name.strip():
        return "a name with spaces around it"
    if "/" in name or "\\" in name:
        return "a name with / or \\ (a name is never a path)"
    if name in CLASSES:
        return f"{name!r} is built in"
    if name in STATES:
        return f"{name!r} is the name of one of the app's states"
    return ""


def nfc(name: str) -> str:
    """The form names are stored and compared in: é typed as one character or as e and a
    combining accent (as macOS names folders) is one name."""
    return unicodedata.normalize("NFC", name)


def shown(text: str) -> str:
    """`text` for a one-line message: quoted with its control and invisible characters
    escaped (repr), and cut to MAX_TEXT characters."""
    return repr(text[:MAX_TEXT]) + ("…" if len(text) > MAX_TEXT else "")
