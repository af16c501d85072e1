"""Where the files the app ships with are: models/ (the ONNX models and their SHA256SUMS) and
assets/ (the tray's emoji icons).

Both stay at the top of the repository, where training writes models/ and
tools/make_assets.py writes assets/. setup.cfg's package_dir puts them inside the package in
a wheel (face2emoji_tray/models, face2emoji_tray/assets), so an installed app finds them with
importlib.resources; a checkout, and the editable install `make run` makes of it, has no such
folder in the package and uses the repository's own.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_dir(name: str) -> Path:
    """The folder `name` ("models" or "assets") installed in the package, or else the one at
    the top of the repository this package was imported from. A real path either way: ONNX
    Runtime and Pillow open files by name (a wheel is always unpacked, never zip-imported)."""
    installed = resources.files(__package__) / name
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parent.parent / name


class ModelError(RuntimeError):
    """A shipped model file is missing, unreadable, or not the one we ship; the message names
    the file (the CLI's exit code 3)."""
