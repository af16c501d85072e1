"""The watcher: camera → face → classifier → smoother in a thread of its own.

It publishes the latest State and a one-line status; the tray, the hotkey and the local
socket only read them, so nothing they do can block the camera, and the camera can never
block them. Camera faults are reported and retried with back-off; pausing releases the
device (its light goes off).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from face2emoji_tray.camera import Backoff, CameraError, Source, pace
from face2emoji_tray.config import Config
from face2emoji_tray.recognizer import Recognizer
from face2emoji_tray.face import FaceError
from face2emoji_tray.smoother import EXPRESSION, Smoother, State

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    state: State
    problem: str = ""  # a camera fault, one line; "" when frames flow
    paused: bool = False

    def describe(self) -> str:
        if self.paused:
            return "paused (camera off)"
        return self.problem or self.state.describe()


class Engine:
    def __init__(self, source: Source, make_recognizer: Callable[[], Recognizer], config: Config,
                 on_change: Callable[[Status], None] | None = None) -> None:
        self.source, self.config = source, config
        self._make_recognizer = make_recognizer
        self._on_change = on_change or (lambda status: None)
        self._smoother = Smoother(config.window, config.threshold, wink_hold=config.wink_hold)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._paused = False
        self._problem = ""
        self._published: str | None = None
        self._thread = threading.Thread(target=self._run, name="face2emoji-engine", daemon=True)

    # --- control (any thread) ---
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._paused = paused
        self._wake.set()

    @property
    def paused(self) -> bool:
        return self._paused

    # --- reading (any thread) ---
    def status(self) -> Status:
        with self._lock:
            state = self._smoother.state(time.monotonic())
            return Status(state, self._problem, self._paused)

    def emoji_now(self) -> tuple[str, str]:
        """(text to type, why): the current emoji, else the configured fallback ("" = none)."""
        status = self.status()
        if status.paused or status.problem or status.state.kind != EXPRESSION:
            return self.config.fallback, status.describe()
        return self.config.emoji[status.state.label], status.describe()

    # --- the thread ---
    def _publish(self) -> None:
        status = self.status()
        key = f"{status.describe()}|{status.state.label}"
        if key != self._published:
            self._published = key
            self._on_change(status)

    def _fault(self, message: str, backoff: Backoff) -> None:
        if message != self._problem:
            log.warning(message)
        with self._lock:
            self._problem = message
            self._smoother.reset()
        self.source.release()
        self._publish()
        self._wake.wait(backoff.next())
        self._wake.clear()

    def _run(self) -> None:
        recognizer = self._make_recognizer()
        backoff, tick = Backoff(), time.monotonic()
        try:
            while not self._stop.is_set():
                if self._paused:
                    self.source.release()
                    with self._lock:
                        self._smoother.reset()
                        self._problem = ""
                    self._publish()
                    self._wake.wait()
                    self._wake.clear()
                    continue
                try:
                    if not self.source.is_open:
                        self.source.open()
                    reading = recognizer.read(self.source.read())
                except (CameraError, FaceError) as exc:
                    self._fault(str(exc), backoff)
                    continue
                backoff.reset()
                with self._lock:
                    self._problem = ""
                    self._smoother.add(time.monotonic(), reading)
                self._publish()
                tick = pace(tick, self.config.fps)
        finally:
            self.source.release()
            recognizer.close()
            log.info("engine stopped, camera released")

