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
from face2emoji_tray.shape import POSE_SCALE, SHAPE_MODEL, SIZE, ShapeFusion, aligned
from tests.media import FIXTURES, SMILE_JPG, read_photo
from tests.test_model_files import with_meta

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
    return probs, ShapeFusion().input(face)


@pytest.mark.parametrize("axis", ["yaw", "pitch"])
def test_a_head_turned_or_nodding_away_is_read_by_its_pixels_alone(axis):
    shape = ShapeFusion()
    probs, x = shape_of_smile()
    unsure = np.full_like(probs, 1 / probs.shape[1])  # pixels that cannot tell: the shape decides
    frontal = shape.fuse(unsure, x[None])
    assert shape.classes[int(frontal.argmax())] == "happy"
    turned = x.copy()
    turned[SIZE - 3 + ("yaw", "pitch").index(axis)] = 45 / POSE_SCALE
    assert np.allclose(shape.fuse(probs, turned[None]), probs, atol=1e-4)
    assert np.allclose(shape.fuse(unsure, turned[None]), unsure, atol=1e-4)


def test_a_tilted_head_is_still_read_by_its_shape():
    """Roll is not a turn away from the camera: the landmarks are levelled, the shape counts."""
    shape = ShapeFusion()
    probs, x = shape_of_smile()
    unsure = np.full_like(probs, 1 / probs.shape[1])
    tilted = x.copy()
    tilted[SIZE - 1] = 45 / POSE_SCALE  # roll 45°
    assert shape.classes[int(shape.fuse(unsure, tilted[None]).argmax())] == "happy"
    assert not np.allclose(shape.fuse(unsure, tilted[None]), unsure, atol=0.05)


def test_the_shape_reads_a_face_as_it_reads_its_mirror_image():
    """The network averages each face with its mirror twin (blendshapes left ↔ right,
    landmarks traded for their twins): the slight smile and its mirror photo, read by the
    shape alone (the pixels undecided), give the same answer."""
    shape, r = ShapeFusion(), Recognizer(shape_model=None)
    photo = read_photo(SLIGHT_SMILE_JPG)
    readings = []
    for img in (photo, photo[:, ::-1].copy()):
        x = shape.input(r.finder.prepare(img).face)
        readings.append(shape.fuse(np.full((1, 6), 1 / 6), x[None])[0])
    r.close()
    assert np.abs(readings[0] - readings[1]).max() < 0.05, readings


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
        ShapeFusion(with_meta(tmp_path, lambda m: m.update(classes=m["classes"][::-1]),
                              SHAPE_MODEL), classes=ShapeFusion().classes)
    with pytest.raises(ModelError, match="expected 1011"):
        ShapeFusion(with_meta(tmp_path, lambda m: m.update(input_size=52), SHAPE_MODEL))


def graph(tmp_path, output, meta: dict | None, inputs=("shape", "probs"), columns: int = 6):
    """A small hostile ONNX file: `output` is made from the `probs` input by one node."""
    from onnx import TensorProto, helper

    shapes = {"shape": ["n", SIZE], "probs": ["n", 6]}
    node_inputs = {"identity": ("Identity", ["probs"], {}),
                   "nan": ("Log", ["negative"], {}), "three": ("Slice", ["probs", "s", "e", "a"], {})}
    op, args, attrs = node_inputs[output]
    nodes = [helper.make_node("Neg", ["probs"], ["negative"])] if output == "nan" else []
    nodes.append(helper.make_node(op, args, ["fused"], **attrs))
    inits = ([helper.make_tensor(n, TensorProto.INT64, [1], [v]) for n, v in
              (("s", 0), ("e", 3), ("a", 1))] if output == "three" else [])
    g = helper.make_graph(nodes, "hostile",
                          [helper.make_tensor_value_info(i, TensorProto.FLOAT, shapes[i]) for i in inputs],
                          [helper.make_tensor_value_info("fused", TensorProto.FLOAT, ["n", columns])],
                          inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    if meta is not None:
        helper.set_model_props(model, {META_KEY: json.dumps(meta)})
    path = tmp_path / "hostile.onnx"
    onnx.save(model, str(path))
    return path


GOOD_META = {"classes": ["angry", "happy", "neutral", "sad", "scared", "surprised"],
             "input_size": SIZE, "blendshapes": [f"b{i}" for i in range(52)]}


@pytest.mark.parametrize("output, meta, inputs, columns, why", [
    ("identity", None, ("shape", "probs"), 6, "no 'face2emoji' metadata"),
    ("identity", ["not", "a", "dict"], ("shape", "probs"), 6, "not a JSON object"),
    ("identity", {**GOOD_META, "classes": [1, 2, 3, 4, 5, 6]}, ("shape", "probs"), 6,
     "classes are not a list"),
    ("identity", {**GOOD_META, "blendshapes": ["b"] * 52}, ("shape", "probs"), 6,
     "blendshapes are not a list of 52"),
    ("identity", GOOD_META, ("probs",), 6, "wrong architecture"),
    ("three", GOOD_META, ("shape", "probs"), 3, "wrong architecture"),
    ("nan", GOOD_META, ("shape", "probs"), 6, "gives no probabilities"),
])
def test_a_hostile_shape_file_is_refused_when_loaded_not_at_every_frame(
        tmp_path, output, meta, inputs, columns, why):
    path = graph(tmp_path, output, meta, inputs, columns)
    with pytest.raises(ModelError, match=why) as caught:
        ShapeFusion(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_face_whose_blendshapes_are_not_the_model_s_is_read_by_its_pixels(tmp_path):
    r = Recognizer(shape_model=None)
    face = r.finder.prepare(read_photo(SMILE_JPG)).face
    r.close()
    shape = ShapeFusion()
    assert shape.input(face) is not None
    face.blendshapes = dict(list(face.blendshapes.items())[:51])  # a MediaPipe with fewer
    assert shape.input(face) is None


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
