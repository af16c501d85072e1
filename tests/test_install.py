"""Installing on the Pythons people have. `pip install .` or pipx resolves the wheel's metadata
for the user's interpreter and platform; uv resolves it for a target it does not run on, here
with binary wheels only: a desktop without a compiler and headers must be able to install the
app. The targets: CPython 3.10 to 3.14 on Linux x86_64 (Ubuntu 22.04 has 3.10, 24.04 3.12,
Debian 13 3.13, Fedora 43 3.14), 3.12 to 3.14 on Windows x64 and on macOS 14 arm64. Only
resolved, nothing is installed; the `network` tests ask PyPI (CI has access)."""
from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from uv import find_uv_bin

from tests.conftest import ROOT

CONSTRAINTS = ROOT / "constraints.txt"
LINUX = "x86_64-unknown-linux-gnu"
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
TARGETS = ([(python, LINUX) for python in PYTHONS]
           + [(python, platform) for python in ("3.12", "3.13", "3.14")
              for platform in ("x86_64-pc-windows-msvc", "aarch64-apple-darwin")])


def metadata(wheel: Path) -> dict[str, list[str]]:
    """The wheel's METADATA headers (what pip reads), each with all its values."""
    with zipfile.ZipFile(wheel) as z:
        (name,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        headers = Parser().parsestr(z.read(name).decode())
    return {key: headers.get_all(key) for key in set(headers.keys())}


def constraint_pins() -> list[Requirement]:
    lines = (line.split("#")[0].strip() for line in CONSTRAINTS.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def resolve(wheel: Path, python: str, platform: str, cache: Path,
            *options: str) -> subprocess.CompletedProcess:
    """uv's answer to installing the wheel on that target: `name==version` lines, or why not."""
    env = {**os.environ, "UV_CACHE_DIR": str(cache),
           "MACOSX_DEPLOYMENT_TARGET": "14.0"}  # read for the macOS target only
    return subprocess.run([find_uv_bin(), "pip", "compile", "-", "--no-config", "--quiet",
                           "--no-header", "--no-annotate", "--python-version", python,
                           "--python-platform", platform, "--only-binary", ":all:", *options],
                          input=f"face2emoji-tray @ {wheel.as_uri()}\n", env=env,
                          capture_output=True, text=True, timeout=300)


def pins(resolved: str) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in
            (line.split("==") for line in resolved.splitlines() if "==" in line)}


@pytest.fixture(scope="module")
def uv_cache(tmp_path_factory) -> Path:
    """One cache for the module's resolutions (PyPI's metadata is fetched once)."""
    return tmp_path_factory.mktemp("uv-cache")


@pytest.mark.slow
def test_the_wheel_admits_python_3_10_to_3_14(wheel):
    allowed = SpecifierSet(metadata(wheel)["Requires-Python"][0])
    assert [v for v in ("3.9.18", "3.10.0", "3.12.9", "3.13.5", "3.14.0") if v in allowed] == \
        ["3.10.0", "3.12.9", "3.13.5", "3.14.0"]


@pytest.mark.slow
def test_every_dependency_is_a_range_and_the_constraints_pin_a_version_inside_it(wheel):
    """Exact pins in the wheel conflict with whatever else a user's environment holds; they
    belong in constraints.txt, which `make` installs with, and must agree with the ranges."""
    requires = [Requirement(r) for r in metadata(wheel)["Requires-Dist"]]
    exact = [str(r) for r in requires if any(s.operator in ("==", "===") for s in r.specifier)]
    assert exact == []
    pinned = constraint_pins()
    for req in requires:
        versions = [next(iter(p.specifier)).version for p in pinned
                    if canonicalize_name(p.name) == canonicalize_name(req.name)]
        assert versions, f"{req.name} is not pinned in constraints.txt"
        assert all(req.specifier.contains(v, prereleases=True) for v in versions), (req, versions)


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.parametrize("python,platform", TARGETS)
def test_the_wheel_installs_from_binary_wheels_only(wheel, uv_cache, python, platform):
    # uv, like pip's resolver for dependencies, ignores an upper bound of Requires-Python
    assert f"{python}.0" in SpecifierSet(metadata(wheel)["Requires-Python"][0])
    done = resolve(wheel, python, platform, uv_cache)
    assert done.returncode == 0, done.stderr
    got = pins(done.stdout)
    assert got["mediapipe"].split(".")[0] == "1"  # the Face Landmarker task, py3-none wheels
    assert int(got["numpy"].split(".")[0]) == 2  # numpy 2 wherever the Python has it
    if platform == LINUX:  # the X11 hotkey is python-xlib's: no evdev to compile
        assert {"evdev", "pynput", "pygobject"}.isdisjoint(got) and "python-xlib" in got
    else:  # the hotkey and the typing are pynput's
        assert "pynput" in got


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.parametrize("python", PYTHONS)
def test_make_s_pinned_versions_install_from_binary_wheels_too(wheel, uv_cache, python):
    done = resolve(wheel, python, LINUX, uv_cache, "--constraint", str(CONSTRAINTS))
    assert done.returncode == 0, done.stderr
    got = pins(done.stdout)
    for pin in constraint_pins():
        name = canonicalize_name(pin.name)
        if name in got and (pin.marker is None or pin.marker.evaluate(
                {"python_version": python, "python_full_version": f"{python}.0",
                 "sys_platform": "linux", "platform_system": "Linux"})):
            assert got[name] == next(iter(pin.specifier)).version, pin


# `make` on a machine whose Pythons do not fit: the Makefile and tools/ of this checkout, in a
# folder without .venv/, with a PATH that holds make, bash and sed, stand-in interpreters that
# answer tools/find-python.sh's two questions (version, venv module), and an apt that records.
APT = ("dpkg-query", "apt-get", "sudo")


@pytest.fixture
def machine(tmp_path) -> tuple[Path, dict]:
    repo, bin_ = tmp_path / "repo", tmp_path / "bin"
    shutil.copytree(ROOT / "tools", repo / "tools")
    for name in ("Makefile", "setup.cfg", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, repo / name)
    bin_.mkdir()
    for tool in ("make", "bash", "sed"):
        (bin_ / tool).symlink_to(shutil.which(tool))
    for tool in APT:
        script(bin_ / tool, f'echo {tool} "$@" >> {tmp_path / "apt.log"}')
    return repo, {**os.environ, "PATH": str(bin_)}


def script(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def interpreter(env: dict, name: str, version: str, venv: bool = True) -> Path:
    path = Path(env["PATH"]) / name
    script(path, f'case "$2" in *ensurepip*) exit {0 if venv else 1};; *) echo {version};; esac')
    return path


def make(repo: Path, env: dict, target: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(repo), target], env=env, capture_output=True,
                          text=True, timeout=60)


def test_without_a_suitable_python_make_says_what_to_install_and_installs_nothing(machine):
    repo, env = machine
    interpreter(env, "python3", "3.9")  # e.g. Debian 11
    for target in ("run", "test"):
        done = make(repo, env, target)
        ours = [line for line in done.stderr.splitlines() if line.startswith("face2emoji:")]
        assert done.returncode != 0 and ours == [
            "face2emoji: needs Python 3.10 to 3.14 with venv (python3 is 3.9): install one "
            "(Debian 13: sudo apt install python3-venv; Ubuntu 24.04: python3.12-venv; 22.04: "
            "python3.10-venv) or run make PYTHON=/path/to/python3"], done.stderr
    assert not (repo.parent / "apt.log").exists() and not (repo / ".venv").exists()


def test_a_python_without_its_venv_module_is_named_with_the_package_to_install(machine):
    repo, env = machine
    interpreter(env, "python3", "3.12", venv=False)  # Ubuntu 24.04 before python3.12-venv
    done = make(repo, env, "run")
    assert "face2emoji: Python 3.12 is here without its venv module: install it (sudo apt " \
           "install python3.12-venv) and run make again" in done.stderr.splitlines()
    assert done.returncode != 0 and not (repo.parent / "apt.log").exists()


@pytest.mark.parametrize("installed,prefer,chosen", [
    ({"python3": "3.12"}, [], "python3"),  # Ubuntu 24.04
    ({"python3": "3.10"}, ["3.11"], "python3"),  # Ubuntu 22.04, make test
    ({"python3": "3.13"}, [], "python3"),  # Debian 13
    ({"python3": "3.14"}, ["3.11"], "python3"),  # Fedora 43, make test
    ({"python3": "3.9", "python3.10": "3.10", "python3.12": "3.12"}, [], "python3.12"),
    ({"python3": "3.15", "python3.13": "3.13"}, [], "python3.13"),
    ({"python3": "3.12", "python3.11": "3.11"}, ["3.11"], "python3.11"),  # make test
])
def test_the_python_make_uses(machine, installed, prefer, chosen):
    repo, env = machine
    for name, version in installed.items():
        interpreter(env, name, version)
    done = subprocess.run(["bash", str(repo / "tools" / "find-python.sh"), *prefer], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == str(Path(env["PATH"]) / chosen), done.stderr
