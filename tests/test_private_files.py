"""What only this user may reach stays theirs, and another local user cannot stop the app:
the tray's control socket lives in a folder of ours (a foreign one is refused in one line; a
folder another user made in /tmp cannot keep it from starting); the preview's secret and key
go when it is stopped by a signal; and the log, which records what was typed and when, is
0600 in 0700 folders, one line per message."""
from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from face2emoji_tray.app import _private_log
from tests.media import SMILE_JPG
from tests.processes import APP
from tests.waiting import wait_for

NOBODY = 65534  # another user: only root can give a folder away to them
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder away needs root")
START_S = 60  # a tray that neither starts nor refuses by then fails the test


def tray_env(**changes: str | None) -> dict[str, str]:
    """Our environment with no display (the tray runs without an icon or a hotkey, and
    still answers its socket), changed by `changes` (None removes a variable)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", *changes)}
    return {**env, **{k: v for k, v in changes.items() if v is not None}}


def photos(base: Path) -> Path:
    """A folder of one face photo: the tray's camera for these tests."""
    folder = base / "camera"
    folder.mkdir()
    shutil.copy(SMILE_JPG, folder)
    return folder


def ask(env: dict[str, str], command: str) -> subprocess.CompletedProcess:
    return subprocess.run([*APP, command], env=env, capture_output=True, text=True, timeout=60)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@as_root
def test_the_tray_refuses_a_runtime_folder_of_another_user_in_one_line(user_dirs):
    theirs = user_dirs / "run" / "face2emoji"
    theirs.mkdir()
    os.chown(theirs, NOBODY, NOBODY)
    done = subprocess.run([*APP, "--source", str(photos(user_dirs))], env=tray_env(),
                          capture_output=True, text=True, timeout=START_S)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"face2emoji: cannot open the control socket: {theirs} belongs to another user "
        f"(uid {NOBODY}): Face2Emoji keeps its private files only in a folder of its own")
    assert os.listdir(theirs) == []  # nothing of ours was put there
    asked = ask(tray_env(), "status")
    assert asked.returncode == 1 and "belongs to another user" in asked.stderr


@as_root
def test_without_xdg_runtime_dir_a_folder_another_user_made_in_tmp_cannot_stop_the_tray(
        user_dirs):
    tmp = user_dirs / "tmp"  # the machine's /tmp, as platformdirs' fallback finds it
    (tmp / f"runtime-{os.getuid()}").mkdir(parents=True)
    os.chmod(tmp, 0o1777)
    os.chown(tmp / f"runtime-{os.getuid()}", NOBODY, NOBODY)
    env = tray_env(XDG_RUNTIME_DIR=None, TMPDIR=str(tmp))
    with open(user_dirs / "tray.log", "w+") as out:
        tray = subprocess.Popen([*APP, "--source", str(photos(user_dirs))], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: tray.poll() is not None or ask(env, "status").returncode == 0,
                     START_S, "the tray to answer `status`", poll=0.5)
            out.seek(0)
            assert tray.poll() is None, out.read()
            assert ask(env, "quit").stdout == "ok\n"
            assert tray.wait(START_S) == 0
        finally:
            tray.kill()
            tray.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP],
                         ids=lambda sig: sig.name)
def test_the_preview_stopped_by_a_signal_leaves_neither_its_secret_nor_its_key(user_dirs, sig):
    """SIGTERM is how a session's end or `kill` stops it, SIGINT is Ctrl+C, SIGHUP a closed
    terminal. uvicorn raised SIGTERM again once it had stopped, and the process ended before
    it removed preview-PORT.html (the secret) and preview-PORT.json (the key)."""
    port = free_port()
    folder = user_dirs / "run" / "face2emoji"
    written = [folder / f"{name}-{port}.{ext}"
               for name, ext in (("preview", "json"), ("preview", "html"), ("calibrate", "html"))]
    with open(user_dirs / "web.log", "w+") as out:
        web = subprocess.Popen([*APP, "web", "--no-browser", "--port", str(port)],
                               stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: web.poll() is not None or listening(port), START_S,
                     "the preview to listen")
            assert all(path.exists() for path in written), os.listdir(folder)
            web.send_signal(sig)
            code = web.wait(START_S)
        finally:
            web.kill()
            web.wait()
        out.seek(0)
        assert code == 128 + sig, out.read()  # ended by the signal, as the shell reports it
    assert os.listdir(folder) == []


def test_a_log_file_that_is_a_link_to_another_file_is_refused_and_that_file_left_alone(
        tmp_path):
    elsewhere = tmp_path / "notes.txt"  # mine, readable by others on purpose
    elsewhere.write_text("mine\n")
    elsewhere.chmod(0o644)
    log = tmp_path / "log" / "face2emoji.log"
    log.parent.mkdir(mode=0o700)
    log.symlink_to(elsewhere)
    with pytest.raises(OSError) as refused:
        _private_log(log)
    assert refused.value.errno == errno.ELOOP
    assert elsewhere.read_text() == "mine\n" and mode(elsewhere) == 0o644


LOGGED = """
import logging, os, sys
from pathlib import Path
os.umask(0o022)  # the usual umask: files 0644 and folders 0755 unless asked otherwise
from face2emoji_tray.app import setup_logging
setup_logging(Path(sys.argv[1]))
logging.getLogger("face2emoji").info("typed %s with xdotool (happy)", sys.argv[2])
"""


def test_the_log_is_0600_in_0700_folders_and_a_typed_newline_or_escape_stays_in_one_line(
        tmp_path):
    log = tmp_path / "state" / "face2emoji" / "log" / "face2emoji.log"
    typed = "😀\n2026-01-01 00:00:00 INFO face2emoji: forged\x1b[31m"
    done = subprocess.run([sys.executable, "-c", LOGGED, str(log), typed], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (mode(log), mode(log.parent), mode(log.parent.parent)) == (0o600, 0o700, 0o700)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and lines[0].endswith(
        r"typed 😀\n2026-01-01 00:00:00 INFO face2emoji: forged\x1b[31m with xdotool (happy)")
    assert done.stderr.splitlines() == lines  # the terminal's copy, escaped as well

    log.chmod(0o644)  # left by an earlier version
    log.parent.chmod(0o755)
    subprocess.run([sys.executable, "-c", LOGGED, str(log), "🙂"], check=True, timeout=60)
    assert (mode(log), mode(log.parent)) == (0o600, 0o700)
