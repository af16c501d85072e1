"""The command line as a user runs it: predict, eval, doctor, type-now."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import fer_faces
from tests.media import NEUTRAL_JPG, SMILE_JPG


def face2emoji(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "face2emoji_tray", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    shutil.copy(SMILE_JPG, folder / "smile.jpg")
    cv2.imwrite(str(folder / "wall.png"), np.full((300, 300, 3), 200, np.uint8))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return folder


@pytest.mark.parametrize(("photo", "answer"), [(SMILE_JPG, "😀 happy"),
                                               (NEUTRAL_JPG, "😐 neutral")])
def test_predict_a_photo_says_its_expression(photo, answer):
    done = face2emoji("predict", str(photo))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{photo}: {answer}")


def test_predict_json_lines_walk_folders_and_bad_files_do_not_stop_the_rest(photos):
    done = face2emoji("predict", "--json", str(photos))
    assert done.returncode == 1  # one file could not be read
    assert "broken.jpg: error: corrupt or truncated image" in done.stderr
    rows = {os.path.basename(r["path"]): r for r in map(json.loads, done.stdout.splitlines())}
    assert set(rows) == {"smile.jpg", "wall.png"}
    smile = rows["smile.jpg"]
    assert (smile["label"], smile["emoji"], smile["faces"]) == ("happy", "😀", 1)
    assert set(smile["probs"]) == {"angry", "happy", "neutral", "sad", "scared", "surprised"}
    assert abs(sum(smile["probs"].values()) - 1) < 1e-3
    assert rows["wall.png"]["label"] is None and rows["wall.png"]["faces"] == 0


def test_predict_face_crops_of_clear_smiles(tmp_path):
    for i, face in enumerate(fer_faces("happy", 8)):
        cv2.imwrite(str(tmp_path / f"{i}.png"), face)
    done = face2emoji("predict", "--json", "--face-crop", str(tmp_path))
    labels = [json.loads(line)["label"] for line in done.stdout.splitlines()]
    assert len(labels) == 8 and labels.count("happy") >= 6


def predicted_labels(folder) -> dict[str, str | None]:
    """`predict --json --face-crop` over a folder: file name → label."""
    done = face2emoji("predict", "--json", "--face-crop", str(folder))
    assert done.returncode == 0, done.stderr
    rows = map(json.loads, done.stdout.splitlines())
    return {os.path.relpath(r["path"], folder): r["label"] for r in rows}


def test_eval_scores_a_labelled_folder_as_predict_reads_each_file(tmp_path):
    data = tmp_path / "data"
    for folder in ("happy", "fear", "disgust"):
        (data / folder).mkdir(parents=True)
        for i, face in enumerate(fer_faces(folder, 6)):
            cv2.imwrite(str(data / folder / f"{i}.png"), face)
    done = face2emoji("eval", str(data), "--face-crop", "--out", str(tmp_path / "report"))
    assert done.returncode == 0, done.stderr
    assert "skipping disgust/" in done.stderr
    assert "accuracy" in done.stdout and "macro-F1" in done.stdout
    report = json.loads((tmp_path / "report" / "confusion.json").read_text())
    assert report["rows"] == ["happy", "scared"] and report["images"] == 12

    # The same files one by one through `predict`: eval's matrix and scores must match them.
    truth = {"happy": "happy", "fear": "scared"}
    labels = {name: label for name, label in predicted_labels(data).items()
              if not name.startswith("disgust")}
    pairs = Counter((truth[name.split(os.sep)[0]], label) for name, label in labels.items())
    matrix = {(row, col): n for row, counts in zip(report["rows"], report["matrix"])
              for col, n in zip(report["columns"], counts) if n}
    assert matrix == dict(pairs)
    correct = sum(n for (want, got), n in pairs.items() if want == got)
    assert report["accuracy"] == pytest.approx(correct / 12)
    assert report["per_class"]["happy"]["recall"] == pytest.approx(pairs["happy", "happy"] / 6)
    assert report["per_class"]["scared"]["recall"] == pytest.approx(pairs["scared", "scared"] / 6)
    with Image.open(tmp_path / "report" / "confusion.png") as png:
        assert png.size[0] > 200 and png.size[1] > 100


def test_doctor_reports_the_models_ok_and_exits_1_without_a_display():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-m", "face2emoji_tray", "doctor"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any(l.startswith("OK   model expression") for l in lines)
    assert any(l.startswith("OK   model eyes") for l in lines)
    assert any(l.startswith("FAIL display") for l in lines)
    assert all(l.startswith("OK") for l in lines if l.split()[1] in ("onnxruntime", "mediapipe"))


def test_type_now_without_a_running_app_says_so(tmp_path):
    done = face2emoji("type-now", env={"XDG_RUNTIME_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert "Face2Emoji is not running" in done.stderr
