"""A compact copy of the training sets for a machine that lacks ../shared (a rented GPU).

    python -m training.pack runs/data        # then FACE2EMOJI_DATA=runs/data on that machine

Each training source of data.SOURCES is written under the same zip path and folder names,
as grayscale JPEG (quality 95 unless `--quality`) no larger than `--size`, training splits only: what train.py
reads, in about half the bytes. The copy is for one training run and is never committed
(the datasets' terms forbid redistribution); runs/ is ignored by git.

The copy must give train.py the same images, or its seeded validation split moves and
validation is no longer held out: at quality 85, JPEG noise lifted 3 near-blank faces over
`data.clean`'s flat-image limit, and 1,195 of the 3,808 validation faces changed sides. So
the copy is checked against the original and refused when the cleaned sets differ.
"""
from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

import cv2
import numpy as np

from training.data import DATA, IMAGE_EXT, SOURCES, square, training_faces


def pack_zip(src: Path, dest: Path, prefix: str, size: int, quality: int = 95) -> int:
    """Re-encode the images under `prefix` of zip `src` into zip `dest`; returns the count."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zout:
        for name in sorted(zin.namelist()):
            if not (name.startswith(prefix) and name.lower().endswith(IMAGE_EXT)):
                continue
            img = cv2.imdecode(np.frombuffer(zin.read(name), np.uint8), cv2.IMREAD_GRAYSCALE)
            if min(img.shape) > size:
                img = square(img, size)
            ok, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
            zout.writestr(name.rsplit(".", 1)[0] + ".jpg", jpg.tobytes())
            n += 1
    return n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--size", type=int, default=64, help="largest side kept (train.py's size)")
    ap.add_argument("--sources", nargs="+", default=sorted(SOURCES), choices=sorted(SOURCES))
    ap.add_argument("--quality", type=int, default=95, help="JPEG quality (smaller copy: 90)")
    args = ap.parse_args(argv)
    for src in args.sources:
        path, prefix = SOURCES[src]
        dest = args.out / path.relative_to(DATA)
        n = pack_zip(path, dest, prefix, args.size, args.quality)
        print(f"{src}: {n} images → {dest} ({dest.stat().st_size / 1e6:.1f} MB)")
    check_same_faces(args.out, tuple(args.sources), args.size)


def check_same_faces(copy: Path, sources: tuple[str, ...], size: int) -> None:
    """The cleaned training set read from `copy` must hold the original's images, in order."""
    def names(root: Path) -> list[str]:
        faces = training_faces(sources, size, disgust_as_angry=True, root=root)
        return [n.rsplit(".", 1)[0] for n in faces.names]

    if names(copy) != names(DATA):
        raise SystemExit(f"{copy}: the copy's cleaned training set differs from the original's "
                         "(train.py's validation split would move); use a higher --quality")
    print("checked: the copy gives train.py the same faces, so the same validation split")


if __name__ == "__main__":
    main()
