"""`face2emoji doctor`: can the app run here? One line per check, with a hint when not.

Exit code 0 when everything the app needs is there (camera and tray host may be missing:
the app still runs and says so), 1 when something it needs is missing.
"""
from __future__ import annotations

import hashlib
import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from face2emoji_tray import desktop, typers
from face2emoji_tray.classifier import EXPRESSION_MODEL, EYE_MODEL, MODELS, Classifier, ModelError
from face2emoji_tray.config import load as load_config
from face2emoji_tray.printable import printable
from face2emoji_tray.shape import SHAPE_MODEL, ShapeFusion

DIST = "face2emoji-tray"
RESTORE = "reinstall face2emoji-tray (in a checkout: `git checkout models/`)"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    needed: bool = True  # a failed needed check makes doctor exit 1
    hint: str = ""

    def line(self) -> str:
        word = "OK  " if self.ok else ("FAIL" if self.needed else "WARN")
        hint = f"  → {self.hint}" if not self.ok and self.hint else ""
        return f"{word} {self.name:<22} {self.detail}{hint}".replace("\n", "\n" + " " * 6)


def check_python() -> Check:
    """This Python against the Requires-Python the app was installed with (setup.cfg's)."""
    here = platform.python_version()
    try:
        wanted = SpecifierSet(metadata.metadata(DIST).get("Requires-Python") or "")
    except metadata.PackageNotFoundError:  # check_dependencies reports it
        wanted = SpecifierSet()
    return Check("python", wanted.contains(here, prereleases=True), here,
                 hint=f"use a Python {wanted}")


def check_dependencies() -> list[Check]:
    """Every runtime requirement that applies here installed at a version it allows.

    The installed metadata is read as real requirements, not as `name==version` text: a range,
    a bare name or an environment marker (python-xlib is for Linux only; extras' requirements
    carry `extra == ...`) must neither crash doctor nor be checked where it does not apply.
    """
    try:
        requires = metadata.requires(DIST) or []
    except metadata.PackageNotFoundError:
        return [Check("dependencies", False, f"{DIST} is not installed", hint="run `make run`")]
    out = []
    for req in map(Requirement, requires):
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            out.append(Check(req.name, False, "missing", hint="run `make run`"))
            continue
        ok = req.specifier.contains(have, prereleases=True)
        out.append(Check(req.name, ok, have if ok else f"{have} (wants {req.specifier})",
                         hint="run `make run` to install the pinned version"))
    return out


def _checksums() -> dict[str, str]:
    sums = MODELS / "SHA256SUMS"
    if not sums.is_file():
        return {}
    return {n.strip(): h for h, n in (line.split(maxsplit=1) for line in
                                       sums.read_text().splitlines() if line.strip())}


def check_model(path: Path, load: Callable = Classifier) -> Check:
    """A shipped ONNX model (expression, eyes: Classifier; shape: ShapeFusion) loads and is
    the file SHA256SUMS names."""
    name = f"model {path.stem}"
    try:
        model = load(path)
    except ModelError as exc:
        return Check(name, False, str(exc), hint=RESTORE)
    want = _checksums().get(path.name)
    have = hashlib.sha256(path.read_bytes()).hexdigest()
    if want != have:
        return Check(name, False, f"{path.name}: checksum differs from models/SHA256SUMS",
                     hint=RESTORE)
    return Check(name, True, f"{path.name} ({', '.join(model.classes)})")


def check_face_model() -> Check:
    """The Face Landmarker task file: the one we ship (its hash), and MediaPipe can run it."""
    from face2emoji_tray.face import FaceFinder
    from face2emoji_tray.preprocess import InputSpec
    from face2emoji_tray.landmarker import TASK_FILE

    try:
        FaceFinder(InputSpec()).close()
    except ModelError as exc:
        return Check("model face", False, str(exc), hint=RESTORE)
    except Exception as exc:  # MediaPipe's own refusal (RuntimeError, ValueError): one line
        return Check("model face", False, f"{TASK_FILE.name}: MediaPipe cannot run it: "
                     f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    return Check("model face", True, f"{TASK_FILE.name} (MediaPipe Face Landmarker)")


def check_display() -> Check:
    where = typers.desktop()
    if where == "none":
        return Check("display", False, "no DISPLAY or WAYLAND_DISPLAY",
                     hint="run it inside your desktop session")
    return Check("display", True, where)


def check_tray_host() -> Check:
    """A StatusNotifierWatcher on the session bus, or an X system tray (desktop.tray_host)."""
    if typers.desktop() == "none":
        return Check("tray host", False, "no display", needed=False)
    found, detail = desktop.tray_host()
    if found:
        return Check("tray host", True, detail, needed=False)
    return Check("tray host", False, detail, needed=False,
                 hint="GNOME: add the AppIndicator extension; without an icon the hotkey and "
                      f"`{desktop.TYPE_NOW}` still work")


def check_hotkey(combination: str | None = None) -> Check:
    """Under Wayland no global hotkey: say how to bind `face2emoji type-now` instead."""
    combination = combination or load_config()[0].hotkey
    if desktop.wayland():
        return Check("hotkey", False, desktop.NO_HOTKEY, needed=False,
                     hint="\n".join(desktop.bind_advice(combination, gnome_line=True)))
    return Check("hotkey", True, f"{combination} (global)", needed=False)


def check_camera(index: int = 0) -> Check:
    if sys.platform.startswith("linux"):
        devices = sorted(Path("/dev").glob("video*"))
        if not devices:
            return Check("camera", False, "no /dev/video* device", needed=False,
                         hint="plug in a webcam; `--source VIDEO` works without one")
    import cv2

    cap = cv2.VideoCapture(index)
    ok = cap.isOpened()
    cap.release()
    return Check("camera", ok, f"camera {index} opens" if ok else f"camera {index} cannot be "
                 "opened (busy or not permitted)", needed=False,
                 hint="close other apps using it; check permissions (video group)")


def check_typing() -> Check:
    """This desktop's backends in the order each press tries them, the first one marked."""
    try:
        chain = typers.choose("auto")
    except typers.TypingError as exc:
        return Check("typing", False, str(exc),
                     hint="X11: apt install xdotool; sway/Hyprland: wtype; GNOME/KDE Wayland: "
                          "wl-clipboard and ydotool 1.0+ with ydotoold running")
    return Check("typing", True, f"{typers.session()}: {chain.describe()}")


def run(camera: int = 0) -> list[Check]:
    return [check_python(), *check_dependencies(), check_model(EXPRESSION_MODEL),
            check_model(EYE_MODEL), check_model(SHAPE_MODEL, ShapeFusion), check_face_model(),
            check_display(), check_tray_host(), check_hotkey(),
            check_camera(camera), check_typing()]


def main(camera: int = 0) -> int:
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    checks = run(camera)
    for c in checks:  # escaped: a hotkey or a path from the settings must not drive the terminal
        print("\n".join(printable(part) for part in c.line().split("\n")))
    failed = [c for c in checks if c.needed and not c.ok]
    print(f"{len(failed)} needed check(s) failed" if failed else "ready")
    return 1 if failed else 0
