"""Shared fixtures: real photos (a smiling face from the London Set in tests/fixtures/,
FER2013 public_test faces from ../shared/data) and the shipped models. Nothing is downloaded."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.media import NEUTRAL_JPG, SMILE_JPG, read_photo

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
FER_TEST = SHARED / "fer2013" / "public_test.zip"

os.environ.setdefault("GLOG_minloglevel", "2")

# The platform folders our code (through platformdirs) and the processes the tests start use.
USER_DIRS = {"XDG_CONFIG_HOME": "config", "XDG_DATA_HOME": "data", "XDG_STATE_HOME": "state",
             "XDG_CACHE_HOME": "cache", "XDG_RUNTIME_DIR": "run"}
TEST_DIRS_PREFIX = "face2emoji-tests-"


def use_user_dirs(base: Path, setenv: Callable[[str, str], None]) -> Path:
    """Point every XDG folder at a fresh one under `base` (0700: the runtime dir must be)."""
    for var, name in USER_DIRS.items():
        (base / name).mkdir(mode=0o700, parents=True, exist_ok=True)
        setenv(var, str(base / name))
    return base


def pytest_configure(config: pytest.Config) -> None:
    """Before collection imports our modules: config.CONFIG_FILE and app.LOG_FILE are fixed at
    import, so the tests' own folders must be in place by then, or they name the user's."""
    base = Path(tempfile.mkdtemp(prefix=TEST_DIRS_PREFIX))
    config.add_cleanup(lambda: shutil.rmtree(base, ignore_errors=True))
    use_user_dirs(base, os.environ.__setitem__)


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory, monkeypatch) -> Path:
    """Each test, and every process it starts, gets empty config/data/state/cache/runtime
    folders: nothing reads or writes the user's, nor what an earlier test left (a config
    file, a log, a running app's control socket)."""
    return use_user_dirs(tmp_path_factory.mktemp("xdg"), monkeypatch.setenv)


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """A virtual X desktop with a tray host, notifications and a session bus (tests/desktop.py),
    one per test module that asks for it."""
    from tests.desktop import desktop

    with desktop(tmp_path_factory.mktemp("home")) as env:
        yield env


@pytest.fixture(scope="session")
def smile() -> np.ndarray:
    """A real photo of a smiling face, BGR, 320x320."""
    return read_photo(SMILE_JPG)


@pytest.fixture(scope="session")
def neutral() -> np.ndarray:
    """The same person's neutral face, BGR, 320x320."""
    return read_photo(NEUTRAL_JPG)


@pytest.fixture(scope="session")
def smile_video(tmp_path_factory, smile) -> Path:
    """Four seconds of that smile as a webcam would film it (10 frames/s), for `--source`."""
    from tests.media import frames_of, write_video

    return write_video(tmp_path_factory.mktemp("video") / "smile.avi", frames_of(smile, 40))


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


def checkout_files(dest: Path) -> Path:
    """The files a fresh clone would have (tracked, or new and not ignored): no build/ or
    egg-info left over from an earlier build can leak into the wheel."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file():  # a tracked file deleted in the working tree is skipped
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The app's wheel as `pip install .` builds it (tests/test_wheel.py, tests/test_install.py);
    built offline with this environment's setuptools (no build isolation, no downloads)."""
    src = checkout_files(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "--wheel-dir", str(out), str(src)],
                   capture_output=True, text=True, check=True, timeout=600)
    (built,) = out.glob("face2emoji_tray-*.whl")
    return built
