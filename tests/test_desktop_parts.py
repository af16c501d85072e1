"""Platform parts that need no display: autostart, typing-backend choice, single instance."""
from __future__ import annotations

import shlex
import socket

import pytest

from face2emoji_tray import typers
from face2emoji_tray.autostart import app_command
from face2emoji_tray.autostart.xdg import XdgAutostart
from face2emoji_tray.instance import AlreadyRunning, ControlServer, ask


def test_start_at_login_writes_and_removes_the_xdg_autostart_entry(tmp_path):
    starter = XdgAutostart(tmp_path / "autostart")
    assert not starter.is_enabled()
    starter.enable(app_command())
    text = (tmp_path / "autostart" / "face2emoji.desktop").read_text()
    assert "[Desktop Entry]" in text and "Type=Application" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert shlex.split(exec_line[5:]) == app_command()
    assert starter.is_enabled()
    starter.disable()
    assert not starter.is_enabled() and not starter.path.exists()
    starter.disable()  # twice is fine


@pytest.fixture
def desktop_env(monkeypatch, tmp_path):
    """A PATH with only the tools a test names, and no display variables."""
    for var in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))

    def tools(*names: str) -> None:
        for name in names:
            (bin_dir / name).write_text("#!/bin/sh\nexit 0\n")
            (bin_dir / name).chmod(0o755)
    return tools


def test_no_display_means_no_typing_backend(desktop_env):
    with pytest.raises(typers.TypingError, match=r"no typing backend works on this desktop \(none\)"):
        typers.choose()


def test_x11_types_with_xdotool(desktop_env, monkeypatch):
    desktop_env("xdotool")
    monkeypatch.setenv("DISPLAY", ":42")
    assert typers.choose().name == "xdotool"


def test_wayland_prefers_wtype_then_ydotool(desktop_env, monkeypatch):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-9")
    desktop_env("ydotool")
    assert typers.choose().name == "ydotool"
    desktop_env("wtype")
    assert typers.choose().name == "wtype"


def test_a_configured_backend_that_cannot_work_here_is_a_clear_error(desktop_env, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":42")
    with pytest.raises(typers.TypingError, match="'wtype' does not work on this desktop"):
        typers.choose("wtype")
    with pytest.raises(typers.TypingError, match="unknown typing backend 'morse'"):
        typers.choose("morse")


def test_a_failing_tool_is_one_line(desktop_env, tmp_path):
    (tmp_path / "bin" / "xdotool").write_text("#!/bin/sh\necho 'Error: no X' >&2\nexit 1\n")
    (tmp_path / "bin" / "xdotool").chmod(0o755)
    with pytest.raises(typers.TypingError, match=r"^xdotool: xdotool failed \(Error: no X\)$"):
        typers.run_tool(["xdotool", "type", "x"], "xdotool")


def test_a_second_instance_is_told_the_first_is_running(tmp_path):
    path = tmp_path / "run" / "control.sock"
    first = ControlServer(lambda command: f"got {command}", path)
    first.start()
    try:
        assert ask("status", path) == "got status"
        assert ask("dance", path).startswith("error: unknown command")
        with pytest.raises(AlreadyRunning, match="already running"):
            ControlServer(lambda command: "", path)
        assert oct(path.parent.stat().st_mode & 0o777) == "0o700"  # only this user
    finally:
        first.stop()
    assert not path.exists()


def test_a_socket_left_by_a_crash_is_replaced(tmp_path):
    path = tmp_path / "control.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))  # bound, never listening: like a crashed app's leftover
    dead.close()
    server = ControlServer(lambda command: "alive", path)
    server.start()
    try:
        assert ask("status", path) == "alive"
    finally:
        server.stop()
