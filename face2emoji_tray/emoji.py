"""Our classes, their default emoji, and the class names other datasets use for them."""
from __future__ import annotations

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


# A taught face (profile.py) is named by the person: any text, an emoji most often ("🤢",
# "👨‍👩‍👧": zero-width joiners and variation selectors are format characters, allowed).
RESERVED = CLASSES  # built in: never a taught face's name
MAX_NAME = 32  # characters: the longest emoji ZWJ sequences are 10


def name_problem(name: object) -> str:
    """Why `name` cannot name a taught face or be typed for one ('' when it can): it ends up
    in a menu line, a JSON file and keystrokes, so no control characters or line breaks."""
    import unicodedata  # only the names of taught faces need it

    if not isinstance(name, str) or not name.strip():
        return "an empty name"
    if len(name) > MAX_NAME:
        return f"a name of {len(name)} characters (at most {MAX_NAME})"
    if name != name.strip() or any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")
                                   for ch in name):
        return f"a name with control characters or spaces around it ({name!r})"
    return ""
