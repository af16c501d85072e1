"""Per-stage cost of one 640x480 frame on one thread, and the whole pipeline's frame rate.

    .venv/bin/python -m bench.stages [--frames 200] [--video [--detect-every N]]

--video measures the face stage as the tray runs it on a camera (the face mesh tracks the
face from frame to frame, the face detector runs only every Nth frame: its row is the cost
of one run); without it, as for stills (each frame on its own, detector included). The
whole pipeline's mean (and its CPU time, all threads, which a loaded machine inflates less
than the wall-clock time) is what watching costs a frame; its median is a frame without the
detector when N > 1.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("GLOG_minloglevel", "2")

import cv2  # noqa: E402

from bench.common import record, stats, timed  # noqa: E402
from face2emoji_tray.classifier import Classifier  # noqa: E402
from face2emoji_tray.eyes import EyeReader  # noqa: E402
from face2emoji_tray.face import DETECT_EVERY, FaceFinder, align_face, mesh_square  # noqa: E402
from face2emoji_tray.recognizer import Recognizer  # noqa: E402
from face2emoji_tray.smoother import Smoother  # noqa: E402
from face2emoji_tray.profile import Profile  # noqa: E402
from tests.media import SMILE_JPG, frames_of, read_photo  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--video", action="store_true", help="the face stage in video mode")
    ap.add_argument("--detect-every", type=int, default=DETECT_EVERY,
                    help="video mode: the face detector's check every N frames (1: each frame)")
    args = ap.parse_args()
    n = args.frames
    cv2.setNumThreads(1)
    frames = frames_of(read_photo(SMILE_JPG), 50)
    jpegs = [cv2.imencode(".jpg", f)[1] for f in frames]
    model = Classifier(threads=1)
    eyes = EyeReader()
    finder = FaceFinder(model.spec, video=args.video, detect_every=args.detect_every)
    frame = frames[0]
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    x0, y0, x1, y1 = mesh_square(max(finder.detect(rgb), key=lambda b: b[2] * b[3]), rgb.shape)
    square = rgb[y0:y1, x0:x1]
    landmarks = finder.landmarks(square, (x0, y0))
    face = align_face(frame, landmarks, model.spec)
    rows = {
        "capture decode (JPEG)": timed(lambda: cv2.imdecode(jpegs[0], cv2.IMREAD_COLOR), n),
        "colour conversion (BGR → RGB)": timed(lambda: cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), n),
        "face detection": timed(lambda: finder.detect(rgb), n),
        "landmarks (face mesh)": timed(lambda: finder.landmarks(square, (x0, y0)), n),
        "alignment + crop": timed(lambda: align_face(frame, landmarks, model.spec), n),
        "expression classifier": timed(lambda: model.probs([face.crop]), n),
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
    recognizer = Recognizer(model, eyes.model, video=args.video,  # the models loaded above
                            detect_every=args.detect_every)
    smoother = Smoother()
    reading = recognizer.read(frame)
    rows["smoother"] = timed(lambda: smoother.add(time.monotonic(), reading), n)
    times, detected, cpu = [], recognizer.finder.detections, time.process_time()
    for i in range(n):
        t = time.perf_counter()
        smoother.add(time.monotonic(), recognizer.read(cv2.imdecode(jpegs[i % 50], cv2.IMREAD_COLOR)))
        times.append(time.perf_counter() - t)
    cpu = time.process_time() - cpu  # all the process's threads: mediapipe's graphs' included
    rows["whole pipeline"] = {**stats(times), "mean_ms": 1e3 * float(np.mean(times)),
                              "cpu_mean_ms": 1e3 * cpu / n}
    rows["pipeline frames/s (one thread)"] = 1000 / rows["whole pipeline"]["mean_ms"]
    rows["face detector ran on (frames)"] = f"{recognizer.finder.detections - detected} of {n}"
    rows["machine load (1-min average)"] = os.getloadavg()[0]
    name = "stages-video" if args.video else "stages"
    if args.video and args.detect_every != DETECT_EVERY:
        name += f"-every{args.detect_every}"
    record(name, rows)


if __name__ == "__main__":
    main()
