"""Faults while the watcher runs (the real engine, face stage and model; only the device's
or the model's failures are injected): reported, retried with back-off, and the hotkey never
types a stale emoji; a camera stuck in read() is still released on pause."""
from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from face2emoji_tray.camera import CameraError, Source
from face2emoji_tray.classifier import Classifier
from face2emoji_tray.config import Config
from face2emoji_tray.engine import STALL, Engine, Status
from face2emoji_tray.recognizer import Recognizer
from tests.media import frames_of, wavering_smile
from tests.waiting import wait_for

# What OpenCV and ONNX Runtime raise (several lines; only the first should be shown).
OPENCV_ERROR = ("OpenCV(4.11.0) /io/opencv/modules/imgproc/src/color.cpp:199: error: "
                "(-215:Assertion failed) !_src.empty() in function 'cvtColor'\n\n")
ORT_ERROR = ("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned "
             "while running Conv node.\nStacktrace:\n")


class FlakyCamera(Source):
    """Frames of a smiling face, until a test unplugs, empties or stalls it."""

    name = "camera 0"

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames, self.mode, self.opens, self._open, self._n = frames, "ok", 0, False, 0
        self.unstall = threading.Event()

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        self.opens += 1
        if self.mode == "unplugged":
            raise CameraError("camera 0: cannot be opened (not connected, or busy in another "
                              "application)")
        self._open = True

    def read(self) -> np.ndarray:
        if self.mode == "unplugged":
            raise CameraError("camera 0: gave no frame (unplugged, or in use elsewhere?)")
        if self.mode == "opencv error":
            raise RuntimeError(OPENCV_ERROR)
        if self.mode == "empty":
            return np.zeros((0, 0, 3), np.uint8)
        if self.mode == "stall":
            self.unstall.wait(30)
        self._n += 1
        return self.frames[self._n % len(self.frames)]

    def release(self) -> None:
        self._open = False


class StuckCamera(FlakyCamera):
    """A device whose read() can hang until the device is closed, as a stalled V4L2 camera
    does; it records whether two reads ever overlapped."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        super().__init__(frames)
        self.hang, self.inside, self.released = False, threading.Event(), threading.Event()
        self.reading, self.overlapped = 0, False

    def read(self) -> np.ndarray:
        self.reading += 1
        self.overlapped |= self.reading > 1
        try:
            if self.hang:
                self.inside.set()
                self.released.wait(30)
                raise CameraError("camera 0: closed while reading")
            return super().read()
        finally:
            self.reading -= 1

    def release(self) -> None:
        super().release()
        self.released.set()

    def open(self) -> None:
        super().open()
        self.released.clear()


class FlakyClassifier(Classifier):
    """The real expression model, until a test breaks it (ONNX Runtime's error)."""

    broken = False

    def run(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        if self.broken:
            raise RuntimeError(ORT_ERROR)
        return super().run(crops)


@pytest.fixture
def watch(model_path):
    engines = []

    def start(camera: FlakyCamera, make_recognizer=None, on_change=None) -> Engine:
        make = make_recognizer or (lambda: Recognizer(model_path, video=True))
        engine = Engine(camera, make, Config(fallback=""), on_change)
        engine.start()
        engines.append(engine)
        return engine
    yield start
    for engine in engines:
        engine.source.unstall.set()
        engine.stop()


@pytest.fixture
def camera(smile) -> FlakyCamera:
    return FlakyCamera(frames_of(smile, 10))


def smiling(engine: Engine) -> bool:
    return engine.emoji_now()[0] == "😀"


def test_no_camera_is_reported_and_retried_with_back_off(watch, camera):
    camera.mode = "unplugged"
    engine = watch(camera)
    # (the models load first: allow for a slow machine)
    wait_for(lambda: "cannot be opened" in engine.status().problem, 30, "the problem reported")
    first = camera.opens
    time.sleep(2.5)
    assert 1 <= camera.opens - first <= 3  # 0.5, 1, 2 s apart: not a busy loop
    assert engine.emoji_now() == ("", engine.status().problem)  # nothing to type, and why


def test_unplugged_mid_run_types_nothing_then_recovers(watch, camera):
    engine = watch(camera)
    wait_for(lambda: smiling(engine), 30, "a smile")
    camera.mode = "unplugged"
    wait_for(lambda: engine.status().problem != "", 5, "the fault")
    assert engine.emoji_now()[0] == ""
    assert not camera.is_open
    camera.mode = "ok"
    wait_for(lambda: smiling(engine), 30, "recovery after the camera came back")


def test_empty_frames_are_a_fault_not_a_crash(watch, camera):
    engine = watch(camera)
    wait_for(lambda: smiling(engine), 30, "a smile")
    camera.mode = "empty"
    wait_for(lambda: "not an image" in engine.status().problem, 5, "the fault")
    assert engine.emoji_now()[0] == ""


def test_a_stalled_camera_never_gives_an_emoji_older_than_the_window(watch, camera):
    engine = watch(camera)
    wait_for(lambda: smiling(engine), 30, "a smile")
    camera.mode = "stall"
    stalled = time.monotonic()
    wait_for(lambda: not smiling(engine), engine.config.window + 1.0, "the emoji to expire")
    assert time.monotonic() - stalled <= engine.config.window + 1.0
    assert "no face" in engine.emoji_now()[1]


def test_pausing_releases_the_camera_and_resuming_reopens_it(watch, camera):
    engine = watch(camera)
    wait_for(lambda: smiling(engine), 30, "a smile")
    engine.set_paused(True)
    wait_for(lambda: not camera.is_open, 5, "the camera released")
    assert engine.emoji_now() == ("", "paused (camera off)")
    opens = camera.opens
    time.sleep(1)
    assert camera.opens == opens  # paused means paused: no reopening
    engine.set_paused(False)
    wait_for(lambda: smiling(engine), 30, "watching again")


def fault_lines(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and text in r.getMessage()]


def test_an_opencv_error_from_the_camera_is_reported_then_watching_resumes(watch, camera,
                                                                          caplog):
    caplog.set_level(logging.WARNING, logger="face2emoji_tray")
    engine = watch(camera)
    wait_for(lambda: smiling(engine), 30, "a smile")
    camera.mode = "opencv error"
    wait_for(lambda: engine.status().problem, 5, "the fault")
    problem = engine.status().problem
    assert problem.startswith("camera 0: RuntimeError: OpenCV(4.11.0)") and "\n" not in problem
    assert engine.emoji_now() == ("", problem)  # nothing stale is typed
    assert not camera.is_open  # let go until the retry
    time.sleep(1.0)  # a retry or two, failing the same way
    camera.mode = "ok"
    wait_for(lambda: smiling(engine), 30, "recovery")
    assert engine.status().problem == ""
    assert len(fault_lines(caplog, "OpenCV(4.11.0)")) == 1  # one line, not one per retry


def test_a_model_error_is_reported_then_watching_resumes(watch, camera, model_path, caplog):
    caplog.set_level(logging.WARNING, logger="face2emoji_tray")
    model = FlakyClassifier(model_path)
    made = []

    def make() -> Recognizer:
        made.append(Recognizer(model, video=True))
        return made[-1]
    engine = watch(camera, make)
    wait_for(lambda: smiling(engine), 30, "a smile")
    model.broken = True
    wait_for(lambda: engine.status().problem, 5, "the fault")
    problem = engine.status().problem
    assert problem == ("the face or expression stage failed (RuntimeError: [ONNXRuntimeError] "
                       ": 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running "
                       "Conv node.)")
    assert engine.emoji_now() == ("", problem)
    model.broken = False
    wait_for(lambda: smiling(engine), 30, "recovery")
    assert len(made) >= 2  # the failed recognizer was replaced by a fresh one
    assert len(fault_lines(caplog, "ONNXRuntimeError")) == 1


def test_models_that_fail_to_load_are_retried(watch, camera, model_path):
    failures = [RuntimeError("mediapipe: could not create the graph")]

    def make() -> Recognizer:
        if failures:
            raise failures.pop()
        return Recognizer(model_path, video=True)
    engine = watch(camera, make)
    wait_for(lambda: engine.status().problem, 30, "the fault")
    assert engine.status().problem == ("the models could not be loaded (RuntimeError: "
                                       "mediapipe: could not create the graph)")
    assert engine.emoji_now()[0] == ""
    wait_for(lambda: smiling(engine), 30, "recovery after the retry")


def test_pausing_releases_a_camera_stuck_in_read(watch, smile):
    camera = StuckCamera(frames_of(smile, 10))
    engine = watch(camera)
    wait_for(lambda: smiling(engine), 30, "a smile")
    camera.hang = True
    assert camera.inside.wait(5)  # the reader thread is stuck inside read()
    engine.set_paused(True)
    assert camera.released.wait(1.0)  # released from the engine's side, not by the read
    assert engine.emoji_now() == ("", "paused (camera off)")
    camera.hang = False
    engine.set_paused(False)
    wait_for(lambda: smiling(engine), 30, "watching again")
    assert not camera.overlapped  # one read at a time, also after the stuck one
    engine.stop()
    wait_for(lambda: "face2emoji-camera" not in {t.name for t in threading.enumerate()}, 5,
             "the reader thread to end")


def test_a_camera_that_gives_no_frame_is_a_fault_and_is_let_go(watch, smile):
    camera = StuckCamera(frames_of(smile, 10))
    engine = watch(camera)
    wait_for(lambda: smiling(engine), 30, "a smile")
    camera.hang = True
    wait_for(lambda: engine.status().problem, STALL + 2, "the stall reported")
    assert engine.status().problem == "camera 0: no frame for 5 s (stalled?)"
    assert camera.released.is_set() and engine.emoji_now()[0] == ""
    camera.hang = False
    wait_for(lambda: smiling(engine), 30, "watching again")


def test_the_tray_is_told_only_when_what_it_shows_changes(watch, smile):
    camera = FlakyCamera(wavering_smile(smile, 6))
    shown: list[Status] = []
    engine = watch(camera, on_change=shown.append)
    wait_for(lambda: smiling(engine), 30, "a smile")
    told, reads, percentages = len(shown), camera._n, set()
    deadline = time.monotonic() + 30
    while camera._n < reads + 15:  # three seconds of the same smile
        assert time.monotonic() < deadline, "the engine stopped reading frames"
        percentages.add(engine.status().describe())
        time.sleep(0.05)
    assert len(percentages) > 1  # the confidence moved from frame to frame...
    assert len(shown) == told  # ...and the tray was not redrawn for it
    assert shown[-1].describe(confidence=False) == "happy"
    lines = [s.describe(confidence=False) for s in shown]
    assert all(a != b for a, b in zip(lines, lines[1:]))
    engine.set_paused(True)
    wait_for(lambda: len(shown) == told + 1, 5, "the paused status")
    assert shown[-1].describe(confidence=False) == "paused (camera off)"


def test_pause_and_resume_at_any_speed_end_in_the_state_asked_for_last(model_path, smile_video):
    """The real engine on a video, and a tray that takes a moment to redraw (the real one
    writes an icon file and rebuilds its menu). Each round a user pauses and, as soon as the
    camera is let go, resumes (or the other way round): no sleep between the two commands."""
    from face2emoji_tray.camera import CaptureSource

    camera = CaptureSource(str(smile_video))
    redraws: list[Status] = []

    def redraw(status: Status) -> None:
        redraws.append(status)
        time.sleep(0.02)
    engine = Engine(camera, lambda: Recognizer(model_path, video=True), Config(fallback=""),
                    redraw)
    engine.start()
    try:
        wait_for(lambda: smiling(engine), 60, "a smile")
        for round_ in range(12):
            engine.set_paused(True)
            wait_for(lambda: not camera.is_open, 5, "the camera released", poll=0)
            engine.set_paused(False)
            wait_for(lambda: camera.is_open and smiling(engine), 30,
                     f"watching again after round {round_}")
            engine.set_paused(False)  # a double resume changes nothing
            engine.set_paused(True)
            engine.set_paused(False)
            engine.set_paused(True)  # the last word: paused
            wait_for(lambda: not camera.is_open and engine.status().paused, 5, "paused")
            assert engine.emoji_now() == ("", "paused (camera off)")
            engine.set_paused(False)
            wait_for(lambda: camera.is_open and smiling(engine), 30, "watching")
        assert redraws[-1].describe(confidence=False) == "happy"
    finally:
        engine.stop()
    assert not camera.is_open
