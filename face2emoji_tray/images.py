"""Decode image files and uploads into frames, with clear one-line errors.

Pillow decodes (it reports truncated files and applies EXIF orientation as phones expect);
the result is an 8-bit BGR array, the face stage's input. Memory is bounded before decoding:
the header's size is read first (Image.open is lazy) and an image over MAX_PIXELS or MAX_SIDE
is refused without decoding it; a JPEG is decoded already scaled down (draft: the DCT gives
1/2, 1/4 or 1/8 for almost nothing), other formats are scaled to WORK_SIDE right after
decoding. The CLI's predict/eval/calibrate and the preview page share this one decode.
A file is read like an upload is received: at most MAX_FILE bytes, and a regular file only
(files.read_bounded: a FIFO or /dev/zero named face.jpg is refused, not read for good).
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from face2emoji_tray import files

WORK_SIDE = 1920  # larger images are scaled down to this before the face stage
MAX_PIXELS = 40_000_000  # 40 MP, a 7300x5500 camera photo: 160 MB decoded at 4 bytes a pixel
MAX_SIDE = 12_000  # either side: a panorama strip beyond this is no face photo either
# A file's bytes: the largest image decoded (MAX_PIXELS) uncompressed at 3 bytes a pixel, a
# 40 MP BMP or TIFF, fits; a compressed photo of that size is a fraction of it.
MAX_FILE = 128 << 20
WIDE_GRAY = ("I;16", "I;16B", "I;16L", "I")  # 16/32-bit gray, which Pillow cannot scale


class ImageError(ValueError):
    """The file or upload is not an image we can use."""


class TooLarge(ImageError):
    """More pixels than MAX_PIXELS or MAX_SIDE allow: refused before decoding."""


def _opened(data: bytes) -> Image.Image:
    """The image with only its header read, refused when its size is beyond the caps."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
    width, height = img.size
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise TooLarge(f"image too large: {width}x{height} (at most "
                         f"{MAX_PIXELS / 1e6:.0f} MP and {MAX_SIDE} px a side)")
    if min(width, height) < 1:
        raise ImageError("image has no pixels")
    return img


def _eight_bit(img: Image.Image) -> Image.Image:
    """16/32-bit gray → 8-bit gray keeping the top 8 bits in use (a 12-bit sensor's image
    is not black); Pillow cannot scale those modes, so this comes before the thumbnail."""
    arr = np.asarray(img)
    if arr.dtype.kind == "i":
        arr = arr.clip(min=0)
    shift = max(int(arr.max()).bit_length() - 8, 0)
    return Image.fromarray((arr >> shift).astype(np.uint8))


def decode(data: bytes) -> np.ndarray:
    """Encoded bytes → BGR uint8 (H, W, 3), scaled to at most WORK_SIDE."""
    if not data:
        raise ImageError("empty file")
    try:
        img = _opened(data)
        if img.mode in WIDE_GRAY:
            img = _eight_bit(img)
        img.thumbnail((WORK_SIDE, WORK_SIDE))  # a JPEG's draft: decoded at the reduced size
        ImageOps.exif_transpose(img, in_place=True)
        rgb = np.asarray(img.convert("RGB"))
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooLarge(f"image too large (over {Image.MAX_IMAGE_PIXELS:,} pixels)") from None
    except UnidentifiedImageError:
        raise ImageError("not an image, or a format we cannot read") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"corrupt or truncated image ({str(exc).splitlines()[0][:80]})") from None
    return np.ascontiguousarray(rgb[..., ::-1])


def read(path: Path | str) -> np.ndarray:
    """A file → BGR frame; ImageError names what is wrong (not the path: callers add it)."""
    try:
        data = files.read_bounded(path, MAX_FILE)
    except files.Refused as exc:
        raise ImageError(str(exc)) from None
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
