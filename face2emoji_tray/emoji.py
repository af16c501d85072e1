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
# and the smoother's other states, and the words the tray, the page and `status` show for them
# (smoother.State.describe, engine.Status.describe, web/static/*.js). A taught face named so
# would pass for one of them.
STATES = ("no_face", "unsure", "expression", "paused", "problem")
SHOWN_STATES = ("no face", "no face found", "no face in view", "paused (camera off)")


def folded(name: str) -> str:
    """`name` as people read it: Happy, HAPPY and fullwidth ｈａｐｐｙ are happy (NFKC folds
    width and compatibility forms, casefold the case)."""
    return unicodedata.normalize("NFKC", name).casefold()


# A reserved name as folded() gives it → the name it passes for.
_RESERVED = {folded(n): n for n in (*CLASSES, *STATES, *SHOWN_STATES)}
_RESERVED.update({folded(alias): cls for alias, cls in ALIASES.items()})


# Typed text is an emoji, a few of them, or a short word. 32 characters hold three of the
# longest emoji sequences (a kiss with two skin tones is 10 code points, a subdivision flag
# 7) or a kaomoji like ¯\_(ツ)_/¯, and xdotool types them in about a second (30 ms a key),
# well inside the typers' 5 s limit.
MAX_TEXT = 32
ZWJ = "\u200d"  # joins emoji (👨‍👩‍👧)
VS15, VS16 = "\ufe0e", "\ufe0f"  # text or emoji form of the character before (❤️)
KEYCAP = "\u20e3"  # 1️⃣ is 1, VS16, KEYCAP
SKIN_TONES = ("\U0001F3FB", "\U0001F3FF")  # 👍🏽: modifiers (Sk) that may precede a ZWJ
# A subdivision flag (UTS #51 emoji tag sequence): 🏴, the region in tag characters — two tag
# letters for the country (gb), one to four tag letters or digits for the part (sct) — and
# the cancel tag: 🏴󠁧󠁢󠁳󠁣󠁴󠁿 🏴󠁧󠁢󠁥󠁮󠁧󠁿 🏴󠁧󠁢󠁷󠁬󠁳󠁿. Tag characters anywhere else, or more of them, are invisible
# ASCII ("🏴" + "IGNORE PREVIOUS…" in tags + the cancel tag).
FLAG = re.compile("\U0001F3F4[\U000E0061-\U000E007A]{2}"
                  "[\U000E0030-\U000E0039\U000E0061-\U000E007A]{1,4}\U000E007F")
# Default_Ignorable_Code_Point (DerivedCoreProperties.txt; the stdlib has no such property),
# and the braille blank U+2800: characters drawn as nothing. In a name they make `yuck` and
# `yuck` + U+034F two faces, or a blank name (U+3164); typed, they are text nobody sees.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
                        "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f"
                        "\ufeff\uffa0\ufff0-\ufff8\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A"
                        "\U000E0000-\U000E0FFF]")
# Unicode categories that are keys, line breaks, invisible reordering or no character at all:
# control characters arrive in a field as BackSpace, Tab, Return, Escape; format characters
# (bidi overrides U+202E, U+2066…, zero-width spaces, the BOM, tags) hide or reorder what a
# name looks like; private-use and unassigned code points (noncharacters such as U+FFFF are
# unassigned too) show as whatever a font makes of them, or nothing.
_REFUSED = {"Cc": "a control character", "Cf": "an invisible format character",
            "Cs": "a lone surrogate", "Zl": "a line separator", "Zp": "a paragraph separator",
            "Co": "a private-use character", "Cn": "a character Unicode has not assigned"}


def _new_emoji(ch: str) -> bool:
    """Whether `ch` is unassigned to this Python but in the code points Unicode keeps for
    emoji (Extended_Pictographic, emoji-data.txt). Python 3.11's unicodedata is Unicode 14
    (3.10's is 13): the emoji of Unicode 15 (🫨 U+1FAE8, 🩷) are unassigned to it, and
    a user of Debian 12 may still want to type them."""
    return unicodedata.category(ch) == "Cn" and ("\U0001F000" <= ch <= "\U0001FAFF"
                                                   or "\U0001FC00" <= ch <= "\U0001FFFD")


def _pictograph(ch: str) -> bool:
    """Whether `ch` may stand beside a ZWJ: a non-ASCII symbol (😀, ❤ U+2764, ↕ in 🙂‍↕️),
    a skin tone, or an emoji newer than this Python ('' at either end of the text: no)."""
    return ch > "\x7f" and (unicodedata.category(ch) in ("So", "Sm") or _new_emoji(ch)
                            or SKIN_TONES[0] <= ch <= SKIN_TONES[1])


def _takes_selector(ch: str, after: str) -> bool:
    """Whether VS15/VS16 may follow `ch`: a non-ASCII symbol or punctuation (❤️, ‼️, ™️),
    ℹ️ (a letter), or a keycap's digit, # or * when the keycap mark follows (1️⃣)."""
    if ch.isascii():
        return ch in "0123456789#*" and after == KEYCAP
    return unicodedata.category(ch)[0] in "SP" or ch == "\u2139" or _new_emoji(ch)


def _char_problem(text: str, i: int) -> str:
    """Why text[i] cannot be typed where it stands ('' when it can)."""
    ch = text[i]
    before, after = text[i - 1] if i else "", text[i + 1:i + 2]
    if ch == ZWJ:
        joined = _pictograph(before) or before == VS16 and i > 1 and _pictograph(text[i - 2])
        return "" if joined and _pictograph(after) else "a joiner that joins no two emoji"
    if ch in (VS15, VS16):
        return "" if before and _takes_selector(before, after) else \
            "a variation selector after a character that has no emoji form"
    kind = unicodedata.category(ch)
    if kind in _REFUSED and not _new_emoji(ch):
        return _REFUSED[kind]
    return "an invisible character" if _INVISIBLE.match(ch) else ""


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
    text = FLAG.sub("\U0001F3F4", text)
    for i, ch in enumerate(text):
        if why := _char_problem(text, i):
            return f"a {what} with U+{ord(ch):04X} ({why})"
    if all(ch.isspace() or ch in (ZWJ, VS15, VS16) for ch in text):
        return f"a {what} with nothing visible in it"
    return ""


def name_problem(name: object) -> str:
    """Why `name` cannot name a taught face ('' when it can). A name is typed when the face
    has no emoji of its own, so it is text first; it is also a menu line, a JSON key and a
    label the tray compares with its states, so it is never blank, padded, a path, a class or
    a state, nor reads as one (Happy, ｈａｐｐｙ, fear, PAUSED, "no face": folded). Compare
    names as nfc() gives them."""
    if why := text_problem(name, "name"):
        return why
    if name != name.strip():
        return "a name with spaces around it"
    if "/" in name or "\\" in name:
        return "a name with / or \\ (a name is never a path)"
    meant = _RESERVED.get(folded(name))
    if meant in CLASSES:
        return f"{name!r} is built in" if name == meant else \
            f"{name!r} reads as the built-in {meant!r}"
    if meant is not None:
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
