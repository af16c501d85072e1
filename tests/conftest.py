"""Shared fixtures: real photos (a smiling face from the London Set in tests/fixtures/,
FER2013 public_test faces from ../shared/data) and the shipped models. Nothing is downloaded."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.media import SMILE_JPG, read_photo

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
FER_TEST = SHARED / "fer2013" / "public_test.zip"

os.environ.setdefault("GLOG_minloglevel", "2")


@pytest.fixture(scope="session")
def smile() -> np.ndarray:
    """A real photo of a smiling face, BGR, 320x320."""
    return read_photo(SMILE_JPG)


def fer_faces(folder: str, count: int) -> list[np.ndarray]:
    """The first `count` public_test crops of one FER2013 folder (48x48 gray)."""
    with zipfile.ZipFile(FER_TEST) as z:
        names = sorted(n for n in z.namelist() if f"/{folder}/" in f"/{n}" and n.endswith(".jpg")
                       or f"/{folder}/" in f"/{n}" and n.endswith(".png"))[:count]
        return [cv2.imdecode(np.frombuffer(z.read(n), np.uint8), cv2.IMREAD_GRAYSCALE)
                for n in names]


@pytest.fixture(scope="session")
def model_path() -> Path:
    return ROOT / "models" / "expression.onnx"


@pytest.fixture(scope="session")
def recognizer(model_path):
    from face2emoji_tray.recognizer import Recognizer

    r = Recognizer(model_path)
    yield r
    r.close()
