"""A real, throw-away Wayland desktop for tests: sway on its headless backend (no GPU, no
input devices, no Xwayland) and a real Wayland text field (foot). Everything is started here
and stopped afterwards.

sway refuses to run as root, so under root (CI) it runs as `nobody`; the runtime folder is
that user's, and the test's own clients (running as root) still reach its socket.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import RecordingField
from tests.waiting import wait_for

TOOLS = ("sway", "swaymsg", "wtype", "wl-copy", "wl-paste", "foot")
FIELD = Path(__file__).resolve().parent / "term_field.py"
SWAY_CONFIG = "xwayland disable\noutput HEADLESS-1 resolution 1280x800\n"
# foot pastes on Ctrl+Shift+V by default; a GUI text field pastes on Ctrl+V, the shortcut
# the clipboard backend presses.
FOOT_CONFIG = "[key-bindings]\nclipboard-paste=Control+v Control+Shift+v\n"


def _as_nobody() -> list[str]:
    """The command prefix that drops root (sway's own rule); empty for a normal user."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def _sway_ready(sway: subprocess.Popen, runtime: Path, env: dict, log: Path) -> dict | None:
    """WAYLAND_DISPLAY (a full path: the clients keep a runtime folder of their own) and
    SWAYSOCK, once sway answers on its IPC socket."""
    if sway.poll() is not None:
        pytest.fail(f"sway exited: {log.read_text(errors='replace')}")
    ipc = sorted(runtime.glob("sway-ipc.*.sock"))
    displays = sorted(str(p) for p in runtime.glob("wayland-*") if not p.name.endswith(".lock"))
    if not ipc or not displays:
        return None
    found = {"SWAYSOCK": str(ipc[0]), "WAYLAND_DISPLAY": displays[0]}
    ok = subprocess.run(["swaymsg", "-t", "get_version"], env={**env, **found},
                        capture_output=True).returncode == 0
    return found if ok else None


@contextmanager
def wayland(home: Path):
    """Yields the environment of a fresh sway session (WAYLAND_DISPLAY, SWAYSOCK,
    XDG_RUNTIME_DIR, private XDG dirs, no DISPLAY); every process it started is gone after."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: `make test` installs them")
    # sway's runtime folder is outside `home`: pytest's folders are root's alone (0700).
    # The clients get their own, which a root process must own (platformdirs checks).
    runtime = Path(tempfile.mkdtemp(prefix="face2emoji-wayland-"))
    (runtime / "sway.conf").write_text(SWAY_CONFIG)
    if os.geteuid() == 0:
        for path in (runtime, runtime / "sway.conf"):
            shutil.chown(path, "nobody", "nogroup")
    (home / "run").mkdir(mode=0o700)
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(home / "run"),
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
           "XDG_STATE_HOME": str(home / "state"),
           "XDG_CACHE_HOME": str(home / "cache"), "XDG_CURRENT_DESKTOP": "sway",
           "GLOG_minloglevel": "2", "NO_AT_BRIDGE": "1"}
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "SWAYSOCK", "DBUS_SESSION_BUS_ADDRESS"):
        env.pop(var, None)
    with (home / "sway.log").open("wb") as log:
        sway = subprocess.Popen([*_as_nobody(), "sway", "-c", str(runtime / "sway.conf")],
                                env={**env, "XDG_RUNTIME_DIR": str(runtime),
                                     "WLR_BACKENDS": "headless",
                                     "WLR_LIBINPUT_NO_DEVICES": "1", "WLR_RENDERER": "pixman"},
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        env.update(wait_for(lambda: _sway_ready(sway, runtime, env, home / "sway.log"), 15,
                            "sway"))
        yield env
    finally:
        sway.terminate()
        try:
            sway.wait(5)
        except subprocess.TimeoutExpired:
            sway.kill()
        shutil.rmtree(runtime, ignore_errors=True)


class Field(RecordingField):
    """A focused foot window whose program records every character it is given; `.text`
    is what a user would see typed or pasted there, code point for code point."""

    def __init__(self, env: dict, folder: Path) -> None:
        self.out = folder / "field.txt"
        self.out.unlink(missing_ok=True)
        (folder / "foot.ini").write_text(FOOT_CONFIG)
        self.proc = subprocess.Popen(["foot", "-c", str(folder / "foot.ini"), sys.executable,
                                      str(FIELD), str(self.out)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.out.exists() and self._focused(env), 15, "the foot field")

    @staticmethod
    def _focused(env: dict) -> bool:
        """Whether sway has given foot the keyboard focus."""
        tree = json.loads(subprocess.run(["swaymsg", "-t", "get_tree"], env=env,
                                         capture_output=True, text=True).stdout)
        nodes = [tree]
        while nodes:
            node = nodes.pop()
            if node.get("app_id") == "foot" and node.get("focused"):
                return True
            nodes += node.get("nodes", []) + node.get("floating_nodes", [])
        return False
