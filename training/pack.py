"""A compact copy of the training sets for a machine that lacks ../shared (a rented GPU).

    python -m training.pack runs/data        # then FACE2EMOJI_DATA=runs/data on that machine

Each training source of data.SOURCES is written under the same zip path and folder names,
as grayscale JPEG (quality 95 unless `--quality`) no larger than `--size`, training splits only: what train.py
reads, in about half the bytes. The copy is for one training run and is never committed
(the datasets' terms forbid redistribution); runs/ is ignored by git.
"""
from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

import cv2
import numpy as np

from training.data import DATA, IMAGE_EXT, SOURCES, square


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


if __name__ == "__main__":
    main()
