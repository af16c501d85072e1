"""The tray app: wires config, engine, typer, hotkey, control socket and tray icon.

Each part can fail on its own (no camera, no display, no tray host, no hotkey, no typing
tool) and the rest keeps running; every fault is one line in the log and in the tray's
status. What the user must do about a missing part (bind `face2emoji type-now` under
Wayland, add a tray host) is also said once in a desktop notification.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

import platformdirs

from face2emoji_tray import autostart, config as config_mod, desktop, files, profile, typers
from face2emoji_tray.camera import Source
from face2emoji_tray.classifier import EYE_MODEL, Classifier, loaded
from face2emoji_tray.shape import SHAPE_MODEL, ShapeFusion
from face2emoji_tray.engine import Engine
from face2emoji_tray.instance import ControlServer
from face2emoji_tray.printable import printable
from face2emoji_tray.recognizer import Recognizer

log = logging.getLogger("face2emoji")
LOG_FILE = Path(platformdirs.user_log_dir("face2emoji")) / "face2emoji.log"


class OneLineFormatter(logging.Formatter):
    """Each message as one line the terminal only shows: a typed value or a file's name may
    hold a newline (it would split the line in two) or an escape sequence (printable.py).
    A traceback, logged on purpose, keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = printable(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        return "\n".join(map(printable, super().formatException(ei).splitlines()))


def _private_log(path: Path) -> TextIO:
    """The log file opened to append, 0600 in a 0700 folder (it records what was typed, with
    the face and the time); one left 0644 by an earlier version is made 0600. Never through a
    symbolic link (O_NOFOLLOW: one in its place is an OSError, ELOOP): chmod by name would
    change the mode of the file it points to, and the log would write into that file. The
    mode is set on what was opened (fchmod), and that is the file written, never reopened."""
    files.private_folder(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):  # Windows before Python 3.13 has none, nor these modes
            os.fchmod(fd, 0o600)
        return os.fdopen(fd, "a", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def setup_logging(path: Path = LOG_FILE) -> None:
    """Log lines (never frames) to the platform's log folder and to stderr; OSError (one line
    with files.reason) where the log cannot be written."""
    fmt = OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(logging.WARNING)  # libraries: warnings only (matplotlib, pulled in by mediapipe)
    for name in ("face2emoji", "face2emoji_tray"):
        logging.getLogger(name).setLevel(logging.INFO)
    for handler in (logging.StreamHandler(_private_log(path)), logging.StreamHandler()):
        handler.setFormatter(fmt)
        root.addHandler(handler)


def session_bus_reachable() -> bool:
    """Whether GLib can find a D-Bus session bus: its address, the user bus socket, or X11
    autolaunch. pystray's Linux icon needs one and fails only once running, leaving a thread
    that keeps the process from exiting (seen on a Wayland session without a bus)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS") or os.environ.get("DISPLAY")
                or runtime and Path(runtime, "bus").is_socket())


class App:
    def __init__(self, source: Source, config: config_mod.Config, config_path: Path,
                 model: Path | Classifier, problems: list[str],
                 eye_model: Path | Classifier = EYE_MODEL,
                 shape_model: Path | ShapeFusion = SHAPE_MODEL) -> None:
        self.config, self.config_path = config, config_path
        self.problems = list(problems)  # lasting faults to show beside the live status
        self.notes: list[str] = []  # advice to show beside it (the icon still shows the emoji)
        self.autostart = autostart.for_platform()
        self._quit = threading.Event()
        self._typing = threading.Lock()
        self._showing = threading.Lock()
        self.tray = None
        model = loaded(model)
        self.engine = Engine(source, lambda: Recognizer(model, eye_model, video=True,
                                                        shape_model=shape_model), config,
                             lambda _status: self._show_latest(), profile.Watcher(model))
        self.server = ControlServer(self.command)
        try:
            self.typer: typers.Chain | None = typers.choose(config.typer)
        except typers.TypingError as exc:
            self.typer = None
            self.problems.append(f"{exc}; `face2emoji doctor` says what to install")

    # --- what the user can ask for (menu, hotkey, socket) ---
    def type_now(self) -> str:
        """Type the current emoji into the focused field; logs and returns what happened."""
        outcome = self._type_current()
        log.info(outcome)
        return outcome

    def _type_current(self) -> str:
        text, why = self.engine.emoji_now()
        if not text:
            return f"nothing typed: {why}"
        if self.typer is None:
            return "nothing typed: no typing backend works here (see `face2emoji doctor`)"
        with self._typing:
            try:
                used = self.typer.type(text)
            except typers.TypingError as exc:
                return f"nothing typed: {exc}"
        return f"typed {text} with {used} ({why})"

    def set_paused(self, paused: bool) -> None:
        self.engine.set_paused(paused)
        log.info("camera %s", "paused" if paused else "resumed")

    def forget_faces(self) -> None:
        """Delete the user's profile; the engine notices within a second. A folder in its
        place is not deleted: one line in the log (this runs in the menu's thread)."""
        try:
            log.info("profile %s", "forgotten" if profile.forget() else "was not there")
        except profile.ProfileError as exc:
            log.warning("%s", exc)

    def set_autostart(self, on: bool) -> None:
        if on:
            self.autostart.enable(autostart.app_command())
        else:
            self.autostart.disable()

    def describe(self, confidence: bool = True) -> str:
        status = self.engine.status().describe(confidence)
        return "; ".join([status, *self.problems, *self.notes])

    def command(self, command: str) -> str:
        if command == "type":
            return self.type_now()
        if command in ("pause", "resume"):
            self.set_paused(command == "pause")
            return "ok"
        if command == "quit":
            threading.Thread(target=self.quit, daemon=True).start()
            return "ok"
        status = self.engine.status()
        return f"{status.state.kind} {status.state.label or '-'} {self.describe()}"

    def quit(self) -> None:
        self._quit.set()
        if self.tray is not None:
            self.tray.stop()

    # --- running ---
    def _show_latest(self) -> None:
        """Show the engine's latest status (read under the lock, so concurrent calls end on it)."""
        with self._showing:
            if self.tray is not None:
                self.tray.show(self.engine.status(), self.problems)

    def attach(self, tray) -> None:
        """Give the app its icon. The engine runs before the icon exists; a change it made
        in between would otherwise never be shown (the icon stayed 'no face' while happy)."""
        self.tray = tray
        self._show_latest()

    def run(self, hotkey_combination: str) -> int:
        for problem in self.problems:
            log.warning(problem)
        self.server.start()
        self.engine.start()
        hotkey = self._start_hotkey(hotkey_combination)
        signal.signal(signal.SIGTERM, lambda *_: self.quit())
        signal.signal(signal.SIGINT, lambda *_: self.quit())
        try:
            self._run_tray()
        finally:
            if hotkey is not None:
                hotkey.stop()
            self.engine.stop()
            self.server.stop()
            log.info("quit")
        return 0

    @staticmethod
    def _notify(body: str) -> None:
        """A desktop notification, in a thread: a slow notification service must not hold
        up the start (D-Bus may first have to start it)."""
        threading.Thread(target=desktop.notify, args=("Face2Emoji", body), daemon=True,
                         name="face2emoji-notify").start()

    def _start_hotkey(self, combination: str):
        if desktop.wayland():  # XWayland's DISPLAY would start an X hotkey that never fires
            advice = [desktop.NO_HOTKEY, *desktop.bind_advice(combination)]
            self.notes.append(advice[0])
            log.warning("; ".join(advice))
            self._notify("\n".join(advice))
            return None
        from face2emoji_tray.hotkey import Hotkey, HotkeyError

        try:
            hotkey = Hotkey(combination, self.type_now)
            hotkey.start()
        except HotkeyError as exc:
            self.problems.append(f"{exc}; bind `face2emoji type-now` to a desktop shortcut")
            log.warning(self.problems[-1])
            return None
        log.info("hotkey %s ready", combination)
        return hotkey

    def _run_tray(self) -> None:
        from face2emoji_tray.tray import Tray, TrayError

        if sys.platform.startswith("linux") and not session_bus_reachable():
            self._run_without_tray("no tray icon (no D-Bus session bus)")
            return
        if desktop.tray_host()[0] is False:  # the icon would be invisible: say so, once
            self._notify(desktop.NO_TRAY_HOST)
            self._run_without_tray(desktop.NO_TRAY_HOST)
            return
        try:
            self.attach(Tray(self))
        except TrayError as exc:
            self._run_without_tray(str(exc))
            return
        self.tray.run()

    def _run_without_tray(self, problem: str) -> None:
        """Keep watching and answering `face2emoji type-now` until asked to quit. A Wayland
        session without a session bus (or a tray host) has no icon, and still types."""
        self.problems.append(problem)
        log.warning("%s; running without an icon (use `face2emoji type-now`)", problem)
        while not self._quit.wait(0.5):
            pass

