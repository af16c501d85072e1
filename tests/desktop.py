"""A real, throw-away Linux desktop for tests: Xvfb, a session bus, a tray host (trayer)
and a notification daemon (dunst). Everything is started here and stopped afterwards."""
from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.waiting import wait_for

TOOLS = ("Xvfb", "dbus-daemon", "trayer", "dunst", "xdotool", "xclip")


def x_ready(env: dict) -> bool:
    return subprocess.run(["xdotool", "getmouselocation"], env=env, capture_output=True).returncode == 0


def tray_owned(env: dict) -> bool:
    """Whether a tray host owns the X system-tray selection."""
    from Xlib import X, display

    d = display.Display(env["DISPLAY"])
    try:
        return d.get_selection_owner(d.intern_atom("_NET_SYSTEM_TRAY_S0")) != X.NONE
    finally:
        d.close()


@contextmanager
def desktop(home: Path):
    """Yields the environment (DISPLAY, DBUS_SESSION_BUS_ADDRESS, private XDG dirs) of a
    fresh desktop; every process it started is gone afterwards."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: `make test` installs them")
    runtime = home / "run"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime),
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
           "XDG_STATE_HOME": str(home / "state"),
           "XDG_CACHE_HOME": str(home / "cache"), "GLOG_minloglevel": "2", "NO_AT_BRIDGE": "1"}
    env.pop("WAYLAND_DISPLAY", None)
    procs: list[subprocess.Popen] = []
    try:
        read, write = os.pipe()
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24",
                                 "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
        procs.append(xvfb)
        os.close(write)
        with os.fdopen(read) as f:
            env["DISPLAY"] = ":" + f.readline().strip()
        wait_for(lambda: x_ready(env), 10, "Xvfb")
        bus = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1",
                              "--print-pid=1"], env=env, capture_output=True, text=True, check=True)
        address, pid = bus.stdout.split()[:2]
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        for cmd in (["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                     "--height", "32"], ["dunst"]):
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        wait_for(lambda: tray_owned(env), 10, "trayer")
        yield env
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        if "DBUS_SESSION_BUS_ADDRESS" in env:
            subprocess.run(["kill", pid], capture_output=True)
