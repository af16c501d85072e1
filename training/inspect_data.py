"""Look at the data before training on it: a sample grid per class, sharpness and duplicates.

    python -m training.inspect_data --out runs/inspect

Prints per-class counts, the share of blurry (Laplacian variance below a threshold) and
flat images, exact duplicates within each set, and training images that also appear in the
set measured against them (leakage). Writes one grid PNG per set. RAF-DB and SFEW are looked
at as train.py reads them (64 px grayscale), FER2013 and CEW as stored.
"""
from __future__ import annotations

import argparse
import hashlib
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np

from training.data import CEW, FER_TEST, FER_TRAIN, RAFDB, SFEW, read_zip

BLURRY = 20.0  # Laplacian variance; FER2013's 48x48 faces sit mostly in the hundreds


# title → (zip, folder prefix, size to read at: None keeps the stored size)
SETS = {"fer2013 train": (FER_TRAIN, "", None), "fer2013 public_test": (FER_TEST, "", None),
        "rafdb train": (RAFDB, "train/", 64), "rafdb test": (RAFDB, "test/", 64),
        "sfew train": (SFEW, "train/", 64), "sfew val": (SFEW, "val/", 64),
        "cew": (CEW, "", None)}
LEAKS = (("fer2013 train", "fer2013 public_test"), ("rafdb train", "rafdb test"),
         ("sfew train", "sfew val"), ("rafdb train", "fer2013 public_test"))


def folder(name: str) -> str:
    return name.split("/")[-2]


def grid(images, per_class: int = 12, cell: int = 64) -> np.ndarray:
    rows = []
    by_class = defaultdict(list)
    for img, name in zip(images.x, images.names):
        by_class[folder(name)].append(img)
    rng = np.random.default_rng(0)
    for cls in sorted(by_class):
        pick = rng.choice(len(by_class[cls]), per_class, replace=False)
        rows.append(np.hstack([cv2.resize(by_class[cls][i], (cell, cell)) for i in pick]))
    return np.vstack(rows)


def report(title: str, images) -> set[str]:
    sharp = np.array([cv2.Laplacian(x, cv2.CV_64F).var() for x in images.x])
    flat = np.array([x.std() < 5 for x in images.x])
    digests = [hashlib.sha1(x.tobytes()).hexdigest() for x in images.x]
    dup = sum(n - 1 for n in Counter(digests).values() if n > 1)
    print(f"## {title}: {len(images.x)} images")
    for cls, n in sorted(Counter(folder(n) for n in images.names).items()):
        print(f"  {cls:18s} {n:6d}")
    print(f"  sharpness (Laplacian var) median {np.median(sharp):.0f}, "
          f"p5 {np.percentile(sharp, 5):.0f}; blurry (<{BLURRY:.0f}) {np.mean(sharp < BLURRY):.1%}")
    print(f"  flat images (std<5): {flat.sum()}; exact duplicates: {dup}")
    return set(digests)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("runs/inspect"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    every = lambda name: 0  # noqa: E731 — keep every image, labels come from folders
    seen = {}
    for title, (path, prefix, size) in SETS.items():
        images = read_zip(path, every, prefix=prefix, size=size)
        seen[title] = report(title, images)
        out = args.out / f"{title.replace(' ', '_')}.png"
        cv2.imwrite(str(out), grid(images))
        print(f"  grid: {out}")
    for train, held in LEAKS:
        print(f"{train} images also in {held} (pixel-identical): {len(seen[train] & seen[held])}")


if __name__ == "__main__":
    main()
