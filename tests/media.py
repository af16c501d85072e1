"""Test media made from real photos: frames of a smiling face, as a video file for
`--source` and as a y4m file for Chromium's fake camera."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def frames_of(photo: np.ndarray, count: int, size=(640, 480), side: int = 300) -> list[np.ndarray]:
    """A face photo on a 640x480 frame, drifting a few pixels like a real webcam view."""
    w, h = size
    photo = photo if photo.ndim == 3 else cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR)
    face = cv2.resize(photo, (side, side), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(0)
    out = []
    for i in range(count):
        frame = np.full((h, w, 3), 90, np.uint8)
        dx, dy = (int(v) for v in rng.integers(-6, 7, 2))
        x, y = (w - side) // 2 + dx, (h - side) // 2 + dy
        frame[y:y + side, x:x + side] = face
        noise = rng.normal(0, 3, frame.shape)
        out.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return out


def wavering_smile(astronaut: np.ndarray, count: int) -> list[np.ndarray]:
    """Frames of the astronaut's smile whose confidence moves as a real face's does: every
    third has her chin hidden (still happy, ≈69% instead of 88%)."""
    chin_hidden = astronaut.copy()
    chin_hidden[154:175, 178:271] = 128
    plain, hidden = frames_of(astronaut, count), frames_of(chin_hidden, count)
    return [hidden[i] if i % 3 == 2 else plain[i] for i in range(count)]


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 10) -> Path:
    """YUV4MPEG2 4:2:0, the format Chromium's --use-file-for-fake-video-capture reads."""
    h, w = frames[0].shape[:2]
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            f.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path
