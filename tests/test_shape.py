"""The face's shape beside its pixels (models/shape.onnx): a slight smile the pixels
miss, the same reading in a mirror, a turned head read by its pixels alone, and damaged or
foreign shape files refused in one line."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import onnx
import pytest

from face2emoji_tray.classifier import META_KEY, ModelError
from face2emoji_tray.face import FaceFinder
from face2emoji_tray.recognizer import Recognizer
from face2emoji_tray.shape import POSE_SCALE, SHAPE_MODEL, SIZE, ShapeFusion, aligned, face_input
from tests.media import FIXTURES, SMILE_JPG, read_photo

SLIGHT_SMILE_JPG = FIXTURES / "slight_smile.jpg"  # see tests/fixtures/README.md


@pytest.fixture(scope="module")
def pixels_only():
    r = Recognizer(shape_model=None)
    yield r
    r.close()


@pytest.fixture(scope="module")
def both():
    r = Recognizer()
    yield r
    r.close()


def leader(probs: dict[str, float]) -> str:
    return max(probs, key=probs.get)


def test_a_slight_smile_the_pixels_miss_is_read_as_happy_with_the_face_shape(pixels_only, both):
    photo = read_photo(SLIGHT_SMILE_JPG)
    assert leader(pixels_only.read(photo).probs) != "happy"
    reading = both.read(photo)
    assert reading.label() == "happy", reading.probs


def test_an_open_smile_stays_happy_and_a_mirrored_face_reads_the_same(both):
    photo = read_photo(SMILE_JPG)
    straight, mirrored = both.read(photo).probs, both.read(photo[:, ::-1].copy()).probs
    assert leader(straight) == leader(mirrored) == "happy"
    assert max(abs(straight[c] - mirrored[c]) for c in straight) < 0.05


def test_landmarks_are_read_the_same_wherever_and_however_large_and_tilted_the_face_is():
    with FaceFinder(Recognizer(shape_model=None).classifier.spec) as finder:
        landmarks = finder.prepare(read_photo(SMILE_JPG)).face.landmarks
    angle = np.radians(25)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (landmarks @ turn.T) * 2.5 + (400, -120)
    assert np.abs(aligned(moved) - aligned(landmarks)).max() < 1e-4
    assert np.abs(aligned(landmarks)[[468, 473]] - [[-0.5, 0], [0.5, 0]]).max() < 0.05  # irises


def shape_of_smile() -> tuple[np.ndarray, np.ndarray]:
    r = Recognizer(shape_model=None)
    face = r.finder.prepare(read_photo(SMILE_JPG)).face
    probs = r.classifier.probs([face.crop])
    r.close()
    return probs, face_input(face)


def test_a_head_turned_away_is_read_by_its_pixels_alone():
    shape = ShapeFusion()
    probs, x = shape_of_smile()
    unsure = np.full_like(probs, 1 / probs.shape[1])  # pixels that cannot tell: the shape decides
    frontal = shape.fuse(unsure, x[None])
    assert shape.classes[int(frontal.argmax())] == "happy"
    turned = x.copy()
    turned[SIZE - 3] = 45 / POSE_SCALE  # yaw 45°
    assert np.allclose(shape.fuse(probs, turned[None]), probs, atol=1e-4)
    assert np.allclose(shape.fuse(unsure, turned[None]), unsure, atol=1e-4)


def test_a_tight_crop_read_as_a_whole_image_keeps_the_pixels_reading(pixels_only, both):
    crop = cv2.resize(read_photo(SMILE_JPG)[60:260, 60:260], (64, 64))
    a = pixels_only.read(crop, whole_image=True).probs
    b = both.read(crop, whole_image=True).probs
    assert a == b


def test_the_shipped_shape_model_carries_its_mix_and_figures():
    meta = json.loads(next(p.value for p in onnx.load(str(SHAPE_MODEL)).metadata_props
                           if p.key == META_KEY))
    assert meta["input_size"] == SIZE and len(meta["classes"]) == 6
    assert 0 < meta["mix"]["weight"] and meta["mix"]["turn"] > 0
    assert "tcce 21-30" in meta["checks"]


def with_meta(tmp_path, change) -> str:
    model = onnx.load(str(SHAPE_MODEL))
    prop = next(p for p in model.metadata_props if p.key == META_KEY)
    meta = json.loads(prop.value)
    change(meta)
    prop.value = json.dumps(meta)
    path = tmp_path / "changed.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "missing"])
def test_a_damaged_shape_file_is_refused_in_one_line_naming_it(tmp_path, damage):
    path = tmp_path / "shape.onnx"
    data = SHAPE_MODEL.read_bytes()
    if damage != "missing":
        path.write_bytes({"truncated": data[: len(data) // 2], "garbage": b"\x00x" * 500,
                          "empty": b""}[damage])
    with pytest.raises(ModelError, match=f"^{path}: (not a loadable ONNX model|model file not found)"):
        ShapeFusion(path)


def test_a_foreign_or_mismatched_shape_file_is_refused(tmp_path):
    from face2emoji_tray.classifier import EYE_MODEL

    with pytest.raises(ModelError, match="not a Face2Emoji shape model"):
        ShapeFusion(EYE_MODEL)  # an ONNX file of ours, but not a shape model
    with pytest.raises(ModelError, match="made for classes"):
        ShapeFusion(with_meta(tmp_path, lambda m: m.update(classes=m["classes"][::-1])),
                    classes=tuple(json.loads(json.dumps(ShapeFusion().classes))))
    with pytest.raises(ModelError, match="expected 1011"):
        ShapeFusion(with_meta(tmp_path, lambda m: m.update(input_size=52)))


def test_predict_with_a_damaged_shape_file_exits_3_with_one_line(tmp_path):
    """The shipped file replaced by a broken one (a damaged install): `predict` says which
    file in one line and exits 3, as for the other models."""
    package = tmp_path / "pkg"
    shutil.copytree(SHAPE_MODEL.parent.parent / "face2emoji_tray", package / "face2emoji_tray")
    models = tmp_path / "pkg" / "models"
    shutil.copytree(SHAPE_MODEL.parent, models, ignore=shutil.ignore_patterns("*.pt", "report"))
    (models / "shape.onnx").write_bytes(b"broken")
    done = subprocess.run([sys.executable, "-m", "face2emoji_tray", "predict", str(SMILE_JPG)],
                          cwd=package, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done
    assert done.stderr.strip().count("\n") == 0 and "shape.onnx" in done.stderr, done.stderr
