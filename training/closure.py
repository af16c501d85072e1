"""How slight a wink does the rule find? Eyelids lowered by a known fraction on real faces.

    python -m training.closure          # the wink rule on synthetic closures, per fraction

Real winks are few here (21 + 15), and each closes the eye by an unknown amount. This tool
lowers the upper eyelid of one or both eyes of open-eyed photos (London Set, 600 px, and
Yale's `normal`, 320×243) by a fraction c of the eye's opening, and asks the app's own face
stage and wink rule what they see, per c:
- one eye lowered by c, the other untouched: how slight a wink is still found;
- both eyes lowered by c (a squint, a slow blink): never a wink;
- both lowered, one by 0.2 more (a laugh narrows the eyes unevenly): the case that competes
  with a slight wink, which is why a threshold for everyone cannot find slight winks.

The lid is lowered in an eye-level crop at 4× the photo's resolution: the skin between a line
above the crease and the lid margin is stretched down until the margin sits at the new
height; the lower part of the eye stays visible, as under a real closing lid. Every eye goes
through the same resamplings whatever c is (c = 0 included: up into the crop and back down;
the stretch in between moves no pixel outside the lowered band), so resampling is no cue.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import cv2
import numpy as np

from face2emoji_tray.eyes import EyeReader
from face2emoji_tray.face import FaceFinder
from face2emoji_tray.preprocess import InputSpec
from training.data import POSED, photo_names, photos
from training.winks import eyes_of

# Eyelid contours of the refined face mesh, corner to corner: (upper, lower) per eye, in the
# order Eyes uses, the subject's left eye first.
LIDS = (((263, 466, 388, 387, 386, 385, 384, 398, 362),
         (263, 249, 390, 373, 374, 380, 381, 382, 362)),
        ((33, 246, 161, 160, 159, 158, 157, 173, 133),
         (33, 7, 163, 144, 145, 153, 154, 155, 133)))
UP = 4  # the crop's resolution over the photo's
CREASE = 0.45  # the stretched skin reaches this far above the lid, in eye widths
FRACTIONS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
SETS = {"london": "london/neutral/", "yale": "yale/normal/"}


def _lid(xs: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """The lid's height at each column, through its landmarks (left to right)."""
    order = np.argsort(pts[:, 0])
    return np.interp(xs, pts[order, 0], pts[order, 1])


def close_eye(bgr: np.ndarray, landmarks: np.ndarray, eye: int, c: float) -> np.ndarray:
    """`bgr` with eye `eye` (0: the subject's left) closed by the fraction `c` (0 … 1)."""
    upper, lower = (landmarks[list(i)] for i in LIDS[eye])
    a, b = sorted((upper[0], upper[-1]), key=lambda p: p[0])  # left corner first: no flip
    width = float(np.linalg.norm(b - a))
    centre = (a + b) / 2
    side = int(math.ceil(3 * width * UP)) | 1
    m = cv2.getRotationMatrix2D(tuple(centre.tolist()),
                                math.degrees(math.atan2(b[1] - a[1], b[0] - a[0])), UP)
    m[:, 2] += (side / 2 - centre[0], side / 2 - centre[1])
    crop = cv2.warpAffine(bgr, m, (side, side), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REPLICATE)
    pu, pl = upper @ m[:, :2].T + m[:, 2], lower @ m[:, :2].T + m[:, 2]
    xs = np.arange(side, dtype=np.float32)
    top, bottom = _lid(xs, pu), _lid(xs, pl)
    inside = (xs > pu[:, 0].min()) & (xs < pu[:, 0].max())
    bottom = np.where(inside, np.maximum(bottom, top), top)
    margin = top + c * (bottom - top)  # where the lid margin goes
    crease = top - CREASE * width * UP
    y, x = np.mgrid[0:side, 0:side].astype(np.float32)
    stretched = (y >= crease) & (y <= margin)
    source = np.where(stretched, crease + (y - crease) * (top - crease)
                      / np.maximum(margin - crease, 1e-3), y)  # (a zero-width eye: no division)
    closed = cv2.remap(crop, x, source.astype(np.float32), cv2.INTER_CUBIC,
                       borderMode=cv2.BORDER_REPLICATE)
    back = cv2.invertAffineTransform(m)
    size = (bgr.shape[1], bgr.shape[0])
    mask = np.zeros((side, side), np.float32)
    cv2.ellipse(mask, (side // 2, side // 2), (int(0.9 * width * UP), int(0.75 * width * UP)),
                0, 0, 360, 1.0, -1)
    mask = cv2.warpAffine(cv2.GaussianBlur(mask, (0, 0), 0.12 * width * UP), back, size)[..., None]
    pasted = cv2.warpAffine(closed, back, size, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)  # warpAffine has no area mode
    return (bgr * (1 - mask) + pasted * mask).astype(np.uint8)


def lowered(bgr: np.ndarray, landmarks: np.ndarray, c: tuple[float, float]) -> np.ndarray:
    """Both eyes through close_eye, by c[0] (left) and c[1] (right)."""
    for eye in (0, 1):
        bgr = close_eye(bgr, landmarks, eye, c[eye])
    return bgr


def cases(c: float) -> dict[str, tuple[float, float]]:
    """The three kinds of closing, as (lowered eye, other eye) fractions."""
    return {"wink": (c, 0.0), "both": (c, c), "uneven": (c, max(c - 0.2, 0.0))}


def read_as_wink(finder: FaceFinder, reader: EyeReader, img: np.ndarray, lm: np.ndarray,
                 c: tuple[float, float]) -> bool:
    """The app's face stage and wink rule on the photo with its lids lowered by c."""
    eyes = eyes_of(finder, reader, lowered(img, lm, c))
    return bool(eyes and eyes.is_wink())


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    reader, report = EyeReader(), {}
    with FaceFinder(InputSpec()) as finder:
        for name, prefix in SETS.items():
            shots = [(img, finder.prepare(img).face)
                     for img in photos(POSED, photo_names(POSED, prefix))]
            shots = [(img, face.landmarks) for img, face in shots if face is not None]
            table = {}
            for c in FRACTIONS:
                table[c] = {case: sum(read_as_wink(finder, reader, img, lm,
                                                   pair if i % 2 else pair[::-1])  # either eye
                                      for i, (img, lm) in enumerate(shots))
                            for case, pair in cases(c).items()}
                print(f"{name:<7} c={c:.1f}  read as a wink of {len(shots)}: "
                      + "  ".join(f"{case} {n}" for case, n in table[c].items()), flush=True)
            report[name] = {"faces": len(shots), "by_fraction": table}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
