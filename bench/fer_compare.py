"""Our classifier vs the `fer` package's mini-Xception, side by side on every cross-dataset set.

`fer` needs TensorFlow, whose protobuf clashes with mediapipe's, so fer runs in a venv of its
own (not part of `make test`):

    python3 -m venv /tmp/fervenv
    /tmp/fervenv/bin/pip install tensorflow-cpu==2.17.1 "numpy<2" onnxruntime==1.32.0 \
        opencv-python-headless==4.11.0.86 && /tmp/fervenv/bin/pip install --no-deps fer==22.5.1 -e .
    /tmp/fervenv/bin/python -m bench.fer_compare [--our-python .venv/bin/python]

That one command gives the whole table: it first runs this same script with `--side ours` in
the project's venv (`--our-python`, default `.venv/bin/python` from `make`, which has
mediapipe), then fer's side in its own process, one after the other, and writes
bench/results/fer_compare.json.

Sets: FER2013 public_test (6 classes, disgust left out) and every set of training/crossdata.py,
with its labels (RAF-DB test, TFEID, SFEW val as the given crops; London and Yale photos).
Figures are accuracy over all images of a set.

- Ours: as `training.crossdata` does it (its own functions): crops through `whole_image_crop`,
  photos through the app's face stage (mediapipe) at the model's crop framing.
- fer on crops: its 64x64 preprocessing (gray, resized, x/255 scaled to [-1, 1]) on the whole
  crop, as given. SFEW's crops are 143x181, so fer gets them squashed to a square; the JSON
  also holds fer on their centre square, the part ours sees.
- fer on photos: fer 22.5.1's own pipeline (`FER(mtcnn=False)`: OpenCV's Haar cascade from the
  opencv wheel, `cv2.data.haarcascades`, scale 1.1, 5 neighbours, faces >= 50 px; padding,
  squaring and 10 px margin) on the largest face it finds. No face found counts as wrong.
- fer also predicts disgust: its disgust score is dropped before the argmax over our six
  classes, which can only help it.
- ms per face: one thread each, the classifier on a 48x48 public_test face (preprocessing
  included, face detection not); fer called the way fer calls its model (`model(x)`).

fer is imported without its package __init__ (which pulls in moviepy for video) and with
`fer.utils` cut down to the `load_image` it needs for arrays (the real one imports PIL, only to
fetch URLs): neither is in the venv above.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import cv2
import numpy as np

from bench.common import record, stats
from face2emoji_tray.emoji import FACE_CLASSES, our_class
from training import crossdata
from training.data import FER_TEST, POSED, photos

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# --- configuration ------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "expression.onnx"
OUR_PYTHON = ROOT / ".venv" / "bin" / "python"  # the make venv: mediapipe, no TensorFlow
CROP_SETS = {"fer2013-public-test": (FER_TEST, ""), **crossdata.CROP_SETS}
PHOTO_SETS = crossdata.PHOTO_SETS  # {"london": "london/", "yale": "yale/"}
PHOTO_LABEL = {"yale/": crossdata.YALE.get}  # as crossdata.photo_set; others: our_class
TITLES = {"fer2013-public-test": "FER2013 public_test, 6 classes",
          "rafdb-test": "RAF-DB test, 5 classes, given crops",
          "tfeid": "TFEID, 5 classes, given crops",
          "sfew-val": "SFEW val, 6 classes, given crops",
          "london": "London smiling + neutral, photos",
          "yale": "Yale happy+sad+surprised+normal, photos"}
FER_CLASSES = ("angry", "disgust", "scared", "happy", "sad", "surprised", "neutral")
KEEP = [FER_CLASSES.index(c) for c in FACE_CLASSES]  # fer's columns for our classes
TIMED = 200  # faces timed, one call each
BATCH = 256
# -------------------------------------------------------------------------------------------


def timing_faces() -> list[np.ndarray]:
    """TIMED public_test faces spread over all classes, the same for both models."""
    entries = crossdata.labelled(FER_TEST, "", our_class)
    return photos(FER_TEST, [n for n, _ in entries[:: len(entries) // TIMED][:TIMED]])


def ms_per_face(predict, faces: list[np.ndarray]) -> dict:
    predict(faces[0])
    times = []
    for face in faces:
        t = time.perf_counter()
        predict(face)
        times.append(time.perf_counter() - t)
    return stats(times)


# --- ours: in the project's venv ------------------------------------------------------------
def our_side(model_path: Path) -> dict:
    import face2emoji_tray
    import onnxruntime
    from face2emoji_tray.classifier import Classifier
    from face2emoji_tray.face import whole_image_crop

    where = Path(face2emoji_tray.__file__).resolve()
    assert where.is_relative_to(ROOT), f"{where}: not this checkout's face2emoji_tray"
    model = Classifier(model_path, threads=1)
    out = {name: crossdata.crop_set(model, path, prefix)
           for name, (path, prefix) in CROP_SETS.items()}
    for name, prefix in PHOTO_SETS.items():
        out[name] = crossdata.photo_set(model, prefix, model.spec.crop_scale)
    for name, s in out.items():
        print(f"ours {name:<20} {s['accuracy']:6.1%}  {s['correct']}/{s['images']}", flush=True)
    out["ms_per_face"] = ms_per_face(lambda f: model.probs([whole_image_crop(f, model.spec)]),
                                     timing_faces())
    out["setup"] = {"model": str(model_path.resolve().relative_to(ROOT)), "sha256": model.sha256,
                    "crop_scale": model.spec.crop_scale, "onnxruntime": onnxruntime.__version__,
                    "python": sys.executable}
    return out


# --- fer: in its own venv -------------------------------------------------------------------
def load_fer():
    """fer 22.5.1's FER with the Haar cascade, keeping the model's raw scores (its
    detect_emotions rounds them to 2 decimals, which would make ties)."""
    import importlib.util
    import types

    spec = importlib.util.find_spec("fer")
    sys.modules["fer"] = importlib.util.module_from_spec(spec)  # not executed: no moviepy
    utils = types.ModuleType("fer.utils")
    utils.load_image = lambda img: img  # arrays only; fer's own returns an array as it is
    sys.modules["fer.utils"] = utils
    from fer.fer import FER

    class RawFER(FER):
        def _classify_emotions(self, gray_faces: np.ndarray) -> np.ndarray:
            self.raw = np.asarray(super()._classify_emotions(gray_faces))
            return self.raw

        def classify_crops(self, crops: list[np.ndarray]) -> np.ndarray:
            """Whole crops (BGR) → fer's 7 scores, its 64x64 preprocessing."""
            gray = [cv2.cvtColor(c, cv2.COLOR_BGR2GRAY) for c in crops]
            x = np.stack([cv2.resize(g, (64, 64)) for g in gray])
            return self._classify_emotions(FER._FER__preprocess_input(x, True))

        def classify_photo(self, bgr: np.ndarray) -> np.ndarray | None:
            """fer's own detector and crop on the largest face; None: no face found (or
            fer could not resize its crop, which it skips)."""
            boxes = self.find_faces(bgr)
            if len(boxes) == 0:
                return None
            largest = max(boxes, key=lambda b: b[2] * b[3])
            return self.raw[0] if self.detect_emotions(bgr, [largest]) else None

    return RawFER(mtcnn=False)


def centre_square(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    s = min(h, w)
    return img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]


def ours_of(scores: np.ndarray) -> list[str]:
    return [FACE_CLASSES[i] for i in scores[:, KEEP].argmax(1)]


def fer_side() -> dict:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    warnings.filterwarnings("ignore")  # keras: "Expected: ['input_1']", fer feeds (n, 64, 64)
    fer = load_fer()
    out = {}

    def on_crops(crops: list[np.ndarray]) -> list[str]:
        return [c for i in range(0, len(crops), BATCH)
                for c in ours_of(fer.classify_crops(crops[i:i + BATCH]))]

    for name, (path, prefix) in CROP_SETS.items():
        entries = crossdata.labelled(path, prefix, our_class)
        crops = photos(path, [n for n, _ in entries])
        truth = [c for _, c in entries]
        out[name] = crossdata.score(truth, on_crops(crops))
        if len({c.shape for c in crops}) > 1 or crops[0].shape[0] != crops[0].shape[1]:
            squares = [centre_square(c) for c in crops]
            out[f"{name} centre square"] = crossdata.score(truth, on_crops(squares))
    for name, prefix in PHOTO_SETS.items():
        entries = crossdata.labelled(POSED, prefix, PHOTO_LABEL.get(prefix, our_class))
        predicted = []
        for img in photos(POSED, [n for n, _ in entries]):
            scores = fer.classify_photo(img)
            predicted.append("no_face" if scores is None else ours_of(scores[None])[0])
        out[name] = crossdata.score([c for _, c in entries], predicted)
        out[name]["no_face"] = predicted.count("no_face")
    for name, s in out.items():
        print(f"fer  {name:<20} {s['accuracy']:6.1%}  {s['correct']}/{s['images']}", flush=True)
    out["ms_per_face"] = ms_per_face(lambda f: fer.classify_crops([f]), timing_faces())
    out["setup"] = {"fer": version("fer"), "tensorflow": tf.__version__, "opencv": cv2.__version__,
                    "detector": "cv2.data.haarcascades/haarcascade_frontalface_default.xml, "
                                "scale 1.1, 5 neighbours, min 50 px", "python": sys.executable}
    return out


# --- both, joined -----------------------------------------------------------------------------
def per_class(s: dict) -> str:
    return " ".join(f"{c} {v}" for c, v in s["per_class"].items())


def joined(ours: dict, fer: dict) -> dict:
    rows = {}
    for name in fer:
        if name in ("ms_per_face", "setup"):
            continue
        o, f = ours.get(name), fer[name]
        row = {"images": f["images"]}
        if o is not None:
            row.update(ours=o["accuracy"], ours_correct=o["correct"], ours_per_class=per_class(o))
        row.update(fer=f["accuracy"], fer_correct=f["correct"], fer_per_class=per_class(f))
        if "no_face" in f:
            row["fer_no_face"] = f["no_face"]
        rows[name] = row
    rows["ms per face, 1 thread"] = {"ours": ours["ms_per_face"]["median_ms"],
                                     "fer": fer["ms_per_face"]["median_ms"],
                                     "ours_p95": ours["ms_per_face"]["p95_ms"],
                                     "fer_p95": fer["ms_per_face"]["p95_ms"]}
    rows["setup"] = {"ours": ours["setup"], "fer": fer["setup"]}
    return rows


def table(rows: dict) -> str:
    lines = ["| set | ours | fer |", "|---|---|---|"]
    for name, r in rows.items():
        if "fer_correct" in r and "ours" in r:
            nf = f" ({r['fer_no_face']} without a face)" if r.get("fer_no_face") else ""
            n = r["images"]
            lines.append(f"| {TITLES.get(name, name)} | {r['ours']:.1%} ({r['ours_correct']}/{n})"
                         f" | {r['fer']:.1%} ({r['fer_correct']}/{n}){nf} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--our-python", type=Path, default=OUR_PYTHON,
                    help="the project's venv python (with mediapipe) for our side")
    ap.add_argument("--side", choices=("ours",), help=argparse.SUPPRESS)  # the child process
    ap.add_argument("--side-json", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "ours":
        args.side_json.write_text(json.dumps(our_side(args.model)), encoding="utf-8")
        return
    try:
        import tensorflow  # noqa: F401  (fail here, before the long half, if not fer's venv)
    except ImportError:
        sys.exit("run this in fer's venv (see the docstring); our side runs in --our-python")
    with tempfile.TemporaryDirectory() as tmp:
        side = Path(tmp) / "ours.json"
        subprocess.run([str(args.our_python), "-m", "bench.fer_compare", "--side", "ours",
                        "--model", str(args.model.resolve()), "--side-json", str(side)],
                       cwd=ROOT, check=True)
        ours = json.loads(side.read_text(encoding="utf-8"))
    rows = joined(ours, fer_side())
    record("fer_compare", rows)
    print(table(rows))


if __name__ == "__main__":
    main()
