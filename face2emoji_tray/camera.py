"""Where frames come from: a webcam, a video file or a folder of images — one interface.

Everything after `read()` is the same code path whatever the source, so tests and demos
with a video file exercise what a webcam user runs. `release()` really closes the device
(the camera light goes off); `open()` opens it again.
"""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from face2emoji_tray import images


class CameraError(RuntimeError):
    """The source cannot give frames; the message says which source and why, in one line."""


class Source:
    """Base: open(), read() → BGR frame, release(). read() raises CameraError on failure."""

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
    """OpenCV VideoCapture: a device index, or a video file (looped, paced like a camera)."""

    def __init__(self, target: int | str, loop: bool = True) -> None:
        self.target, self.loop = target, loop
        self.name = f"camera {target}" if isinstance(target, int) else f"video {target}"
        self._cap: cv2.VideoCapture | None = None

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
        self._cap = cap

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise CameraError(f"{self.name}: not open")
        ok, frame = self._cap.read()
        if not ok and self.loop and isinstance(self.target, str):
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._cap.read()
        if not ok or frame is None or frame.size == 0:
            raise CameraError(f"{self.name}: gave no frame (unplugged, or in use elsewhere?)")
        return frame

    def release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


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
        if not self._files:
            raise CameraError(f"{self.name}: not open")
        path = self._files[self._next % len(self._files)]
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


def pace(last: float, fps: float) -> float:
    """Sleep until 1/fps after `last`; returns the new tick time."""
    wait = last + 1.0 / fps - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    return time.monotonic()
