"""The wink rule on numbers, and the shipped eye model on real eye patches (CEW held-out)."""
from __future__ import annotations

import zipfile

import cv2
import numpy as np

from face2emoji_tray.eyes import EyeReader, Eyes
from tests.conftest import SHARED


def test_one_eye_closed_with_a_clear_difference_is_a_wink():
    assert Eyes(closed=(0.05, 0.9), openness=(0.31, 0.14)).is_wink()


def test_a_blink_is_not_a_wink():
    e = Eyes(closed=(0.9, 0.95), openness=(0.1, 0.11))
    assert not e.is_wink() and e.both_closed()


def test_a_broad_smile_narrows_both_eyes_alike_and_is_not_a_wink():
    # the model may call one narrowed eye closed, but the two eyes are equally open
    assert not Eyes(closed=(0.3, 0.7), openness=(0.19, 0.2)).is_wink()


def test_the_eye_model_tells_open_from_closed_on_real_patches():
    reader = EyeReader()
    with zipfile.ZipFile(SHARED / "cew" / "eyes.zip") as z:
        names = sorted(n for n in z.namelist() if n.endswith(".jpg"))
        picks = [n for n in names if "/closed" in n][:40] + [n for n in names if "/open" in n][:40]
        patches = [cv2.imdecode(np.frombuffer(z.read(n), np.uint8), cv2.IMREAD_GRAYSCALE)
                   for n in picks]
    p_closed = reader.model.probs(patches)[:, reader.model.classes.index("closed")]
    truth = np.array(["/closed" in n for n in picks])
    assert ((p_closed > 0.5) == truth).mean() > 0.9
