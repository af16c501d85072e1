"""Per-stage cost of one 640x480 frame on one thread, and the whole pipeline's frame rate.

    .venv/bin/python -m bench.stages [--frames 200] [--video]

--video measures the face stage as the tray runs it on a camera (MediaPipe's Face Landmarker
in VIDEO mode follows the face from frame to frame); without it, as for stills (IMAGE mode:
each frame detected and measured on its own). The "face landmarker" row is always a still's
cost. The whole pipeline's mean (and its CPU time, all threads, which a loaded machine
inflates less than the wall-clock time) is what watching costs a frame.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402

from bench.common import record, stats, timed  # noqa: E402
from face2emoji_tray.classifier import Classifier  # noqa: E402
from face2emoji_tray.eyes import EyeReader  # noqa: E402
from face2emoji_tray.face import FaceFinder, align_face  # noqa: E402
from face2emoji_tray.recognizer import Recognizer  # noqa: E402
from face2emoji_tray.smoother import Smoother  # noqa: E402
from face2emoji_tray.profile import Profile  # noqa: E402
from face2emoji_tray.shape import ShapeFusion  # noqa: E402
from tests.media import SMILE_JPG, frames_of, read_photo  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--video", action="store_true", help="the face stage in video mode")
    args = ap.parse_args()
    n = args.frames
    cv2.setNumThreads(1)
    frames = frames_of(read_photo(SMILE_JPG), 50)
    jpegs = [cv2.imencode(".jpg", f)[1] for f in frames]
    model = Classifier(threads=1)
    eyes = EyeReader()
    finder = FaceFinder(model.spec)  # stills: its row is a frame detected and measured afresh
    frame = frames[0]
    face = finder.prepare(frame).face
    landmarks = face.landmarks
    shape = ShapeFusion(classes=model.classes)
    pixels = model.probs([face.crop])[0]
    rows = {
        "capture decode (JPEG)": timed(lambda: cv2.imdecode(jpegs[0], cv2.IMREAD_COLOR), n),
        "colour conversion (BGR → RGB)": timed(lambda: cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), n),
        "face landmarker (detection, 478 landmarks, blendshapes, pose) + alignment":
            timed(lambda: finder.prepare(frame), n),
        "alignment + crop": timed(lambda: align_face(frame, landmarks, model.spec), n),
        "expression classifier": timed(lambda: model.probs([face.crop]), n),
        "shape fusion (shape input + network + mix)":
            timed(lambda: shape.read(pixels, face), n),
        "expression classifier + shape fusion":
            timed(lambda: shape.read(model.probs([face.crop])[0], face), n),
        "eye-state classifier": timed(lambda: eyes.read(face), n),
    }
    probs, features = (out[0] for out in model.run([face.crop]))
    person = Profile.build(model.sha256, {c: [features + i] for i, c in enumerate(model.classes)})
    rows["profile (6 classes calibrated)"] = timed(
        lambda: person.apply(model.classes, probs, features), n)
    five = {f"taught {i}": [features - i] for i in range(1, 6)}
    person = Profile.build(model.sha256, {**{c: [features + i] for i, c in
                                            enumerate(model.classes)}, **five})
    rows["profile (6 classes + 5 taught faces)"] = timed(
        lambda: person.apply(model.classes, probs, features), n)
    finder.close()
    recognizer = Recognizer(model, eyes.model, video=args.video)  # the models loaded above
    smoother = Smoother()
    reading = recognizer.read(frame)
    rows["smoother"] = timed(lambda: smoother.add(time.monotonic(), reading), n)
    times, cpu = [], time.process_time()
    for i in range(n):
        t = time.perf_counter()
        smoother.add(time.monotonic(), recognizer.read(cv2.imdecode(jpegs[i % 50], cv2.IMREAD_COLOR)))
        times.append(time.perf_counter() - t)
    cpu = time.process_time() - cpu  # all the process's threads: mediapipe's graphs' included
    rows["whole pipeline"] = {**stats(times), "mean_ms": 1e3 * float(np.mean(times)),
                              "cpu_mean_ms": 1e3 * cpu / n}
    rows["pipeline frames/s (one thread)"] = 1000 / rows["whole pipeline"]["mean_ms"]
    rows["machine load (1-min average)"] = os.getloadavg()[0]
    recognizer.close()
    record("stages-video" if args.video else "stages", rows)


if __name__ == "__main__":
    main()
