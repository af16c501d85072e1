"""How a model holds beyond FER2013: the cross-dataset table of the model card.

    python -m training.crossdata --model models/expression.onnx runs/a.onnx
    python -m training.crossdata --model m.onnx --crop-scales 1.1 1.2 1.3 1.4 1.5

Sets (never trained on; see ../shared/data/README.md): RAF-DB test, TFEID and SFEW val as
the given face crops (classes we have, disgust left out; a model may still answer neutral,
which counts as wrong where a set has no neutral), and London, Yale and TCCE performers
21–30 (posed/tcce.zip, kept out of training) photos through the app's own face stage, whose
crop scale is varied with --crop-scales to choose the framing that matches the training
crops. The face's shape is fused as the app does it (`--no-shape`: the pixels alone); a
given crop's shape is measured on the crop padded (training.shapes.padded). Plus the validation split of the mix training data (model choice). Figures are
accuracy over the images of each set; a photo without a found face counts as wrong.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from face2emoji_tray.classifier import Classifier
from face2emoji_tray.emoji import FACE_CLASSES, our_class
from face2emoji_tray.face import Face, FaceFinder
from face2emoji_tray.preprocess import whole_image_crop
from face2emoji_tray.shape import SHAPE_MODEL, ShapeFusion
from training.data import (POSED, RAFDB, SFEW, TCCE, TCCE_CHECK, VAL_FRACTION, photo_names,
                           photos, split, tcce_label, tcce_performer, training_faces)
from training.evaluate import predict
from training.shapes import padded

YALE = {"happy": "happy", "sad": "sad", "surprised": "surprised", "normal": "neutral"}


def by_folder(label_of) -> Callable[[str], str | None]:
    """An entry's class from the name of its folder (`set/<class>/file`)."""
    return lambda entry: label_of(entry.split("/")[-2])


def tcce_check(entry: str) -> str | None:
    """A TCCE photo of a performer kept out of training (21–30) → our class; disgusted is
    left out, as everywhere in this table."""
    if tcce_performer(entry) not in TCCE_CHECK:
        return None
    return tcce_label(entry, disgust_as_angry=False)


# name → (zip, prefix, label of an entry)
CROP_SETS = {"rafdb-test": (RAFDB, "test/", by_folder(our_class)),
             "tfeid": (POSED, "tfeid/", by_folder(our_class)),
             "sfew-val": (SFEW, "val/", by_folder(our_class))}
PHOTO_SETS = {"london": (POSED, "london/", by_folder(our_class)),
              "yale": (POSED, "yale/", by_folder(YALE.get)),
              "tcce-21-30": (TCCE, "tcce/", tcce_check)}


def labelled(path: Path, prefix: str, label_of) -> list[tuple[str, str]]:
    """(entry, our class) for every image under `prefix` that `label_of` maps to a class."""
    out = [(n, label_of(n)) for n in photo_names(path, prefix)]
    return [(n, c) for n, c in out if c in FACE_CLASSES]


def score(truth: list[str], predicted: list[str]) -> dict:
    t, p = np.array(truth), np.array(predicted)
    per_class = {str(c): f"{int((p[t == c] == c).sum())}/{int((t == c).sum())}" for c in np.unique(t)}
    return {"accuracy": float((t == p).mean()), "correct": int((t == p).sum()), "images": len(t),
            "per_class": per_class}


def fused(shape: ShapeFusion | None, probs: np.ndarray, face: Face | None) -> np.ndarray:
    """The expression probabilities with the face's shape, as the app fuses them (the
    pixels alone where there is no shape model or no mesh)."""
    return probs if shape is None or face is None else shape.read(probs, face)


def crop_set(model: Classifier, path: Path, prefix: str, label_of,
             shape: ShapeFusion | None = None) -> dict:
    """Given face crops, whole; their shape from the mesh on the crop padded (shapes.padded)."""
    entries = labelled(path, prefix, label_of)
    images = photos(path, [n for n, _ in entries])
    probs = model.probs([whole_image_crop(img, model.spec) for img in images])
    if shape is not None:
        with FaceFinder(model.spec) as finder:
            probs = np.stack([fused(shape, p, finder.prepare(padded(img)).face)
                              for p, img in zip(probs, images)])
    predicted = [model.classes[i] for i in probs.argmax(1)]
    return score([c for _, c in entries], predicted)


def photo_set(model: Classifier, path: Path, prefix: str, label_of, crop_scale: float,
              shape: ShapeFusion | None = None) -> dict:
    """Photos through the face stage, the way the app reads them."""
    entries = labelled(path, prefix, label_of)
    spec = replace(model.spec, crop_scale=crop_scale)
    predicted = []
    with FaceFinder(spec) as finder:
        for img in photos(path, [n for n, _ in entries]):
            face = finder.prepare(img).face
            predicted.append("no_face" if face is None else model.classes[int(
                fused(shape, model.probs([face.crop])[0], face).argmax())])
    return score([c for _, c in entries], predicted)


@lru_cache(maxsize=1)
def _held_out() -> tuple[np.ndarray, np.ndarray, list[str]]:
    data = training_faces(("fer", "rafdb", "sfew"), 64, disgust_as_angry=True)
    _, held = split(data.y, VAL_FRACTION, seed=0)
    return data.x[held], data.y[held], [data.names[i] for i in held]


def mix_held_out_names() -> set[str]:
    """The names (`fer:angry/…`) of the faces the mix networks' split held out."""
    return set(_held_out()[2])


def mix_validation(model: Classifier) -> dict:
    """train.py's held-out split of the mix preset's data (FER2013 + RAF-DB + SFEW train)."""
    x, y, _ = _held_out()
    return score([FACE_CLASSES[i] for i in y], predict(model, x))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, nargs="+", required=True)
    ap.add_argument("--crop-scales", type=float, nargs="+", help="face-stage framings to try")
    ap.add_argument("--validation", action="store_true", help="also the mix validation split")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--shape", type=Path, default=SHAPE_MODEL,
                    help="the shape fusion model (default the shipped one)")
    ap.add_argument("--no-shape", action="store_true", help="the pixels alone")
    args = ap.parse_args(argv)
    results = {}
    for path in args.model:
        model = Classifier(path, threads=2)
        shape = None if args.no_shape else ShapeFusion(args.shape, classes=model.classes)
        r = {name: crop_set(model, *where, shape) for name, where in CROP_SETS.items()}
        for scale in args.crop_scales or [model.spec.crop_scale]:
            for name, where in PHOTO_SETS.items():
                r[f"{name}@{scale}"] = photo_set(model, *where, scale, shape)
        if args.validation:
            r["mix-validation"] = mix_validation(model)
        results[str(path)] = r
        for name, s in r.items():
            print(f"{path.name:<28} {name:<16} {s['accuracy']:6.1%}  {s['correct']}/{s['images']}  "
                  f"{s['per_class']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
