"""A newcomer on Debian 13, whose python3 is 3.13: in a fresh Debian 13 root made with
debootstrap (the shared libraries every desktop has installed with apt), `pip install` of the
built wheel then `face2emoji predict` reads a smile with nothing else on the terminal, and
`make run ARGS=doctor` sets everything up and gives its check lines.

It runs where root and debootstrap are (CI has both: `make test` installs debootstrap) and asks
Debian's archive and PyPI; elsewhere it is skipped with its reason. Inside the root, /proc and
/sys are mounted: MediaPipe's allocator reads the CPU count there and aborts without them.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, checkout_files
from tests.media import SMILE_JPG

RELEASE = "trixie"  # Debian 13
DESKTOP_LIBS = "libgl1,libglib2.0-0t64,libxcb1,libegl1,libgles2"  # what OpenCV's wheel links

pytestmark = [
    pytest.mark.slow, pytest.mark.network,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Debian 13 is a Linux root"),
    pytest.mark.skipif(os.geteuid() != 0 if hasattr(os, "geteuid") else True,
                       reason="debootstrap and chroot need root"),
    pytest.mark.skipif(shutil.which("debootstrap") is None,
                       reason="debootstrap is not installed (make test installs it)"),
]


def host_certificates() -> Path | None:
    """The CA bundle this machine trusts (a proxy's own CA included), for pip inside the root;
    None where pip's own (certifi's) will do."""
    for name in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        if os.environ.get(name) and Path(os.environ[name]).is_file():
            return Path(os.environ[name])
    return None


@pytest.fixture(scope="module")
def debian13(tmp_path_factory) -> Path:
    """A fresh Debian 13 root with python3 and python3-venv, /proc and /sys mounted."""
    root = tmp_path_factory.mktemp("debian13") / RELEASE
    done = subprocess.run(["debootstrap", "--variant=minbase",
                           f"--include=python3,python3-venv,{DESKTOP_LIBS}", RELEASE, str(root)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
    (root / "w").mkdir()
    certificates = host_certificates()
    if certificates is not None:
        shutil.copy(certificates, root / "w" / "ca.crt")
    mounts = [(["mount", "-t", "proc", "proc", str(root / "proc")], root / "proc"),
              (["mount", "--bind", "/sys", str(root / "sys")], root / "sys")]
    mounted = []
    try:
        for command, where in mounts:
            subprocess.run(command, check=True, timeout=30)
            mounted.append(where)
        yield root
    finally:
        for where in reversed(mounted):
            subprocess.run(["umount", "-l", str(where)], timeout=30)
        if not mounted or all(not os.path.ismount(w) for w in mounted):
            shutil.rmtree(root, ignore_errors=True)


def inside(root: Path, script: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """`sh -c script` in the root, as a new user's shell would run it (a clean environment)."""
    env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8",
           "DEBIAN_FRONTEND=noninteractive"]
    if (root / "w" / "ca.crt").exists():
        env.append("PIP_CERT=/w/ca.crt")
    return subprocess.run(["chroot", str(root), "/usr/bin/env", "-i", *env, "/bin/sh", "-c",
                           script], capture_output=True, text=True, timeout=timeout)


def test_pip_install_of_the_wheel_then_predict_reads_a_smile(debian13, wheel):
    shutil.copy(wheel, debian13 / "w" / wheel.name)
    shutil.copy(ROOT / "constraints.txt", debian13 / "w" / "constraints.txt")
    shutil.copy(SMILE_JPG, debian13 / "w" / "smile.jpg")
    installed = inside(debian13, "python3 --version && python3 -m venv /venv && /venv/bin/pip "
                       f"install -q --only-binary :all: -c /w/constraints.txt /w/{wheel.name}")
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert installed.stdout.startswith("Python 3.13.")
    done = inside(debian13, "cd /w && /venv/bin/face2emoji predict smile.jpg", timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("smile.jpg: \U0001F600 happy")
    assert done.stderr == ""  # answers only: none of MediaPipe's or TFLite's log lines


def test_make_run_sets_up_and_doctor_gives_its_check_lines(debian13):
    checkout_files(debian13 / "w" / "repo")
    done = inside(debian13, "apt-get update -qq && apt-get install -y -qq make >/dev/null && "
                  "cd /w/repo && make run ARGS=doctor", timeout=1500)
    lines = done.stdout.splitlines()
    checks = {line[5:27].strip(): line[:4].strip() for line in lines
              if line[:4] in ("OK  ", "FAIL", "WARN")}
    assert checks.get("python") == "OK", done.stdout[-3000:] + done.stderr[-3000:]
    assert any(line.startswith("OK   python                 3.13.") for line in lines)
    for needed in ("mediapipe", "numpy", "onnxruntime", "model expression", "model eyes",
                   "model face"):
        assert checks.get(needed) == "OK", (needed, done.stdout[-3000:])
    # No display nor typing tool in a bare root: doctor says so and exits 1, as documented.
    assert checks["display"] == "FAIL" and done.returncode != 0
