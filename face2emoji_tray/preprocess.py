"""THE preprocessing: any image to 8-bit BGR, and a face crop to the tensor the classifier reads.

Training, evaluation and the app all use these (through face.py's aligned crops, or
whole_image_crop for datasets of ready face crops), so the pixels a network sees at run time
are made exactly as the pixels it was trained on. Histogram equalisation in :func:`to_input`
makes the input invariant to any monotonic change of brightness (dark, bright, gamma), the
failure the original web prototype met on real webcams.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


class FaceError(ValueError):
    """The input is not an image the face stage can read."""


@dataclass(frozen=True)
class InputSpec:
    """What the classifier wants: from the model's metadata."""

    size: int = 64
    color: str = "gray"  # "gray" or "rgb"
    equalize: bool = True
    mean: float = 0.5
    std: float = 0.5
    crop_scale: float = 1.3  # face crop side / landmark extent: the training crops' framing

    @property
    def channels(self) -> int:
        return 1 if self.color == "gray" else 3


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Any gray/BGR/BGRA, 8- or 16-bit array → 8-bit BGR; a clear FaceError otherwise."""
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise FaceError("not an image: empty or not an array")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise FaceError(f"not an image: array of shape {image.shape}")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype in (np.float32, np.float64):
        image = np.clip(image * 255.0, 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise FaceError(f"not an image: unsupported pixel type {image.dtype}")
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def color(bgr: np.ndarray, spec: InputSpec) -> np.ndarray:
    if spec.color == "gray":
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def to_input(crop: np.ndarray, spec: InputSpec) -> np.ndarray:
    """uint8 crop (spec size and colour) → float32 CHW tensor the network reads."""
    img = crop
    if spec.equalize:
        if img.ndim == 2:
            img = cv2.equalizeHist(img)
        else:  # equalise luminance only, keep the colours
            ycc = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)
            ycc[..., 0] = cv2.equalizeHist(ycc[..., 0])
            img = cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
    x = (img.astype(np.float32) / 255.0 - spec.mean) / spec.std
    return x[None] if x.ndim == 2 else x.transpose(2, 0, 1)


def whole_image_crop(image: np.ndarray, spec: InputSpec) -> np.ndarray:
    """Treat the whole image as an already cropped face (FER2013-style 48x48 crops)."""
    bgr = as_bgr(image)
    h, w = bgr.shape[:2]
    side = min(h, w)  # centre square: a face crop is square in all our datasets
    y0, x0 = (h - side) // 2, (w - side) // 2
    square = bgr[y0 : y0 + side, x0 : x0 + side]
    interp = cv2.INTER_AREA if side > spec.size else cv2.INTER_LINEAR
    return color(cv2.resize(square, (spec.size, spec.size), interpolation=interp), spec)
