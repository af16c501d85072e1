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
