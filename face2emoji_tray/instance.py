"""One running app per user, and a way to talk to it: a Unix socket only this user can open.

The socket lives in a private folder (0700, ours: files.runtime_folder) of the user's runtime
directory, beside a lock file. Whoever holds the lock (fcntl.flock; msvcrt.locking on Windows)
is the running app: a second `face2emoji` cannot take it and says the app is already running,
however close together the two start. The kernel drops the lock when its process dies, so a
killed app's lock file and socket stand in no one's way: the next app takes the lock and
replaces the socket. `face2emoji type-now` sends the socket "type" (bind that command to a desktop
shortcut where a global hotkey cannot be grabbed, as under Wayland).
"""
from __future__ import annotations

import os
import socket
import socketserver
import threading
from pathlib import Path
from typing import IO, Callable

from face2emoji_tray import files

if os.name == "nt":
    import msvcrt
else:
    import fcntl


def socket_path() -> Path:
    """Where this user's running app listens (read at call time: XDG_RUNTIME_DIR may change);
    files.NotOurs where the folder is another user's (an app there would not be ours)."""
    return files.runtime_folder() / "control.sock"


COMMANDS = ("type", "status", "pause", "resume", "quit")


class ControlError(RuntimeError):
    """The control socket cannot be opened (its folder is another user's, read-only or full):
    the message is the one line the user sees."""


class AlreadyRunning(ControlError):
    """Another process holds the lock: it is the running app."""


def ask(command: str, path: Path | None = None, timeout: float = 10.0) -> str:
    """Send one command to the running app and return its one-line answer."""
    path = path or socket_path()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(command.encode() + b"\n")
        return s.makefile(encoding="utf-8").readline().rstrip("\n")


def _lock(path: Path) -> IO[bytes]:
    """The open lock file, locked for as long as it stays open; AlreadyRunning when another
    process holds it."""
    f = open(path, "a+b")  # noqa: SIM115 — held open for the app's life
    try:
        if os.name == "nt":
            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise AlreadyRunning(f"Face2Emoji is already running (it holds {path})") from None
    return f


def _unix_server(path: Path, handle: Callable[[str], str]) -> socketserver.BaseServer:
    """The socket at `path` (0600 by the umask), replacing a killed app's, serving COMMANDS."""

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            command = self.rfile.readline().decode("utf-8", "replace").strip()
            answer = handle(command) if command in COMMANDS else f"error: unknown command {command!r}"
            self.wfile.write(answer.replace("\n", " ").encode() + b"\n")

    path.unlink(missing_ok=True)  # a killed app's: the lock says no one serves it
    old = os.umask(0o077)
    try:
        server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
    finally:
        os.umask(old)
    server.daemon_threads = True
    return server


class ControlServer:
    """Serves COMMANDS on the socket; `handle(command) -> answer` runs in a server thread.
    ControlError (AlreadyRunning where another app holds the lock) in one line otherwise."""

    def __init__(self, handle: Callable[[str], str], path: Path | None = None) -> None:
        try:
            self.path = path = path or socket_path()
            files.private_folder(path.parent)  # another user's: refused, never used
            self._lock = _lock(path.with_name("instance.lock"))
        except OSError as exc:
            raise ControlError(f"cannot open the control socket: {files.reason(exc)}") from None
        try:
            self._server = _unix_server(path, handle)
        except OSError as exc:  # a read-only or full runtime dir
            self._lock.close()
            raise ControlError(f"cannot open the control socket {path} "
                               f"({exc.strerror or exc})") from None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="face2emoji-control")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, so only if it runs
            self._server.shutdown()
        self._server.server_close()
        self.path.unlink(missing_ok=True)
        self._lock.close()  # last: the next app may take over only once the socket is gone
