"""The command line as a user runs it: predict, eval, doctor, type-now; and what it does with
files and names it did not expect (FIFOs, devices, escape sequences, paths it cannot write)."""
from __future__ import annotations

import json
import os
import resource
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


def face2emoji(*args: str, env: dict | None = None, timeout: float = 300,
               memory: int | None = None) -> subprocess.CompletedProcess:
    """`face2emoji ARGS` to its end; `memory` caps the process's address space (bytes), so a
    read that grows without end fails quickly instead of filling the machine."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-m", "face2emoji_tray", *args], capture_output=True,
                          text=True, errors="surrogateescape", timeout=timeout,
                          env={**os.environ, **(env or {})}, preexec_fn=cap if memory else None)


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


# Reading files a user did not mean as images. A FIFO's open() blocked for good; /dev/zero was
# read until MemoryError. Each must be refused in one line naming it, the other files read.
SPECIAL_FILES = ("face.jpg", "zero.jpg")
ONE_RUN_S = 60  # a blocked read ends the run here: the test fails instead of hanging
RUN_MEMORY = 4 << 30  # address space: twice what a run needs (it runs in 2 GB), not GBs of zeros


def special_files(folder) -> None:
    """A FIFO named face.jpg and a link to /dev/zero named zero.jpg in `folder`."""
    os.mkfifo(folder / "face.jpg")
    (folder / "zero.jpg").symlink_to("/dev/zero")


def refused_in_one_line(stderr: str, folder, verb: str) -> None:
    for name in SPECIAL_FILES:
        assert f"{folder / name}: {verb}: not a regular file\n" in stderr, stderr
    assert "Traceback" not in stderr and "MemoryError" not in stderr


def test_predict_on_a_fifo_and_dev_zero_named_as_photos_says_each_is_no_file_and_goes_on(
        tmp_path):
    special_files(tmp_path)
    shutil.copy(SMILE_JPG, tmp_path / "smile.jpg")
    done = face2emoji("predict", str(tmp_path), timeout=ONE_RUN_S, memory=RUN_MEMORY)
    assert done.returncode == 1  # a file could not be read
    refused_in_one_line(done.stderr, tmp_path, "error")
    assert done.stdout.startswith(f"{tmp_path / 'smile.jpg'}: 😀 happy")


def test_eval_told_to_write_its_scores_into_a_file_says_so_in_one_line_before_scoring(tmp_path):
    (tmp_path / "data" / "happy").mkdir(parents=True)
    shutil.copy(SMILE_JPG, tmp_path / "data" / "happy")
    (tmp_path / "notes.txt").write_text("mine")
    done = face2emoji("eval", str(tmp_path / "data"), "--out", str(tmp_path / "notes.txt"),
                      timeout=ONE_RUN_S)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr == (f"face2emoji: {tmp_path / 'notes.txt'}: not a folder (--out is where "
                           "confusion.json and .png go)\n")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_eval_on_a_fifo_and_dev_zero_in_a_class_folder_scores_the_photos_beside_them(tmp_path):
    happy = tmp_path / "data" / "happy"
    happy.mkdir(parents=True)
    special_files(happy)
    for i, face in enumerate(fer_faces("happy", 3)):
        cv2.imwrite(str(happy / f"{i}.png"), face)
    done = face2emoji("eval", str(tmp_path / "data"), "--face-crop", "--out", str(tmp_path),
                      timeout=ONE_RUN_S, memory=RUN_MEMORY)
    assert done.returncode == 0, done.stderr
    refused_in_one_line(done.stderr, happy, "error")
    assert json.loads((tmp_path / "confusion.json").read_text())["images"] == 3


def my_faces(folder, each: int = 2) -> None:
    """Face crops of one expression per class folder, enough for `calibrate --face-crop`."""
    for name, fer in (("happy", "happy"), ("surprised", "surprise")):
        (folder / name).mkdir(parents=True)
        for i, face in enumerate(fer_faces(fer, each)):
            cv2.imwrite(str(folder / name / f"{i}.png"), face)


def test_calibrate_skips_a_fifo_and_dev_zero_among_my_photos_and_learns_from_the_rest(tmp_path):
    my_faces(tmp_path / "me")
    special_files(tmp_path / "me" / "happy")
    mine = tmp_path / "mine.json"
    done = face2emoji("calibrate", str(tmp_path / "me"), "--face-crop", "--profile", str(mine),
                      timeout=ONE_RUN_S, memory=RUN_MEMORY)
    assert done.returncode == 0, done.stderr
    refused_in_one_line(done.stderr, tmp_path / "me" / "happy", "skipped")
    assert "happy: 2 photos" in done.stdout and mine.is_file()


def test_calibrate_that_cannot_write_the_profile_says_so_in_one_line(tmp_path):
    my_faces(tmp_path / "me")
    (tmp_path / "a file").write_text("not a folder")
    target = tmp_path / "a file" / "profile.json"
    done = face2emoji("calibrate", str(tmp_path / "me"), "--face-crop", "--profile", str(target),
                      timeout=ONE_RUN_S)
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last.startswith(f"face2emoji: {target}: cannot write the profile ("), done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "a file").read_text() == "not a folder"


# A file named to take over the terminal: ESC]2;…BEL sets its title, ESC[31m turns it red; a
# byte that is no UTF-8 (0x9b, the 8-bit CSI) made print() fail. All are shown as escapes.
HOSTILE = "\x1b]2;pwned\x07\x1b[31mred"
HOSTILE_SHOWN = r"\x1b]2;pwned\x07\x1b[31mred"
RAW = ("\x1b", "\x07", "\x9b", "\udc9b")  # none may reach the terminal


def test_file_and_folder_names_with_escape_sequences_are_printed_escaped(tmp_path):
    (tmp_path / f"{HOSTILE}.jpg").write_bytes(b"not an image")
    (tmp_path / os.fsdecode(b"\x9b.jpg")).write_bytes(b"not an image either")
    smile = tmp_path / f"{HOSTILE}-smile.jpg"
    shutil.copy(SMILE_JPG, smile)
    utf8 = {"LC_ALL": "C.UTF-8", "PYTHONUTF8": "0", "PYTHONIOENCODING": "utf-8:strict"}
    done = face2emoji("predict", str(tmp_path), env=utf8, timeout=ONE_RUN_S)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"{tmp_path}/{HOSTILE_SHOWN}.jpg: error: not an image" in done.stderr
    assert f"{tmp_path}/\\udc9b.jpg: error: not an image" in done.stderr
    assert f"{tmp_path}/{HOSTILE_SHOWN}-smile.jpg: 😀 happy" in done.stdout
    as_json = face2emoji("predict", "--json", str(smile), env=utf8, timeout=ONE_RUN_S)
    assert json.loads(as_json.stdout)["path"] == str(smile)  # the same name, read back
    data = tmp_path / "data"
    (data / HOSTILE).mkdir(parents=True)
    scored = face2emoji("eval", str(data), env=utf8, timeout=ONE_RUN_S)
    assert f"skipping {HOSTILE_SHOWN}/: not one of our classes" in scored.stderr
    for run in (done, as_json, scored):
        assert not any(raw in run.stdout + run.stderr for raw in RAW), run


def test_web_on_a_port_beyond_65535_is_a_usage_error_in_one_line():
    for port in ("70000", "0", "-1"):
        done = face2emoji("web", "--no-browser", "--port", port, timeout=ONE_RUN_S)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.splitlines()[-1] == (f"face2emoji web: error: argument --port: "
                                                f"'{port}' is not a port (1-65535)")
