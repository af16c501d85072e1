"""A real, throw-away Linux desktop for tests: Xvfb, a session bus, a tray host (trayer)
and a notification daemon (dunst). Everything is started here and stopped afterwards."""
from __future__ import annotations

import json
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


def notifications_served(env: dict) -> bool:
    """Whether the notification daemon owns its name on the session bus."""
    return subprocess.run(["dunstctl", "count", "displayed"], env=env,
                          capture_output=True).returncode == 0


def notifications(env: dict) -> list[str]:
    """Every notification shown so far, as 'summary: body' (closing those on screen)."""
    subprocess.run(["dunstctl", "close-all"], env=env, check=True)
    shown = json.loads(subprocess.run(["dunstctl", "history"], env=env, capture_output=True,
                                      text=True, check=True).stdout)["data"][0]
    return [f"{n['summary']['data']}: {n['body']['data']}" for n in reversed(shown)]


@contextmanager
def desktop(home: Path, tray: bool = True):
    """Yields the environment (DISPLAY, DBUS_SESSION_BUS_ADDRESS, private XDG dirs) of a
    fresh desktop, with a tray host unless `tray` is False (as on stock GNOME); every process
    it started is gone afterwards."""
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
        trayer = ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                  "--height", "32"]
        for cmd in ([trayer] if tray else []) + [["dunst"]]:
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        if tray:
            wait_for(lambda: tray_owned(env), 10, "trayer")
        wait_for(lambda: notifications_served(env), 10, "dunst")
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
