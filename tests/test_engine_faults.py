"""Camera faults while the watcher runs (the real engine, face stage and model; only the
device's failures are injected): reported, retried with back-off, and the hotkey never
types a stale emoji."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from face2emoji_tray.camera import CameraError, Source
from face2emoji_tray.config import Config
from face2emoji_tray.engine import Engine
from face2emoji_tray.recognizer import Recognizer
from tests.media import frames_of
from tests.waiting import wait_for


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
        if self.mode == "empty":
            return np.zeros((0, 0, 3), np.uint8)
        if self.mode == "stall":
            self.unstall.wait(30)
        self._n += 1
        return self.frames[self._n % len(self.frames)]

    def release(self) -> None:
        self._open = False


@pytest.fixture
def watch(model_path):
    engines = []

    def start(camera: FlakyCamera) -> Engine:
        engine = Engine(camera, lambda: Recognizer(model_path), Config(fallback=""))
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
