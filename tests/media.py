"""Test media made from real photos: the committed face photos (tests/fixtures/, London
Set) and Yale's (../shared/data, read in place), frames of a face as a video file for
`--source` and as a y4m file for Chromium's fake camera."""
from __future__ import annotations

import zipfile
from pathlib import Path

import cv2
import numpy as np

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMILE_JPG = FIXTURES / "smile.jpg"  # 320x320, the model reads it as happy (see the README there)
NEUTRAL_JPG = FIXTURES / "neutral.jpg"  # the same person, read as neutral
POSED_ZIP = FIXTURES.parents[2] / "shared" / "data" / "posed" / "posed.zip"


def read_photo(path: Path) -> np.ndarray:
    """A committed photo as BGR; a missing file fails here, not as a None deep in a test."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f"{path}: missing or unreadable test photo")
    return img


def yale_photo(condition: str, person: str = "subject03") -> np.ndarray:
    """A Yale photo (320x243), padded to a square so webcam-like frames keep its shape."""
    with zipfile.ZipFile(POSED_ZIP) as z:
        img = cv2.imdecode(np.frombuffer(z.read(f"yale/{condition}/{person}.png"), np.uint8),
                           cv2.IMREAD_COLOR)
    pad = img.shape[1] - img.shape[0]
    return cv2.copyMakeBorder(img, pad // 2, pad - pad // 2, 0, 0, cv2.BORDER_REPLICATE)


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


def wavering_smile(photo: np.ndarray, count: int) -> list[np.ndarray]:
    """Frames of a smile (tests/fixtures/smile.jpg) whose confidence moves as a real face's
    does: every third has the mouth half hidden (still happy, ≈85% instead of 99%)."""
    h, w = photo.shape[:2]
    hidden = photo.copy()
    hidden[int(0.59 * h):int(0.67 * h), int(0.375 * w):int(0.625 * w)] = 128
    plain, covered = frames_of(photo, count), frames_of(hidden, count)
    return [covered[i] if i % 3 == 2 else plain[i] for i in range(count)]


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
