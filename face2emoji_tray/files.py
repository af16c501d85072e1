"""Files and folders as other local users and programs may have shaped them.

Reading: a path the user names (a photo, the settings) or one in our data folder (the
profile) may be a FIFO, whose open() and read() block for good, a device such as /dev/zero,
which never ends, or a symbolic link to either. `read_bounded` opens without blocking
(O_NONBLOCK: a FIFO's open returns at once), reads only a regular file (fstat on what was
opened, so nothing can be swapped in between) and at most a set number of bytes, checked
before reading and while reading (a file may grow meanwhile).

Private folders: what only this user may read or use (the control socket, the preview's
secret, the log) lives in a folder of ours that only we can enter. `private_folder` makes one
0700 and refuses a folder another user owns; `runtime_folder` is the one the socket, the lock
and the preview's files share, in a place no other user can create first.
"""
from __future__ import annotations

import contextlib
import errno
import itertools
import os
import stat
import sys
from pathlib import Path

import platformdirs


class Refused(ValueError):
    """Not a file we read: a FIFO, a device, a folder, a link where none may be, or too large.
    The message says which, in a few words (callers add the path)."""


class NotOurs(PermissionError):
    """A folder for private files is another user's, or not a folder: one line naming it."""


def read_bounded(path: Path | str, limit: int, follow_links: bool = True) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them, never blocking on a
    FIFO or reading a device; `follow_links=False` refuses a symbolic link itself (a file in
    our folders that another program may replace). Refused for such a file, OSError when it
    cannot be opened."""
    nofollow = 0 if follow_links else getattr(os, "O_NOFOLLOW", 0)
    if not follow_links and not nofollow and Path(path).is_symlink():  # Windows: no O_NOFOLLOW
        raise Refused("a symbolic link, not a file")
    flags = os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_links:
            raise Refused("a symbolic link, not a file") from None
        raise
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd)
        if stat.S_ISDIR(mode.st_mode):
            raise Refused("a folder, not a file")
        if not stat.S_ISREG(mode.st_mode):
            raise Refused("not a regular file")
        if mode.st_size > limit:
            raise Refused(f"{mode.st_size} bytes, over the limit of {limit}")
        data = f.read(limit + 1)
    if len(data) > limit:  # it grew while being read
        raise Refused(f"over the limit of {limit} bytes")
    return data


def private_folder(path: Path) -> Path:
    """`path` as a folder only this user can enter: made 0700 with any missing parents (the
    app's own folder above a log folder too), an existing one of ours set to 0700; NotOurs
    where it is another user's or not a folder."""
    path = Path(path)
    missing = list(itertools.takewhile(lambda p: not os.path.lexists(p), (path, *path.parents)))
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile: checked below
            os.mkdir(folder, 0o700)
    found = path.stat()
    if not stat.S_ISDIR(found.st_mode):
        raise NotOurs(f"{path} is not a folder")
    if hasattr(os, "getuid") and found.st_uid != os.getuid():
        raise NotOurs(f"{path} belongs to another user (uid {found.st_uid}): Face2Emoji keeps "
                      f"its private files only in a folder of its own")
    if stat.S_IMODE(found.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def reason(exc: OSError) -> str:
    """An OSError as the user reads it: the path and the reason, without Python's [Errno N]
    (NotOurs and other messages of ours are one line already)."""
    if exc.strerror is None:
        return str(exc)
    return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror


def _ours_alone(folder: str) -> bool:
    """Whether `folder` is a folder of this user's in which no other user can create or
    replace anything (what XDG asks of a runtime dir; /tmp is not)."""
    try:
        found = os.stat(folder)
    except OSError:
        return False
    return (stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid()
            and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def runtime_folder() -> Path:
    """This user's private folder for the control socket, its lock and the preview's files
    (read at call time: XDG_RUNTIME_DIR may change). On Linux and the BSDs the session's
    runtime dir (XDG_RUNTIME_DIR, else /run/user/UID) where it is ours alone; without one, a
    folder in the user's own state dir, never platformdirs' fallback in /tmp, which another
    user can create first and so keep the app from starting. NotOurs where it is not ours."""
    if sys.platform in ("win32", "darwin"):  # per-user folders in the user's own profile
        return private_folder(Path(platformdirs.user_runtime_dir("face2emoji")))
    for base in (os.environ.get("XDG_RUNTIME_DIR", ""), f"/run/user/{os.getuid()}"):
        if os.path.isabs(base) and _ours_alone(base):
            return private_folder(Path(base, "face2emoji"))
    return private_folder(Path(platformdirs.user_state_dir("face2emoji"), "run"))
