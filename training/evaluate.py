"""The model card's figures: public_test scores, robustness, where disgust goes, eye accuracy.

    python -m training.evaluate                 # → models/report/ (JSON + confusion PNG), prints tables
    python -m training.evaluate --validation --model A.onnx B.onnx   # choose between models

Everything goes through the app's own path (Classifier + the face stage's whole-image crop)
on the shipped ONNX files, so the figures are the ones a user gets. public_test is used
here only, never for training or model choice: `--validation` scores candidate models on the
split train.py holds out of train.zip instead.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from face2emoji_tray import evaluate
from face2emoji_tray.classifier import EXPRESSION_MODEL, EYE_MODEL, MODELS, Classifier
from face2emoji_tray.emoji import FACE_CLASSES, our_class
from face2emoji_tray.face import FaceFinder
from face2emoji_tray.preprocess import InputSpec, whole_image_crop
from training.data import (CEW, FER_TEST, FER_TRAIN, FERPLUS_TEST, VAL_FRACTION, cew_face,
                           cew_label, clean, fer_label, ferplus_votes, read_zip, split)

REPORT = MODELS / "report"


def _rotate(img: np.ndarray, deg: float) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0), (w, h),
                          borderMode=cv2.BORDER_REPLICATE)


def _gamma(img: np.ndarray, g: float) -> np.ndarray:
    return (255 * (img / 255.0) ** g).astype(np.uint8)


# What a webcam does to a face that a curated dataset does not: each condition is one
# function of a uint8 grayscale face crop.
CONDITIONS = {
    "clean": lambda x: x,
    "dark (x0.4)": lambda x: (x * 0.4).astype(np.uint8),
    "bright (+60)": lambda x: np.clip(x.astype(int) + 60, 0, 255).astype(np.uint8),
    "low contrast (x0.5)": lambda x: (x * 0.5 + 64).astype(np.uint8),
    "gamma 2.0": lambda x: _gamma(x, 2.0),
    "gamma 0.5": lambda x: _gamma(x, 0.5),
    "side shadow": lambda x: (x * np.linspace(0.35, 1.0, x.shape[1])[None, :]).astype(np.uint8),
    "blur (5x5)": lambda x: cv2.GaussianBlur(x, (5, 5), 0),
    "noise (sd 10)": lambda x: np.clip(x + np.random.default_rng(0).normal(0, 10, x.shape), 0,
                                       255).astype(np.uint8),
    "rotate 15°": lambda x: _rotate(x, 15),
    "low-res (24 px)": lambda x: cv2.resize(cv2.resize(x, (24, 24), interpolation=cv2.INTER_AREA),
                                            x.shape[::-1], interpolation=cv2.INTER_LINEAR),
}


def fer_label_all(name: str) -> str:
    """public_test folder → our class, or 'disgust' (kept here to see where it goes)."""
    folder = name.split("/")[-2]
    return our_class(folder) or folder


def predict(model: Classifier, faces: np.ndarray) -> list[str]:
    out = []
    for start in range(0, len(faces), 256):
        crops = [whole_image_crop(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR), model.spec)
                 for f in faces[start : start + 256]]
        out += [model.classes[i] for i in model.probs(crops).argmax(1)]
    return out


def ferplus_majority(model: Classifier) -> dict:
    """public_test scored on FER+'s majority of ten votes (disgust folded into angry; faces
    voted mostly unknown or not a face left out): FER2013's own labels are noisy."""
    votes = ferplus_votes(FERPLUS_TEST)
    data = read_zip(FER_TEST, lambda n: 0 if n.rsplit(".", 1)[0] in votes else None)
    truth = [FACE_CLASSES[int(votes[n.rsplit(".", 1)[0]].argmax())] for n in data.names]
    hit = np.array(predict(model, data.x)) == np.array(truth)
    return {"images": int(len(hit)), "accuracy": float(hit.mean())}


def false_winks(smiles: np.ndarray) -> dict:
    """How often the wink rule fires on smiling faces (a broad smile narrows both eyes).
    The 48 px faces are scaled up into a webcam-sized frame so the landmarks can be found."""
    from face2emoji_tray.eyes import EyeReader

    eyes, measured, winks = EyeReader(), 0, 0
    with FaceFinder(InputSpec(size=40)) as finder:
        for face in smiles:
            frame = np.full((480, 640, 3), 128, np.uint8)
            frame[90:390, 170:470] = cv2.cvtColor(cv2.resize(face, (300, 300),
                                                             interpolation=cv2.INTER_CUBIC),
                                                  cv2.COLOR_GRAY2BGR)
            found = finder.prepare(frame).face
            if found is None:
                continue
            measured += 1
            winks += eyes.read(found).is_wink()
    return {"smiles": int(len(smiles)), "measured": measured, "read_as_wink": winks}


def validation(paths: list[Path]) -> dict[str, dict]:
    """Scores of each model on train.py's validation split: how a model is chosen."""
    data = clean(read_zip(FER_TRAIN, fer_label))
    _, held = split(data.y, VAL_FRACTION, seed=0)
    labels = [FACE_CLASSES[i] for i in data.y[held]]
    results = {}
    for path in paths:
        predicted = predict(Classifier(path, threads=2), data.x[held])
        s = evaluate.scores(evaluate.confusion(labels, predicted, FACE_CLASSES, FACE_CLASSES),
                            FACE_CLASSES, FACE_CLASSES)
        results[str(path)] = s
        recall = " ".join(f"{c} {v['recall']:.1%}" for c, v in s["per_class"].items())
        print(f"{path}: accuracy {s['accuracy']:.2%}  macro-F1 {s['macro_f1']:.3f}  recall {recall}")
    return results


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, nargs="+", default=[EXPRESSION_MODEL])
    ap.add_argument("--out", type=Path, default=REPORT)
    ap.add_argument("--validation", action="store_true",
                    help="only score each --model on the validation split (model choice)")
    args = ap.parse_args(argv)
    if args.validation:
        return validation(args.model)
    model = Classifier(args.model[0], threads=2)
    names: list[str] = []
    data = read_zip(FER_TEST, lambda n: names.append(fer_label_all(n)) or 0)
    truth = np.array(names)
    ours = np.isin(truth, FACE_CLASSES)
    faces, labels = data.x[ours], list(truth[ours])

    report: dict = {"model": args.model[0].name, "images": int(ours.sum())}
    predicted = predict(model, faces)
    cm = evaluate.confusion(labels, predicted, FACE_CLASSES, FACE_CLASSES)
    report["public_test"] = evaluate.scores(cm, FACE_CLASSES, FACE_CLASSES)
    evaluate.write(cm, FACE_CLASSES, FACE_CLASSES, report["public_test"], args.out,
                   title="public_test, six face classes")
    print(evaluate.table(report["public_test"]))

    report["public_test_ferplus"] = ferplus_majority(model)
    print("public_test, FER+ majority labels:", report["public_test_ferplus"])

    disgust = predict(model, data.x[truth == "disgust"])
    report["disgust_goes_to"] = {c: disgust.count(c) for c in FACE_CLASSES}
    print("public_test disgust predicted as:", report["disgust_goes_to"])

    report["robustness"] = {}
    for name, change in CONDITIONS.items():
        acc = float(np.mean(np.array(predict(model, np.stack([change(f) for f in faces])))
                            == np.array(labels)))
        report["robustness"][name] = acc
        print(f"{name:<22} {acc:.1%}  ({acc - report['robustness']['clean']:+.1%})")

    eyes = Classifier(EYE_MODEL)
    cew = read_zip(CEW, cew_label)
    _, held = split(cew.y, 0.2, 0, groups=[cew_face(n) for n in cew.names])  # as train_eyes
    p = eyes.probs(list(cew.x[held])).argmax(1)
    report["eyes_held_out"] = {"images": int(len(held)), "accuracy": float((p == cew.y[held]).mean())}
    print("eye state, held-out CEW faces:", report["eyes_held_out"])
    report["false_winks"] = false_winks(data.x[truth == "happy"])
    print("smiles read as a wink:", report["false_winks"])
    (args.out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
