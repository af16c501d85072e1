"""A missing, corrupt, truncated or wrong model file: a clear error naming the file, and
the documented exit code (3) from the command line."""
from __future__ import annotations

import json
import subprocess
import sys

import onnx
import pytest

from face2emoji_tray.classifier import EYE_MODEL, META_KEY, Classifier, ModelError


def with_meta(tmp_path, change, source=EYE_MODEL) -> str:
    """A copy of the model file `source` whose metadata `change` has edited."""
    model = onnx.load(str(source))
    prop = next(p for p in model.metadata_props if p.key == META_KEY)
    meta = json.loads(prop.value)
    change(meta)
    prop.value = json.dumps(meta)
    path = tmp_path / "changed.onnx"
    onnx.save(model, str(path))
    return path


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match=f"{tmp_path / 'nope.onnx'}: model file not found"):
        Classifier(tmp_path / "nope.onnx")


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_corrupt_file_names_the_file(tmp_path, damage):
    data = EYE_MODEL.read_bytes()
    path = tmp_path / "broken.onnx"
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": b"\x00not onnx" * 100,
                      "empty": b""}[damage])
    with pytest.raises(ModelError, match=f"{path}: not a loadable ONNX model"):
        Classifier(path)


def test_an_onnx_file_that_is_not_ours(tmp_path):
    model = onnx.load(str(EYE_MODEL))
    del model.metadata_props[:]
    path = tmp_path / "foreign.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ModelError, match="not a Face2Emoji model"):
        Classifier(path)


def test_wrong_architecture_is_caught_before_the_first_frame(tmp_path):
    path = with_meta(tmp_path, lambda m: m["input"].update(size=64))
    with pytest.raises(ModelError, match="wrong architecture"):
        Classifier(path)
    path = with_meta(tmp_path, lambda m: m.update(classes=["a", "b", "c"]))
    with pytest.raises(ModelError, match="wrong architecture: 2 outputs for 3 classes"):
        Classifier(path)


def test_the_command_line_exits_3_with_one_line_naming_the_file(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"junk")
    done = subprocess.run([sys.executable, "-m", "face2emoji_tray", "predict", "x.png",
                           "--model", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    assert done.stderr.strip().splitlines()[-1].startswith(f"face2emoji: {path}: not a loadable")
