"""Where frames come from: a webcam, a video file or a folder of images — one interface.

Everything after `read()` is the same code path whatever the source, so tests and demos
with a video file exercise what a webcam user runs. `release()` really closes the device
(the camera light goes off); `open()` opens it again.

The engine reads frames in a thread of its own (FrameReader) and opens and releases the
source from its watcher thread, so that a camera stuck inside read() can still be released
when the user pauses. Every Source must therefore allow release() while a read() blocks in
another thread: the device is let go without waiting for that read, which then ends soon
(with a frame or a CameraError). Reads never overlap: only the reader thread reads.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from face2emoji_tray import images

# OpenCV's V4L2 backend waits up to 10 s (this variable, in seconds) inside read() for a
# frame that does not come, and a capture must not be released while it reads: 1 s bounds
# how long a paused, stalled camera stays on. Read by OpenCV at its first wait, so setting
# it here, before any capture reads, is in time. A user's own setting wins.
os.environ.setdefault("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", "1")
SLOW_READ = 0.5  # seconds: a failed read that took this long waited for a frame (see read)


class CameraError(RuntimeError):
    """The source cannot give frames; the message says which source and why, in one line."""


class Source:
    """Base: open(), read() → BGR frame, release(). read() raises CameraError on failure.

    release() may be called while read() blocks in another thread (see the module's doc).
    """

    name = "source"

    def open(self) -> None:
        raise NotImplementedError

    def read(self) -> np.ndarray:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    @property
    def is_open(self) -> bool:
        raise NotImplementedError


class CaptureSource(Source):
    """OpenCV VideoCapture: a device index, or a video file (looped, paced like a camera).

    A VideoCapture has no lock of its own: releasing it while another thread is inside its
    read() frees buffers that read is still using. So release() lets go of the capture at
    once but leaves the closing to the thread reading it, which does it as soon as its read
    returns (within the V4L2 wait above); a new open() meanwhile gets a capture of its own.
    """

    def __init__(self, target: int | str, loop: bool = True) -> None:
        self.target, self.loop = target, loop
        self.name = f"camera {target}" if isinstance(target, int) else f"video {target}"
        self._cap: cv2.VideoCapture | None = None
        self._reading: cv2.VideoCapture | None = None  # the capture a read() is inside
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    def open(self) -> None:
        if isinstance(self.target, str) and not Path(self.target).is_file():
            raise CameraError(f"{self.name}: no such file")
        cap = cv2.VideoCapture(self.target)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"{self.name}: cannot be opened (not connected, or busy in "
                              "another application)")
        with self._lock:
            self._cap = cap

    def read(self) -> np.ndarray:
        with self._lock:
            cap = self._reading = self._cap
        if cap is None:
            raise CameraError(f"{self.name}: not open")
        try:
            frame = self._wait_for_frame(cap)
        finally:
            with self._lock:
                self._reading = None
                let_go = cap is not self._cap
            if let_go:  # released while we read: closing it was left to us
                cap.release()
        if let_go:
            raise CameraError(f"{self.name}: released while reading")
        if frame is None:
            raise CameraError(f"{self.name}: gave no frame (unplugged, or in use elsewhere?)")
        return frame

    def _wait_for_frame(self, cap: cv2.VideoCapture) -> np.ndarray | None:
        """A frame from `cap`, waiting as long as it stays the open capture; None when it
        fails at once (an error, not a slow camera) or is released. A read that fails only
        after waiting (a camera slow to give its first frame) is tried again: the engine,
        not the driver's wait, decides when a silent camera is a fault."""
        while cap is self._cap:
            started = time.monotonic()
            ok, frame = cap.read()
            if not ok and self.loop and isinstance(self.target, str):
                cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, frame = cap.read()
            if ok and frame is not None and frame.size:
                return frame
            if time.monotonic() - started < SLOW_READ:
                return None
        return None

    def release(self) -> None:
        with self._lock:
            cap, self._cap = self._cap, None
            if cap is None or cap is self._reading:  # being read: the reader closes it
                return
        cap.release()


class FolderSource(Source):
    """Sorted images of a folder (or one image file), one per read, looping."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.name = f"{'folder' if self.folder.is_dir() else 'image'} {folder}"
        self._files: list[Path] | None = None
        self._next = 0

    @property
    def is_open(self) -> bool:
        return self._files is not None

    def open(self) -> None:
        files = images.walk([self.folder]) if self.folder.exists() else []
        if not files:
            raise CameraError(f"{self.name}: no images found")
        self._files, self._next = files, 0

    def read(self) -> np.ndarray:
        files = self._files  # once: release() from another thread may clear it meanwhile
        if not files:
            raise CameraError(f"{self.name}: not open")
        path = files[self._next % len(files)]
        self._next += 1
        try:
            return images.read(path)
        except images.ImageError as exc:
            raise CameraError(f"{self.name}: {path.name}: {exc}") from None

    def release(self) -> None:
        self._files = None


def from_arg(arg: str | int) -> Source:
    """'--source' value → a Source: a number is a device index, a folder or an image file a
    FolderSource, anything else a video file."""
    if isinstance(arg, int) or str(arg).isdigit():
        return CaptureSource(int(arg))
    path = Path(arg)
    if path.is_dir() or path.suffix.lower() in images.IMAGE_SUFFIXES:
        return FolderSource(path)
    return CaptureSource(str(arg))


class Backoff:
    """Delays between reconnection attempts: 0.5 s doubling to 10 s, reset on success."""

    def __init__(self, first: float = 0.5, most: float = 10.0) -> None:
        self.first, self.most = first, most
        self.delay = first

    def next(self) -> float:
        delay, self.delay = self.delay, min(self.delay * 2, self.most)
        return delay

    def reset(self) -> None:
        self.delay = self.first


class FrameReader:
    """Reads a Source in a daemon thread of its own, one frame per request.

    A camera can block inside read() (a stalled driver, a dying USB hub). With the read done
    here, the engine waits for its frame with a deadline and stays free to pause (releasing
    the device while the read is stuck), to report the stall, and to stop. Only this thread
    reads, so reads never overlap; the answer to a request the engine has since replaced by
    a new one is dropped, so a late frame is never taken for a fresh one.
    """

    def __init__(self, source: Source, on_answer: Callable[[], None]) -> None:
        self.source, self._on_answer = source, on_answer
        self._cond = threading.Condition()
        self._asked = 0  # requests so far; an answer is only kept for the latest
        self._answer: tuple[np.ndarray | None, Exception | None] | None = None
        self._closed = False
        threading.Thread(target=self._run, name="face2emoji-camera", daemon=True).start()

    @property
    def answered(self) -> bool:
        with self._cond:
            return self._answer is not None

    def ask(self) -> None:
        """Request a new frame; an answer not yet taken is dropped."""
        with self._cond:
            self._asked += 1
            self._answer = None
            self._cond.notify()

    def take(self) -> np.ndarray | None:
        """The requested frame once read, else None; the read's exception is raised here."""
        with self._cond:
            answer, self._answer = self._answer, None
        if answer is None:
            return None
        frame, error = answer
        if error is not None:
            raise error
        return frame

    def close(self) -> None:
        """End the thread: now if it is idle, else when its read ends (release() ends it)."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _run(self) -> None:
        served = 0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._asked != served)
                if self._closed:
                    return
                served = self._asked
            try:
                answer: tuple[np.ndarray | None, Exception | None] = (self.source.read(), None)
            except Exception as exc:  # any kind: the engine reports it and retries
                answer = (None, exc)
            with self._cond:
                if self._closed or served != self._asked:
                    continue  # replaced or closed while reading: nobody wants this one
                self._answer = answer
            self._on_answer()
