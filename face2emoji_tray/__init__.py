"""Face2Emoji: the face you make becomes the emoji you mean."""
__version__ = "0.1.0"
