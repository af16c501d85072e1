"""Every training and checking image through the face stage once: what the fusion learns from.

    python -m training.shapes --sets fer --out runs/shapes          # one process per group
    python -m training.shapes --sets rafdb-train affectnet sfew-train tcce tfeid yale london \
        rafdb-test sfew-val public-test --out runs/shapes

For each image: the shipped expression model's probabilities (the face crop as crossdata
reads it: given crops whole, photos through the face stage) and the face's shape from the
Face Landmarker: 52 blendshapes, head pose, 478 landmarks in pixels. Sets of ready face crops
(FER2013, RAF-DB, AffectNet, SFEW, TFEID) are scaled to 192 px with a quarter of a side of
replicated border around, so the short-range detector sees a whole head (found: FER2013 ~90%,
RAF-DB ~85%, AffectNet and TFEID ~100% in a 100-image probe each). One `<set>.npz` per set;
a face the mesh does not find has `found` False and zeros for its shape.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from face2emoji_tray.classifier import EXPRESSION_MODEL, Classifier
from face2emoji_tray.face import FaceFinder
from face2emoji_tray.preprocess import whole_image_crop
from face2emoji_tray.shape import BLENDSHAPES, LANDMARKS
from training.data import (AFFECTNET, DATA, FER_TEST, FER_TRAIN, POSED, RAFDB, SFEW, TCCE,
                           affectnet_label_of, photo_names, photos)

CROP_UP, CROP_MARGIN = 192, 0.25  # a given face crop → the mesh's input (see the docstring)


def _folder(entry: str) -> str:
    return entry.split("/")[-2]


# set → (zip, prefix, given crops?, the raw label of an entry: its folder, or None to skip)
SETS = {
    "fer": (FER_TRAIN, "", True, _folder),
    "public-test": (FER_TEST, "", True, _folder),
    "rafdb-train": (RAFDB, "train/", True, _folder),
    "rafdb-test": (RAFDB, "test/", True, _folder),
    "affectnet": (AFFECTNET, "", True, None),  # agreed labels only: affectnet_folder
    "sfew-train": (SFEW, "train/", True, _folder),
    "sfew-val": (SFEW, "val/", True, _folder),
    "tfeid": (POSED, "tfeid/", True, _folder),
    "yale": (POSED, "yale/", False, _folder),
    "london": (POSED, "london/", False, _folder),
    "tcce": (TCCE, "tcce/", False, lambda e: e.split("/")[-1][4]),
}


def source_zip(set_name: str) -> Path:
    """The archive a set is read from (the shape model's metadata records its hash)."""
    return SETS[set_name][0]


def affectnet_folder():
    """The raw label of an AffectNet entry: its folder where labels.csv agrees with it, else
    None (data.affectnet_label_of decides; disgust counts as a label here)."""
    agreed = affectnet_label_of(DATA, disgust_as_angry=True)
    return lambda entry: _folder(entry) if agreed(entry) is not None else None


def person(set_name: str, entry: str) -> str:
    """Who is in the photo, for the posed sets (split by person); '' elsewhere."""
    file = entry.split("/")[-1]
    if set_name == "tfeid":
        return file.split("_")[0]
    if set_name == "yale":
        return file.split(".")[0]
    if set_name == "london":
        return file.split("_")[0]
    if set_name == "tcce":
        return file[:2]
    return ""


def padded(img: np.ndarray) -> np.ndarray:
    """A tight face crop → a larger image with the face in the middle, for the detector."""
    up = cv2.resize(img, (CROP_UP, CROP_UP), interpolation=cv2.INTER_CUBIC)
    m = int(CROP_UP * CROP_MARGIN)
    return cv2.copyMakeBorder(up, m, m, m, m, cv2.BORDER_REPLICATE)


def measure_set(name: str, model: Classifier, finder: FaceFinder, label_of) -> dict:
    path, prefix, crops, _ = SETS[name]
    entries = [(e, label_of(e)) for e in photo_names(path, prefix)]
    entries = [(e, r) for e, r in entries if r is not None]
    n = len(entries)
    out = {"names": np.array([e for e, _ in entries]), "raw": np.array([r for _, r in entries]),
           "person": np.array([person(name, e) for e, _ in entries]),
           "probs": np.zeros((n, len(model.classes)), np.float32), "found": np.zeros(n, bool),
           "count": np.zeros(n, np.int8), "blend": np.zeros((n, BLENDSHAPES), np.float32),
           "pose": np.zeros((n, 3), np.float32), "lm": np.zeros((n, LANDMARKS, 2), np.float32),
           "cnn": np.zeros(n, bool)}
    t0 = time.time()
    for start in range(0, n, 500):
        chunk = entries[start : start + 500]
        for i, img in enumerate(photos(path, [e for e, _ in chunk]), start):
            found = finder.prepare(padded(img) if crops else img)
            crop = whole_image_crop(img, model.spec) if crops else (
                found.face.crop if found.face is not None else None)
            if crop is not None:
                out["probs"][i], out["cnn"][i] = model.probs([crop])[0], True
            out["count"][i] = found.count
            face = found.face
            if face is None or face.blendshapes is None:
                continue
            out["found"][i] = True
            out["blend_names"] = np.array(list(face.blendshapes))
            out["blend"][i] = list(face.blendshapes.values())
            out["pose"][i] = (face.pose.yaw, face.pose.pitch, face.pose.roll)
            out["lm"][i] = face.landmarks
        print(f"{name}: {min(start + 500, n)}/{n}  found {out['found'][:start + 500].sum()}  "
              f"{time.time() - t0:.0f} s", flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", choices=sorted(SETS), required=True)
    ap.add_argument("--out", type=Path, default=Path("runs/shapes"))
    ap.add_argument("--model", type=Path, default=EXPRESSION_MODEL)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    model = Classifier(args.model, threads=1)
    with FaceFinder(model.spec) as finder:
        for name in args.sets:
            label_of = SETS[name][3] or affectnet_folder()
            result = measure_set(name, model, finder, label_of)
            np.savez_compressed(args.out / f"{name}.npz", **result)


if __name__ == "__main__":
    main()
