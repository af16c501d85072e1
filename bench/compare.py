"""Ours, face-api.js and `fer` side by side on every cross-dataset set, from one run.

    (cd bench/faceapi && npm ci)            # face-api.js and tfjs from the npm registry, once
    .venv/bin/python -m bench.compare [--model models/expression.onnx] [--fer-python P | --no-fer]

prints the table and writes bench/results/faceapi_compare.json. Each model runs in its own
runtime, one after the other: ours here (the project's venv: mediapipe, ONNX Runtime),
face-api.js in node (bench/faceapi/faceapi.js, fed the same decoded images over a pipe),
fer in a venv of its own (`--fer-python`, default /tmp/fervenv/bin/python; without it the
fer column stays empty and the run says so). fer needs TensorFlow, whose protobuf clashes
with mediapipe's; its venv (not part of `make test`):

    python3 -m venv /tmp/fervenv
    /tmp/fervenv/bin/pip install tensorflow-cpu==2.17.1 "numpy<2" onnxruntime==1.32.0 \
        opencv-python-headless==4.11.0.86 pillow==13.0.0 \
        && /tmp/fervenv/bin/pip install --no-deps fer==22.5.1 -e .

(pillow for our own evaluate module, which training.crossdata imports, and for fer.utils.)

Sets: FER2013 public_test (final report only, never model choice) and every set of
training/crossdata.py with its labels and loaders: RAF-DB test, TFEID, SFEW val as the given
crops; London, Yale and TCCE performers 21–30 as full photos. Accuracy over all images of a
set (our six classes, disgust left out); a photo where a model finds no face counts as wrong.

- Ours: as `training.crossdata` does it (its own functions): crops through
  `whole_image_crop` (the centre square), photos through the app's face stage (mediapipe) at
  the model's crop framing; both with the face's shape fused (models/shape.onnx), a crop's
  shape measured on the crop padded.
- face-api.js (`@vladmandic/face-api` 1.7.15, tfjs 4.22.0 on the wasm backend, SIMD, one
  thread: tfjs has none under node; `--faceapi-processes` node processes, default 2, share
  the images): on photos its own SSD MobileNet v1 detector (default options) and the
  expression net on the largest box; on crops the expression net on the whole crop (padded
  to a square and resized to 112x112, as face-api does with a detected box). Its disgusted
  score is left out of the argmax; fearful is our scared.
- fer on crops: its 64x64 preprocessing (gray, resized, x/255 scaled to [-1, 1]) on the whole
  crop. On photos: fer 22.5.1's own pipeline (`FER(mtcnn=False)`: OpenCV's Haar cascade,
  `cv2.data.haarcascades`, scale 1.1, 5 neighbours, faces >= 50 px; padding, squaring and
  10 px margin) on the largest face. Its disgust score is dropped before the argmax.
- SFEW's crops are 143x181: face-api.js gets them padded, fer squashed to a square; the JSON
  also holds both on the centre square, the part ours sees.
- ms per face: one thread each, the expression model alone on a 48x48 public_test face
  (preprocessing included, face detection not).

In fer's venv fer is imported without its package __init__, which pulls in moviepy (video
only; not in the venv above).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import queue
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from bench.common import record, stats
from face2emoji_tray.emoji import FACE_CLASSES, our_class
from training import crossdata
from training.data import FER_TEST, photos

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# --- configuration ------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "expression.onnx"
FER_PYTHON = Path("/tmp/fervenv/bin/python")  # fer's venv: TensorFlow, no mediapipe
FACEAPI = ROOT / "bench" / "faceapi"  # package.json, package-lock.json, faceapi.js
CROP_SETS = {"fer2013-public-test": (FER_TEST, "", crossdata.by_folder(our_class)),
             **crossdata.CROP_SETS}
PHOTO_SETS = crossdata.PHOTO_SETS
POSED = ("tfeid", "yale", "london", "tcce-21-30")  # per-class recall in the table
TITLES = {"fer2013-public-test": "FER2013 public_test, 6 classes",
          "rafdb-test": "RAF-DB test, 5 classes, given crops",
          "tfeid": "TFEID, 5 classes, given crops",
          "sfew-val": "SFEW val, 6 classes, given crops",
          "london": "London smiling + neutral, photos",
          "yale": "Yale happy+sad+surprised+normal, photos",
          "tcce-21-30": "TCCE performers 21–30, 6 classes, photos"}
SIDES = ("ours", "face-api.js", "fer")
NO_FACE = "no_face"
FER_CLASSES = ("angry", "disgust", "scared", "happy", "sad", "surprised", "neutral")
FER_KEEP = [FER_CLASSES.index(c) for c in FACE_CLASSES]  # fer's columns for our classes
FACEAPI_CLASSES = {"angry": "angry", "happy": "happy", "neutral": "neutral", "sad": "sad",
                   "fearful": "scared", "surprised": "surprised"}  # "disgusted" left out
TIMED = 200  # faces timed, one call each
BATCH = 256
# -------------------------------------------------------------------------------------------


def timing_faces() -> list[np.ndarray]:
    """TIMED public_test faces spread over all classes, the same for every model."""
    entries = crossdata.labelled(*CROP_SETS["fer2013-public-test"])
    return photos(FER_TEST, [n for n, _ in entries[:: len(entries) // TIMED][:TIMED]])


def ms_per_face(predict, faces: list[np.ndarray]) -> dict:
    predict(faces[0])
    times = []
    for face in faces:
        t = time.perf_counter()
        predict(face)
        times.append(time.perf_counter() - t)
    return stats(times)


def centre_square(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    s = min(h, w)
    return img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]


def every_set(who: str, on_crops: Callable[[list[np.ndarray]], list[str]],
              on_photos: Callable[[list[np.ndarray]], list[str]]) -> dict:
    """Another model on every set: `on_crops` classifies given crops (BGR), `on_photos` whole
    photos with the model's own face detector (NO_FACE where it finds none)."""
    out = {}
    for name, where in CROP_SETS.items():
        entries = crossdata.labelled(*where)
        crops = photos(where[0], [n for n, _ in entries])
        truth = [c for _, c in entries]
        out[name] = crossdata.score(truth, on_crops(crops))
        if len({c.shape for c in crops}) > 1 or crops[0].shape[0] != crops[0].shape[1]:
            squares = [centre_square(c) for c in crops]
            out[f"{name} centre square"] = crossdata.score(truth, on_crops(squares))
    for name, where in PHOTO_SETS.items():
        entries = crossdata.labelled(*where)
        predicted = on_photos(photos(where[0], [n for n, _ in entries]))
        out[name] = crossdata.score([c for _, c in entries], predicted)
        out[name][NO_FACE] = predicted.count(NO_FACE)
    return said(who, out)


def said(who: str, out: dict) -> dict:
    """Each set's figure, printed as soon as a side has them all."""
    for name, s in out.items():
        print(f"{who:<12} {name:<32} {s['accuracy']:6.1%}  {s['correct']}/{s['images']}",
              flush=True)
    return out


# --- ours -----------------------------------------------------------------------------------
def our_side(model_path: Path) -> dict:
    import face2emoji_tray
    import onnxruntime
    from face2emoji_tray.classifier import Classifier, file_sha256
    from face2emoji_tray.preprocess import whole_image_crop
    from face2emoji_tray.shape import SHAPE_MODEL, ShapeFusion

    package = Path(face2emoji_tray.__file__).resolve()
    assert package.is_relative_to(ROOT), f"{package}: not this checkout's face2emoji_tray"
    model = Classifier(model_path, threads=1)
    shape = ShapeFusion(SHAPE_MODEL, classes=model.classes, threads=1)
    out = {name: crossdata.crop_set(model, *where, shape) for name, where in CROP_SETS.items()}
    for name, where in PHOTO_SETS.items():
        out[name] = crossdata.photo_set(model, *where, model.spec.crop_scale, shape)
    said("ours", out)
    out["ms_per_face"] = ms_per_face(lambda f: model.probs([whole_image_crop(f, model.spec)]),
                                     timing_faces())
    out["setup"] = {"model": str(model_path.resolve()), "sha256": model.sha256,
                    "shape_model": str(SHAPE_MODEL), "shape_sha256": file_sha256(SHAPE_MODEL),
                    "crop_scale": model.spec.crop_scale, "onnxruntime": onnxruntime.__version__}
    return out


# --- face-api.js: node ----------------------------------------------------------------------
class FaceApi:
    """bench/faceapi/faceapi.js in `processes` node processes, one decoded image a line in,
    its expression scores a line out (see that file). tfjs's wasm backend has no threads
    under node, so each process is one core; images go to whichever is free."""

    def __init__(self, processes: int) -> None:
        self.processes = processes

    def __enter__(self) -> FaceApi:
        node = shutil.which("node")
        if node is None or not (FACEAPI / "node_modules" / "@vladmandic" / "face-api").is_dir():
            sys.exit(f"face-api.js: needs node (20) and `npm ci` in {FACEAPI}")
        self.procs = [subprocess.Popen([node, "faceapi.js"], cwd=FACEAPI, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                      for _ in range(self.processes)]
        self.setup = [self._answer(p) for p in self.procs][0]
        self.free: queue.SimpleQueue = queue.SimpleQueue()
        for p in self.procs:
            self.free.put(p)
        self.pool = ThreadPoolExecutor(self.processes)
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown()
        for p in self.procs:
            p.stdin.close()
            p.wait(timeout=30)

    @staticmethod
    def _answer(proc: subprocess.Popen) -> dict:
        line = proc.stdout.readline()
        if not line:
            sys.exit(f"face-api.js: node stopped (exit {proc.wait()}; its error above)")
        return json.loads(line)

    def read(self, bgr: np.ndarray, detect: bool) -> dict:
        """{"scores": face-api's 7 expression scores or None (no face), "faces", "box", "ms"}"""
        rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        h, w = rgb.shape[:2]
        msg = {"w": w, "h": h, "rgb": base64.b64encode(rgb.tobytes()).decode(), "detect": detect}
        proc = self.free.get()
        try:
            proc.stdin.write(json.dumps(msg) + "\n")
            proc.stdin.flush()
            return self._answer(proc)
        finally:
            self.free.put(proc)

    def classes(self, images: list[np.ndarray], detect: bool) -> list[str]:
        """Our class (or NO_FACE) for each image, read by all processes at once, in order."""
        return [faceapi_class(a["scores"])
                for a in self.pool.map(lambda img: self.read(img, detect), images)]


def faceapi_class(scores: dict | None) -> str:
    """face-api's answer among our six classes (its disgusted score left out)."""
    if scores is None:
        return NO_FACE
    return FACEAPI_CLASSES[max(FACEAPI_CLASSES, key=scores.__getitem__)]


def faceapi_side(processes: int) -> dict:
    with FaceApi(processes) as api:
        out = every_set("face-api.js", lambda crops: api.classes(crops, False),
                        lambda photos: api.classes(photos, True))
        out["ms_per_face"] = stats([api.read(f, False)["ms"] / 1e3 for f in timing_faces()])
        out["setup"] = {**api.setup, "processes": processes}
    return out


# --- fer: in its own venv -------------------------------------------------------------------
def load_fer():
    """fer 22.5.1's FER with the Haar cascade, keeping the model's raw scores (its
    detect_emotions rounds them to 2 decimals, which would make ties)."""
    import importlib.util

    spec = importlib.util.find_spec("fer")
    sys.modules["fer"] = importlib.util.module_from_spec(spec)  # not executed: no moviepy
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


def fer_classes(scores: np.ndarray) -> list[str]:
    return [FACE_CLASSES[i] for i in scores[:, FER_KEEP].argmax(1)]


def fer_side() -> dict:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    warnings.filterwarnings("ignore")  # keras: "Expected: ['input_1']", fer feeds (n, 64, 64)
    fer = load_fer()

    def on_photos(imgs: list[np.ndarray]) -> list[str]:
        scores = [fer.classify_photo(img) for img in imgs]
        return [NO_FACE if s is None else fer_classes(s[None])[0] for s in scores]

    out = every_set("fer",
                    lambda crops: [c for i in range(0, len(crops), BATCH)
                                   for c in fer_classes(fer.classify_crops(crops[i:i + BATCH]))],
                    on_photos)
    out["ms_per_face"] = ms_per_face(lambda f: fer.classify_crops([f]), timing_faces())
    out["setup"] = {"fer": version("fer"), "tensorflow": tf.__version__, "opencv": cv2.__version__,
                    "detector": "cv2.data.haarcascades/haarcascade_frontalface_default.xml, "
                                "scale 1.1, 5 neighbours, min 50 px", "python": sys.executable}
    return out


def run_fer(fer_python: Path) -> dict | None:
    """fer's side in its venv (this script with --side fer); None, said once, without it."""
    if not fer_python.exists():
        print(f"fer: {fer_python} not found (its venv: see the docstring); fer left out",
              flush=True)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        side = Path(tmp) / "fer.json"
        subprocess.run([str(fer_python), "-m", "bench.compare", "--side", "fer",
                        "--side-json", str(side)], cwd=ROOT, check=True)
        return json.loads(side.read_text(encoding="utf-8"))


# --- all three, joined ------------------------------------------------------------------------
def joined(sides: dict[str, dict | None]) -> dict:
    """One row per set: every side's accuracy, correct count, per-class recall, no-face count."""
    rows = {}
    names = [n for side in sides.values() if side for n in side
             if n not in ("ms_per_face", "setup")]
    for name in dict.fromkeys(names):
        row = {}
        for who, side in sides.items():
            s = (side or {}).get(name)
            if s is None:
                continue
            row.update({"images": s["images"], who: s["accuracy"], f"{who}_correct": s["correct"],
                        f"{who}_per_class": s["per_class"]})
            if NO_FACE in s:
                row[f"{who}_no_face"] = s[NO_FACE]
        rows[name] = row
    rows["ms per face, 1 thread"] = {who: side["ms_per_face"]["median_ms"]
                                     for who, side in sides.items() if side}
    rows["setup"] = {who: side["setup"] for who, side in sides.items() if side}
    return rows


def cell(row: dict, who: str) -> str:
    if who not in row:
        return "—"
    nf = row.get(f"{who}_no_face")
    return (f"{row[who]:.1%} ({row[f'{who}_correct']}/{row['images']})"
            + (f", {nf} without a face" if nf else ""))


def recall(row: dict, who: str, cls: str) -> str:
    return row.get(f"{who}_per_class", {}).get(cls, "—")


def table(rows: dict) -> str:
    lines = ["| set | ours | face-api.js | fer |", "|---|---|---|---|"]
    lines += [f"| {TITLES[name]} | " + " | ".join(cell(rows[name], w) for w in SIDES) + " |"
              for name in TITLES if name in rows]
    lines += ["", "| posed set: recall | ours | face-api.js | fer |", "|---|---|---|---|"]
    for name in POSED:
        row = rows[name]
        for cls in row["ours_per_class"]:
            lines.append(f"| {name} {cls} | " + " | ".join(recall(row, w, cls) for w in SIDES)
                         + " |")
    ms = rows["ms per face, 1 thread"]
    lines += ["", "ms per face, 1 thread (model alone, median): "
              + ", ".join(f"{w} {v:.1f}" for w, v in ms.items())]
    return "\n".join(lines)


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (node, fer's python)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def timed(run: Callable[[], dict | None]) -> dict | None:
    """A side's results, its wall and CPU seconds added to its setup (the run's cost)."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    out = run()
    if out is not None:
        out["setup"].update(wall_s=round(time.perf_counter() - wall, 1),
                            cpu_s=round(cpu_seconds() - cpu, 1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--fer-python", type=Path, default=FER_PYTHON,
                    help="fer's venv python (with TensorFlow)")
    ap.add_argument("--no-fer", action="store_true", help="leave fer out")
    ap.add_argument("--faceapi-processes", type=int, default=2, metavar="N",
                    help="node processes for face-api.js, one core each (default 2)")
    ap.add_argument("--side", choices=("fer",), help=argparse.SUPPRESS)  # the child process
    ap.add_argument("--side-json", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.side == "fer":
        args.side_json.write_text(json.dumps(fer_side()), encoding="utf-8")
        return
    load = os.getloadavg()
    sides = {"ours": timed(lambda: our_side(args.model)),
             "face-api.js": timed(lambda: faceapi_side(args.faceapi_processes)),
             "fer": None if args.no_fer else timed(lambda: run_fer(args.fer_python))}
    rows = joined(sides)
    rows["setup"]["load average, 1 min, before / after"] = [load[0], os.getloadavg()[0]]
    record("faceapi_compare", rows)
    print(table(rows))


if __name__ == "__main__":
    main()
