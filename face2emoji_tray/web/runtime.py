"""The preview's port and its files in the user's private runtime dir, and the check a
second `face2emoji web` (the tray's "Open preview" and "Teach my faces…" run it) makes before
it opens the browser on a port: that the server there is our preview, not another program.

Per port, 0600 in a 0700 folder only this user can enter (files.runtime_folder:
/run/user/UID/face2emoji on Linux; on Windows and macOS the user's own, untested here):
    preview-PORT.json     {"port", "pid", "key"}: what proves the server on PORT is ours
    preview-PORT.html     sends the browser to http://127.0.0.1:PORT/#s=SECRET (access.py)
    calibrate-PORT.html   … to /calibrate#s=SECRET
The server writes them once it holds the port (before it listens, so whoever reaches it finds
them) and removes them when it stops, also when stopped by SIGTERM or SIGHUP (stop_on_signals).
Files left by a crash are overwritten by the next server there; a stale key proves nothing,
since the answer must come from the server listening now.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

from face2emoji_tray import files
from face2emoji_tray.web import access

FREE, OURS, TAKEN = "free", "ours", "taken"  # what listens on a port, as prove() finds it
ANSWER_S = 5.0  # a preview still starting answers within this; an impostor may never
KEY_BYTES = 4096  # a key file is about 100 bytes


class PreviewError(RuntimeError):
    """The preview cannot start; the message is the one line the user sees."""


class PortTaken(PreviewError):
    """Another program listens on the preview's port: nothing is opened there."""

    def __init__(self, port: int) -> None:
        super().__init__(f"port {port} is taken by another program (not a Face2Emoji "
                         f"preview): choose another with --port (the tray: web_port in the "
                         f"settings)")


def folder() -> Path:
    """The user's private runtime folder for us (files.runtime_folder); PreviewError in one
    line where it is another user's."""
    try:
        return files.runtime_folder()
    except OSError as exc:
        raise PreviewError(f"no private folder for the preview's files: "
                           f"{files.reason(exc)}") from None


def key_file(port: int) -> Path:
    return folder() / f"preview-{port}.json"


def opener(port: int, calibrate: bool = False) -> Path:
    """The file to open in the browser: it redirects to the page, the run's secret in the
    URL's fragment."""
    return folder() / f"{'calibrate' if calibrate else 'preview'}-{port}.html"


def _write_private(path: Path, text: str) -> None:
    """Write `text` as a new 0600 file that replaces `path` at once."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _redirect(url: str) -> str:
    return (f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url='
            f'{url}"><title>Face2Emoji</title><p><a href="{url}">Open the Face2Emoji preview</a>')


def publish(keys: access.Keys) -> list[Path]:
    """Write this run's files (after binding the port: they must name a server that is ours)."""
    files = {key_file(keys.port): json.dumps({"port": keys.port, "pid": os.getpid(),
                                              "key": keys.key}),
             opener(keys.port): _redirect(keys.link()),
             opener(keys.port, True): _redirect(keys.link(calibrate=True))}
    for path, text in files.items():
        _write_private(path, text)
    return list(files)


def unpublish(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _bind(port: int) -> socket.socket:
    """Our socket on 127.0.0.1:`port`, not yet listening (PortTaken when another program
    holds the port)."""
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on such sockets (without it, Nagle
    # and delayed ACKs added 40 ms to every answer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if os.name != "nt":  # a restart may reuse a port in TIME_WAIT; Windows would share it
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise PortTaken(port) from None
    return sock


def stop_on_signals() -> None:
    """Let SIGTERM and SIGHUP end the run as Ctrl+C does, by an exception, so that held()
    removes the files (SystemExit, with the exit status of a process the signal ended). By
    default they end the process at once: uvicorn catches SIGINT and SIGTERM while it serves,
    shuts down, then raises the signal again under the handlers it found
    (Server.capture_signals), and the secret and the key stayed behind."""
    for name in ("SIGTERM", "SIGHUP"):
        if (signum := getattr(signal, name, None)) is not None:
            signal.signal(signum, _exit_on)


def _exit_on(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def held(keys: access.Keys) -> Iterator[socket.socket]:
    """The port bound for our preview, its files written, then listening; all undone on
    leaving. Nothing may open a browser on the port before this."""
    sock = _bind(keys.port)
    try:
        try:
            files = publish(keys)
        except OSError as exc:
            raise PreviewError(f"cannot write the preview's files: {exc}") from None
        try:
            sock.listen()
            yield sock
        finally:
            unpublish(files)
    finally:
        sock.close()


def _answer(port: int, nonce: str) -> str | None:
    """The proof the server on `port` gives for `nonce` (None: no HTTP answer of 200)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_S)
    try:
        conn.request("POST", f"{access.PROOF}?nonce={nonce}",
                     headers={"Host": f"127.0.0.1:{port}"})
        resp = conn.getresponse()
        return resp.read(256).decode("ascii", "replace") if resp.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def prove(port: int) -> str:
    """FREE when nothing listens on 127.0.0.1:`port`; OURS when the server there answers a
    random nonce with our key (from this user's key file); TAKEN otherwise."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=ANSWER_S).close()
    except ConnectionRefusedError:
        return FREE
    except OSError:
        return TAKEN
    try:
        key = json.loads(files.read_bounded(key_file(port), KEY_BYTES, follow_links=False))["key"]
    except (OSError, ValueError, KeyError, TypeError):
        return TAKEN  # no preview of ours was started on this port
    nonce = secrets.token_hex(16)
    answer = _answer(port, nonce)
    return OURS if isinstance(key, str) and access.same(answer, access.proof(key, port, nonce)) \
        else TAKEN
