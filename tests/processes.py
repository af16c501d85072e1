"""The app as a separate process, the way a user starts it: the web preview on a free
localhost port, and the control commands (`status`, `pause`, ...) of a running tray.
Shared by the tests and the bench scripts."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.waiting import wait_for

APP = [sys.executable, "-m", "face2emoji_tray"]


class RecordingField:
    """A text field in a process of its own that writes what it holds to `out`: `.text` is
    what a user would see typed or pasted there (the X and the Wayland fields share this)."""

    out: Path
    proc: subprocess.Popen

    @property
    def text(self) -> str:
        return self.out.read_text(encoding="utf-8")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


def ask(env: dict, command: str, timeout: float = 60) -> str:
    """Run `face2emoji COMMAND` against the running tray; its one-line answer."""
    return subprocess.run([*APP, command], env=env, capture_output=True, text=True,
                          timeout=timeout).stdout.strip()


def _accepts(port: int, proc: subprocess.Popen, log) -> bool:
    if proc.poll() is not None:
        log.seek(0)
        raise AssertionError(f"the web preview exited: {log.read().decode()}")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def web_server(args: tuple[str, ...] = ("--no-browser",),
               env: dict[str, str] | None = None) -> Iterator[int]:
    """`face2emoji web ARGS` on a free port, accepting connections; yields the port. `env`
    (default: ours) says, through XDG_DATA_HOME, where the user's own profile is."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a full pipe would block it
        proc = subprocess.Popen([*APP, "web", "--port", str(port), *args], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: _accepts(port, proc, log), 60, "the web preview to listen")
            yield port
        finally:
            proc.terminate()
            proc.wait(10)
