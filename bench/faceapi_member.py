"""face-api.js's expression net as a member of ours, measured before anyone rebuilds it.

    (cd bench/faceapi && npm ci)
    .venv/bin/python -m bench.faceapi_member [--processes 2]

Rebuilding face-api.js's `faceExpressionNet` (MIT; 112 px colour) in ONNX is worth it only if
averaging it with ours reads more faces right. This measures that with the real net in its own
runtime (bench/faceapi/faceapi.js, tfjs wasm), on the crop our app would give it: the given
crops whole (as bench.compare), photos cut by our face stage at 112 px colour (not face-api's
own detector). Ours is the app's reading (the pixels with the face's shape fused). Each set of
training.crossdata is reported for ours alone, face-api.js alone on our crop, and their mean
with face-api.js at MEMBER_WEIGHTS; disgust is left out of face-api's scores.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from bench.compare import CROP_SETS, FACEAPI_CLASSES, PHOTO_SETS, FaceApi
from face2emoji_tray.classifier import Classifier
from face2emoji_tray.emoji import FACE_CLASSES
from face2emoji_tray.face import FaceFinder, align_face
from face2emoji_tray.preprocess import whole_image_crop
from face2emoji_tray.shape import ShapeFusion
from training import crossdata
from training.data import photos
from training.shapes import padded

MEMBER_WEIGHTS = (0.25, 0.5)
FACEAPI_SIZE = 112
RESULTS = Path(__file__).resolve().parent / "results" / "faceapi_member.json"


def faceapi_probs(scores: dict | None) -> np.ndarray:
    """face-api's scores over our six classes (renormalised without disgusted); uniform when
    it was given no face."""
    if scores is None:
        return np.full(len(FACE_CLASSES), 1 / len(FACE_CLASSES))
    p = np.zeros(len(FACE_CLASSES))
    for theirs, ours in FACEAPI_CLASSES.items():
        p[FACE_CLASSES.index(ours)] = scores[theirs]
    return p / p.sum()


def both_readings(model: Classifier, shape: ShapeFusion, api: FaceApi, images: list[np.ndarray],
                  given_crops: bool) -> tuple[np.ndarray, np.ndarray]:
    """(ours, face-api.js's) probabilities for each image; a photo whose face our stage misses
    is uniform for both (counted wrong)."""
    colour = replace(model.spec, size=FACEAPI_SIZE, color="rgb")
    ours, theirs = [], []
    with FaceFinder(model.spec) as finder:
        for img in images:
            face = finder.prepare(padded(img) if given_crops else img).face
            if given_crops:
                p = model.probs([whole_image_crop(img, model.spec)])[0]
                crop = img
            elif face is None:
                ours.append(np.full(len(FACE_CLASSES), 1 / len(FACE_CLASSES)))
                theirs.append(ours[-1])
                continue
            else:
                p = model.probs([face.crop])[0]
                rgb = align_face(img, face.landmarks, colour).crop
                crop = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
            ours.append(crossdata.fused(shape, p, face))
            theirs.append(faceapi_probs(api.read(crop, detect=False)["scores"]))
    return np.array(ours), np.array(theirs)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=2)
    args = ap.parse_args(argv)
    model = Classifier(threads=1)
    shape = ShapeFusion(classes=model.classes)
    out = {}
    with FaceApi(args.processes) as api:
        for sets, given in ((CROP_SETS, True), (PHOTO_SETS, False)):
            for name, where in sets.items():
                entries = crossdata.labelled(*where)
                truth = [c for _, c in entries]
                ours, theirs = both_readings(model, shape, api,
                                             photos(where[0], [n for n, _ in entries]), given)
                row = {"ours": ours, "face-api.js on our crop": theirs,
                       **{f"mean, face-api.js {w:.0%}": (1 - w) * ours + w * theirs
                          for w in MEMBER_WEIGHTS}}
                out[name] = {who: crossdata.score(truth, [FACE_CLASSES[i] for i in p.argmax(1)])
                             for who, p in row.items()}
                print(name, "  ".join(f"{who} {s['accuracy']:.1%}" for who, s in out[name].items()),
                      flush=True)
    RESULTS.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
