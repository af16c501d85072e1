"""MediaPipe's Face Landmarker task, made safe to run: the file we ship, checked before MediaPipe
parses it; no usage metrics sent; its native log lines kept off the user's terminal; and
closed by us, never by the garbage collector. face.py reads faces with it."""
from __future__ import annotations

import atexit
import contextlib
import faulthandler
import functools
import hashlib
import logging
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from face2emoji_tray.shipped import ModelError, shipped_dir

log = logging.getLogger(__name__)

TASK_FILE = shipped_dir("models") / "face_landmarker.task"
# Google's float16 Face Landmarker, version 1 (models/README.md): the file is read and checked
# against this before MediaPipe parses any of it, so a damaged or swapped file is refused in
# one line instead of reaching a native parser.
TASK_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"


def read(path: Path = TASK_FILE) -> bytes:
    """The task file's bytes, once they are known to be the file we ship."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the face model ({exc.strerror or exc})") from None
    if hashlib.sha256(data).hexdigest() != TASK_SHA256:
        raise ModelError(f"{path}: not the face model we ship (its checksum differs): "
                         "reinstall face2emoji")
    return data


@contextlib.contextmanager
def native_stderr_to_log() -> Iterator[None]:
    """MediaPipe's C++ side and TensorFlow Lite write INFO and WARNING lines straight to the
    process's stderr (file descriptor 2) while a task is built and first run ("Created
    TensorFlow Lite XNNPACK delegate for CPU"); no setting of theirs turns them off. The
    user's terminal should show answers, so for that moment fd 2 goes to an unnamed temporary
    file, whose lines then reach our log at debug level. It is process-wide: whatever another
    thread writes to stderr meanwhile is logged the same way, not lost. Should MediaPipe abort
    the process meanwhile (it does, in a chroot without /proc or /sys), Python's fault handler
    still says so on the real stderr, with where it happened."""
    sys.stderr.flush()
    saved = os.dup(2)
    handler_was_on = faulthandler.is_enabled()
    with tempfile.TemporaryFile() as caught, os.fdopen(saved, "w", closefd=False) as terminal:
        faulthandler.enable(file=terminal)
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            faulthandler.enable() if handler_was_on else faulthandler.disable()
            caught.seek(0)
            for line in caught.read().decode("utf-8", "replace").splitlines():
                log.debug("mediapipe: %s", line)


def offline_options(model: bytes):
    """MediaPipe's BaseOptions for a model held in memory, with its network use cut.

    mediapipe 1.x's native library uploads usage metrics (not frames: which task, host,
    versions, timings) to Google's play.googleapis.com over HTTPS with libcurl, checking the
    server against the certificate bundle the options name (certifi's). Naming one with no
    certificates (the null device) leaves it no server it may trust, so no metrics leave the
    machine; the name is still looked up (DNS). mediapipe 0.10.21, used before, sent none."""
    from mediapipe.tasks.python import BaseOptions

    class Offline(BaseOptions):
        def to_ctypes(self):
            options = super().to_ctypes()
            options.ca_bundle_path = os.devnull.encode()
            return options

    return Offline(model_asset_buffer=model)


# MediaPipe's tasks must not be left to the garbage collector: FaceLandmarker.__del__ closes
# through a worker thread and was seen to hang the process for good (pytest, after a test that
# failed before its close), and at exit it prints an ignored TypeError. Every task made stays
# referenced here until closed; any left open are closed as the interpreter exits, before the
# worker threads are stopped (threading's exit hooks run in reverse order of registration, so
# ours is registered after mediapipe's concurrent.futures: at the first task). atexit would be
# too late: its handlers run after those threads have gone, and the close then raises.
_OPEN_TASKS: set = set()


def _close_open_tasks() -> None:
    while _OPEN_TASKS:
        _OPEN_TASKS.pop().close()


@functools.cache  # once
def _close_at_exit() -> None:
    register = getattr(threading, "_register_atexit", atexit.register)  # CPython 3.9+ has it
    register(_close_open_tasks)


def open_task(model: bytes, video: bool, faces: int, presence: float):
    """A Face Landmarker for stills (IMAGE mode) or one camera's frames (VIDEO mode), giving
    landmarks, blendshapes and the pose of up to `faces` faces; close it with close_task."""
    from mediapipe.tasks.python import vision  # heavy: imported only when a task is made

    mode = vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE
    options = vision.FaceLandmarkerOptions(
        base_options=offline_options(model), running_mode=mode, num_faces=faces,
        min_face_presence_confidence=presence, output_face_blendshapes=True,
        output_facial_transformation_matrixes=True)
    with native_stderr_to_log():
        task = vision.FaceLandmarker.create_from_options(options)
    _close_at_exit()
    _OPEN_TASKS.add(task)
    return task


def close_task(task) -> None:
    _OPEN_TASKS.discard(task)
    task.close()
