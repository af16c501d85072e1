"""doctor's checks of the install itself: requirements read as requirements, and the model
checksums when only what the wheel ships is there."""
from __future__ import annotations

import platform
import shutil
from importlib import metadata

from face2emoji_tray import doctor
from tests.conftest import ROOT


def test_requirements_with_ranges_bare_names_and_markers_are_checked_where_they_apply(
        monkeypatch):
    requires = ["numpy>=1.20,<3", "pystray", "python-xlib==0.33; sys_platform == 'linux'",
                "pywin32==306; sys_platform == 'win32'", "pytest==9.2.0; extra == 'test'",
                "numpy<1.0", "no-such-package-f2e==1.0"]
    monkeypatch.setattr(doctor.metadata, "requires", lambda dist: requires)
    checks = doctor.check_dependencies()
    numpy = metadata.version("numpy")
    assert [(c.name, c.ok, c.detail) for c in checks] == [
        ("numpy", True, numpy), ("pystray", True, metadata.version("pystray")),
        ("python-xlib", True, "0.33"),  # Linux only: the Windows and test-extra ones skipped
        ("numpy", False, f"{numpy} (wants <1.0)"), ("no-such-package-f2e", False, "missing")]


def test_the_model_checks_pass_without_the_torch_weights(tmp_path, monkeypatch):
    """A wheel ships SHA256SUMS, which also lists expression.pt, but not the .pt itself."""
    for name in ("expression.onnx", "eyes.onnx", "SHA256SUMS"):
        shutil.copy(ROOT / "models" / name, tmp_path / name)
    assert "expression.pt" in (tmp_path / "SHA256SUMS").read_text()
    monkeypatch.setattr(doctor, "MODELS", tmp_path)
    checks = [doctor.check_model(tmp_path / n) for n in ("expression.onnx", "eyes.onnx")]
    assert [c.ok for c in checks] == [True, True], checks
    sums = (tmp_path / "SHA256SUMS").read_text().splitlines()
    (tmp_path / "SHA256SUMS").write_text("\n".join(f"{'0' * 64}  eyes.onnx" if "eyes" in line
                                                   else line for line in sums))
    wrong = doctor.check_model(tmp_path / "eyes.onnx")  # the sums are really compared
    assert not wrong.ok and "checksum differs" in wrong.detail


def test_python_is_checked_against_the_installed_requires_python(monkeypatch):
    """Not a version written into doctor: 3.10 and 3.12 are as good as 3.11 (issue 19)."""
    here = platform.python_version()
    for requires, ok in ((">=3.10,<3.13", True), (f"<{here}", False)):
        monkeypatch.setattr(doctor.metadata, "metadata", lambda dist: {"Requires-Python": requires})
        check = doctor.check_python()
        assert (check.ok, check.detail) == (ok, here)
    assert f"use a Python <{here}" in check.line()
