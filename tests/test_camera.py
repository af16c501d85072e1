"""CaptureSource and FrameReader across threads: a capture is never released while another
thread reads it, yet pausing lets the device go without waiting for a stuck read; a late
frame is never taken for a fresh one. OpenCV's VideoCapture is replaced by a stand-in whose
read() blocks until the test lets it return (a real camera cannot be made to stall here)."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from face2emoji_tray import camera
from face2emoji_tray.camera import CameraError, CaptureSource, FrameReader, Source

FRAME = np.full((480, 640, 3), 90, np.uint8)


class StandIn:
    """cv2.VideoCapture as the source uses it; records overlapping calls."""

    made: list["StandIn"] = []

    def __init__(self, target) -> None:
        self.answers: list[tuple[bool, np.ndarray | None]] = []
        self.go, self.inside = threading.Event(), threading.Event()
        self.busy = self.overlapped = self.released = False
        self.released_while_reading = False
        StandIn.made.append(self)

    def isOpened(self) -> bool:
        return True

    def read(self):
        self.overlapped |= self.busy
        self.busy = True
        self.inside.set()
        self.go.wait(10)
        self.busy = False
        return self.answers.pop(0) if self.answers else (True, FRAME)

    def release(self) -> None:
        self.released_while_reading |= self.busy
        self.released = True


@pytest.fixture
def capture(monkeypatch) -> CaptureSource:
    StandIn.made = []
    monkeypatch.setattr(camera.cv2, "VideoCapture", StandIn)
    source = CaptureSource(0)
    source.open()
    return source


def read_in_thread(source: Source) -> tuple[threading.Thread, list]:
    out: list = []

    def run() -> None:
        try:
            out.append(source.read())
        except CameraError as exc:
            out.append(exc)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_release_during_a_stuck_read_lets_go_at_once_and_closes_when_the_read_ends(capture):
    stuck = StandIn.made[0]
    thread, out = read_in_thread(capture)
    assert stuck.inside.wait(5)
    capture.release()  # returns without waiting for the read
    assert not capture.is_open and not stuck.released  # not closed under the read's feet
    capture.open()  # resuming meanwhile gets a capture of its own
    assert len(StandIn.made) == 2 and capture.is_open
    stuck.go.set()
    thread.join(5)
    assert isinstance(out[0], CameraError)  # the frame of a released capture is not given
    assert stuck.released and not stuck.released_while_reading
    assert not StandIn.made[1].released


def test_release_when_idle_closes_the_capture_now(capture):
    capture.release()
    assert StandIn.made[0].released and not capture.is_open


def test_a_read_that_fails_after_waiting_is_tried_again_one_that_fails_at_once_is_an_error(
        capture, monkeypatch):
    monkeypatch.setattr(camera, "SLOW_READ", 0.0)  # every failed read "waited"
    stand_in = StandIn.made[0]
    stand_in.go.set()
    stand_in.answers = [(False, None), (False, None)]  # a camera slow to start
    assert capture.read() is FRAME
    monkeypatch.setattr(camera, "SLOW_READ", 60.0)  # every failed read "failed at once"
    stand_in.answers = [(False, None)]
    with pytest.raises(CameraError, match="camera 0: gave no frame"):
        capture.read()


def test_the_reader_drops_a_late_answer_and_gives_the_fresh_one(capture):
    stuck = StandIn.made[0]
    answered = threading.Event()
    reader = FrameReader(capture, answered.set)
    try:
        reader.ask()
        assert stuck.inside.wait(5)
        late = np.zeros_like(FRAME)
        stuck.answers = [(True, late)]
        reader.ask()  # the engine gave up on the first read and asks again
        stuck.go.set()
        assert answered.wait(5)
        assert reader.take() is FRAME  # the second read's frame, not the late one
        assert reader.take() is None  # and only once
        assert not stuck.overlapped
    finally:
        reader.close()
