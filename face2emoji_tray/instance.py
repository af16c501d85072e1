"""One running app per user, and a way to talk to it: a Unix socket only this user can open.

The socket lives in a private folder (0700) of the user's runtime directory. A second
`face2emoji` finds it answering and says the app is already running; `face2emoji type-now`
sends it "type" (bind that command to a desktop shortcut where a global hotkey cannot be
grabbed, as on GNOME or KDE under Wayland). A socket left by a crash does not answer and
is replaced.
"""
from __future__ import annotations

import os
import socket
import socketserver
import threading
from pathlib import Path
from typing import Callable

import platformdirs



def socket_path() -> Path:
    """Where this user's running app listens (read at call time: XDG_RUNTIME_DIR may change)."""
    return Path(platformdirs.user_runtime_dir("face2emoji")) / "control.sock"

COMMANDS = ("type", "status", "pause", "resume", "quit")


class AlreadyRunning(RuntimeError):
    pass


def ask(command: str, path: Path | None = None, timeout: float = 10.0) -> str:
    """Send one command to the running app and return its one-line answer."""
    path = path or socket_path()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(command.encode() + b"\n")
        return s.makefile(encoding="utf-8").readline().rstrip("\n")


def _answers(path: Path) -> bool:
    try:
        ask("status", path, timeout=2.0)
    except OSError:
        return False
    return True


class ControlServer:
    """Serves COMMANDS on the socket; `handle(command) -> answer` runs in a server thread."""

    def __init__(self, handle: Callable[[str], str], path: Path | None = None) -> None:
        self.path = path = path or socket_path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
        if path.exists():
            if _answers(path):
                raise AlreadyRunning(f"Face2Emoji is already running (socket {path})")
            path.unlink()

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                command = self.rfile.readline().decode("utf-8", "replace").strip()
                answer = handle(command) if command in COMMANDS else f"error: unknown command {command!r}"
                self.wfile.write(answer.replace("\n", " ").encode() + b"\n")

        old = os.umask(0o077)
        try:
            self._server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
        except OSError as exc:  # another instance won a start-up race, or a read-only dir
            raise AlreadyRunning(f"cannot open the control socket {path} ({exc.strerror})") \
                from None
        finally:
            os.umask(old)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="face2emoji-control")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, so only if it runs
            self._server.shutdown()
        self._server.server_close()
        self.path.unlink(missing_ok=True)
