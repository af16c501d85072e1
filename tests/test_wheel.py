"""The app as `pip install .` (or pipx) installs it: a wheel built from the checkout's files,
installed into a fresh virtual environment outside the checkout, run from an unrelated folder.
The models and the tray's icons must come from the wheel itself."""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from face2emoji_tray.emoji import CLASSES
from tests.conftest import ROOT
from tests.media import SMILE_JPG

pytestmark = pytest.mark.slow
STATE_PNGS = ["no_face.png", "paused.png", "problem.png", "unsure.png"]
EMOJI_PNGS = sorted(p.name for p in (ROOT / "assets" / "emoji").glob("*.png"))


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A new venv holding only our wheel; the heavy dependencies (mediapipe, ONNX Runtime...)
    are seen through a .pth line pointing at this environment's site-packages. A .pth path
    does not run the .pth files inside it, so the editable install there stays inactive."""
    env = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    (purelib,) = env.glob("lib/python3*/site-packages")
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"),
                    "install", "--no-deps", "--no-index", str(wheel)],
                   capture_output=True, text=True, check=True, timeout=300)
    return env


def run_installed(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """A command of the venv, from `cwd`, without a display or a PYTHONPATH into the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "PYTHONPATH")}
    return subprocess.run([str(venv / "bin" / args[0]), *args[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_wheel_holds_the_app_its_models_and_icons_and_nothing_else(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {f"face2emoji_tray/{p.relative_to(ROOT / 'face2emoji_tray')}"
               for p in (ROOT / "face2emoji_tray").rglob("*.py")}
    assert package <= names  # every module: the package list in setup.cfg is complete
    assert {"face2emoji_tray/models/expression.onnx", "face2emoji_tray/models/eyes.onnx",
            "face2emoji_tray/models/SHA256SUMS", "face2emoji_tray/assets/LICENSE.md",
            "face2emoji_tray/web/static/index.html",
            # MediaPipe's face model, with its licence and notice (Apache-2.0)
            "face2emoji_tray/models/face_landmarker.task",
            "face2emoji_tray/models/LICENSE-mediapipe.txt",
            "face2emoji_tray/models/NOTICE-mediapipe.txt"} <= names
    assert {f"face2emoji_tray/assets/emoji/{png}" for png in EMOJI_PNGS} <= names
    # every class's icon, and the four states (no face, paused, problem, unsure)
    assert sorted(EMOJI_PNGS) == sorted([f"{c}.png" for c in CLASSES] + STATE_PNGS)
    assert not [n for n in names if n.endswith(".pt") or "/report/" in n or "screenshots" in n]
    assert not [n for n in names if n.split("/")[0] in ("tests", "training", "bench", "tools",
                                                        "models", "assets")]
    assert wheel.stat().st_size < 30e6  # the two ONNX models, compressed: not the .pt too


def test_the_installed_app_uses_its_own_files(venv, tmp_path):
    code = ("import face2emoji_tray, face2emoji_tray.classifier as c, face2emoji_tray.tray as t;"
            "print(face2emoji_tray.__file__, c.MODELS, t.ASSETS, t.icon_image('happy').size)")
    done = run_installed(venv, tmp_path, "python", "-c", code)
    assert done.returncode == 0, done.stderr
    module, models, assets, size = done.stdout.split(maxsplit=3)
    for path in (module, models, assets):
        assert Path(path).is_relative_to(venv) and Path(path).exists(), path
    with Image.open(ROOT / "assets" / "emoji" / "happy.png") as png:
        assert size.strip() == str(png.size)


def test_doctor_finds_the_models_and_every_dependency(venv, tmp_path):
    done = run_installed(venv, tmp_path, "face2emoji", "doctor")
    lines = done.stdout.splitlines()
    failed = {l.split()[1] for l in lines if l.startswith("FAIL")}
    assert done.returncode == 1 and failed <= {"display", "typing"}, done.stdout  # no desktop
    assert "FAIL display" in done.stdout
    assert any(l.startswith("OK   model expression") for l in lines)
    assert any(l.startswith("OK   model eyes") for l in lines)
    for dependency in ("python-xlib", "packaging", "onnxruntime", "mediapipe"):
        assert any(l.startswith(f"OK   {dependency} ") for l in lines), dependency


def test_predict_reads_a_smile_from_a_folder_outside_the_checkout(venv, tmp_path):
    shutil.copy(SMILE_JPG, tmp_path / "smile.jpg")
    done = run_installed(venv, tmp_path, "face2emoji", "predict", "smile.jpg")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("smile.jpg: 😀 happy")
