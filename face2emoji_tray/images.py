"""Decode image files and uploads into frames, with clear one-line errors.

Pillow decodes (it checks dimensions before decoding, so an image bomb is refused cheaply,
reports truncated files, and applies EXIF orientation as phones expect); the result is an
8-bit BGR array, the face stage's input.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 12_000  # refuse larger images: a 12k x 12k RGB frame is already 430 MB
WORK_SIDE = 1920  # larger images are scaled down before the face stage


class ImageError(ValueError):
    """The file or upload is not an image we can use."""


def decode(data: bytes, max_side: int = MAX_SIDE) -> np.ndarray:
    """Encoded bytes → BGR uint8 (H, W, 3), scaled to at most WORK_SIDE."""
    if not data:
        raise ImageError("empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if max(img.size) > max_side:
                raise ImageError(f"image too large: {img.size[0]}x{img.size[1]} "
                                 f"(at most {max_side} px a side)")
            if min(img.size) < 1:
                raise ImageError("image has no pixels")
            img = ImageOps.exif_transpose(img)
            img.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"image too large (over {Image.MAX_IMAGE_PIXELS:,} pixels)") from None
    except UnidentifiedImageError:
        raise ImageError("not an image, or a format we cannot read") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"corrupt or truncated image ({str(exc).splitlines()[0][:80]})") from None
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16/32-bit gray: keep the top 8 used bits
        arr = np.asarray(img).astype(np.int64).clip(min=0)
        shift = max(int(arr.max()).bit_length() - 8, 0)
        img = Image.fromarray((arr >> shift).astype(np.uint8))
    img.thumbnail((WORK_SIDE, WORK_SIDE))
    rgb = np.asarray(img.convert("RGB"))
    return np.ascontiguousarray(rgb[..., ::-1])


def read(path: Path | str) -> np.ndarray:
    """A file → BGR frame; ImageError names what is wrong (not the path: callers add it)."""
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise ImageError("is a folder") from None
    except OSError as exc:
        raise ImageError(exc.strerror or "cannot read") from None
    return decode(data)


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"}


def walk(paths: list[Path]) -> list[Path]:
    """Files as given; folders walked for images, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES))
        else:
            out.append(p)
    return out
