"""The watcher: camera → face → classifier → smoother in a thread of its own.

It publishes the latest State and a one-line status; the tray, the hotkey and the local
socket only read them, so nothing they do can block the camera, and the camera can never
block them. Frames are read in one more thread (camera.FrameReader), so a camera stuck
inside read() cannot keep the watcher from pausing (the device is released, its light goes
off), from reporting the stall, or from stopping. Pause, resume and stop are a Wish the
loop asks, so they end in the state asked for last, however fast they come. Any fault —
the camera's, the models', an error OpenCV, mediapipe or ONNX Runtime raises — is logged in
one line, shown as the status (the tray's first menu line), and retried with back-off: the
watcher never dies of one.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from face2emoji_tray.camera import Backoff, CameraError, FrameReader, Source
from face2emoji_tray.config import Config
from face2emoji_tray.preprocess import FaceError
from face2emoji_tray.profile import Profile, Watcher, typed
from face2emoji_tray.recognizer import Reading, Recognizer
from face2emoji_tray.smoother import EXPRESSION, Smoother, State

log = logging.getLogger(__name__)

STALL = 5.0  # seconds an open camera may give no frame before that is a fault
REFRESH = 0.5  # seconds between status updates while waiting for a frame


class StageError(RuntimeError):
    """The face stage or a model failed in a way of its own (mediapipe, ONNX Runtime)."""


def one_line(exc: BaseException) -> str:
    """'Type: first line': OpenCV's and ONNX Runtime's messages run over several lines."""
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first}"[:200] if first else type(exc).__name__


def fault_message(exc: Exception) -> str:
    """Our own errors already read as one line for the user; anything else is named."""
    if isinstance(exc, (CameraError, FaceError, StageError)):
        return str(exc)
    return f"unexpected error ({one_line(exc)})"


WATCH, PAUSE, STOP = "watch", "pause", "stop"


class Wish:
    """What the watcher should be doing — WATCH, PAUSE or STOP — as asked last.

    Asking takes effect at once, under a Condition, and never waits on the camera or the
    tray: the watcher loop reconciles the device with the wish on its own time. Its waits
    last while the wish is still what it is doing (a level, not a change to catch), so a
    pause and a resume that land before the loop looks, or while it releases the camera and
    redraws the tray, are neither lost nor left waiting: it ends in the state asked for
    last. STOP is final."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._now = WATCH

    @property
    def now(self) -> str:
        return self._now

    def ask(self, wish: str) -> None:
        with self._changed:
            if self._now != STOP:
                self._now = wish
            self._changed.notify_all()

    def poke(self) -> None:
        """Something else a wait may be for has happened (the camera gave a frame)."""
        with self._changed:
            self._changed.notify_all()

    def wait(self, doing: str, seconds: float | None,
             done: Callable[[], bool] = lambda: False) -> None:
        """Wait up to `seconds` (None: no limit) while the wish is `doing` and not `done()`."""
        with self._changed:
            self._changed.wait_for(lambda: self._now != doing or done(), seconds)


@dataclass(frozen=True)
class Status:
    state: State
    problem: str = ""  # a fault, one line; "" when frames flow
    paused: bool = False
    profile: str = ""  # "your faces" while the user's profile is in use, or why it is not

    def describe(self, confidence: bool = True) -> str:
        if self.paused:
            return "paused (camera off)"
        seen = self.problem or self.state.describe(confidence)
        return f"{seen} · {self.profile}" if self.profile else seen


class Engine:
    def __init__(self, source: Source, make_recognizer: Callable[[], Recognizer], config: Config,
                 on_change: Callable[[Status], None] | None = None,
                 profiles: Watcher | None = None) -> None:
        self.source, self.config = source, config
        self._profiles = profiles  # the user's own faces, re-read when the file changes
        self._make_recognizer = make_recognizer
        self._recognizer: Recognizer | None = None  # the watcher thread's, made when needed
        self._on_change = on_change or (lambda status: None)
        self._smoother = Smoother(config.window, config.threshold, wink_hold=config.wink_hold,
                                  sleep_hold=config.sleep_hold)
        self._lock = threading.Lock()  # the state that status() and emoji_now() read
        self._mine: Profile | None = None  # the profile the smoother's frames were read with
        self._wish = Wish()  # watch, pause or stop: what the loop brings the camera to
        self._problem = ""
        self._published: str | None = None
        self._thread = threading.Thread(target=self._run, name="face2emoji-engine", daemon=True)

    # --- control (any thread) ---
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._wish.ask(STOP)
        self._thread.join(timeout)

    def set_paused(self, paused: bool) -> None:
        """Takes effect at once for status() and emoji_now(); the camera follows."""
        self._wish.ask(PAUSE if paused else WATCH)

    @property
    def paused(self) -> bool:
        return self._wish.now == PAUSE

    # --- reading (any thread) ---
    def status(self) -> Status:
        return self._now()[0]

    def _now(self) -> tuple[Status, Profile | None]:
        """The status and the profile its frames were read with, in one step: a taught face
        is typed with the profile it came from, never with one that has replaced it."""
        with self._lock:
            state = self._smoother.state(time.monotonic())
            note = self._profiles.note if self._profiles is not None else ""
            return Status(state, self._problem, self.paused, note), self._mine

    def emoji_now(self) -> tuple[str, str]:
        """(text to type, why): the current emoji, else the configured fallback ("" = none)."""
        status, mine = self._now()
        if status.paused or status.problem or status.state.kind != EXPRESSION:
            return self.config.fallback, status.describe()
        return typed(status.state.label, self.config.emoji, mine), status.describe()

    # --- the thread ---
    def _wait(self, seconds: float | None, done: Callable[[], bool] = lambda: False) -> None:
        """While watching: wait up to `seconds` (None: no limit) for `done()`; a pause or a
        stop cuts the wait short."""
        self._wish.wait(WATCH, seconds, done)

    def _publish(self) -> None:
        """Tell the tray, only when what it shows changes. Its icon and menu line follow the
        status without its confidence, which changes with every frame: each redraw writes an
        icon file and rebuilds the menu."""
        status = self.status()
        shown = status.describe(confidence=False)
        if shown == self._published:
            return
        self._published = shown
        try:
            self._on_change(status)
        except Exception as exc:  # the tray's trouble must not stop the watching
            log.warning("the tray could not be updated: %s", one_line(exc))

    def _run(self) -> None:
        reader = FrameReader(self.source, self._wish.poke)
        backoff, tick = Backoff(), time.monotonic()
        try:
            while (wish := self._wish.now) != STOP:
                if wish == PAUSE:
                    self._rest()
                    continue
                try:
                    if not self._watch(reader):
                        continue
                except Exception as exc:  # whatever it is: report, back off, try again
                    self._fault(fault_message(exc), backoff)
                    continue
                backoff.reset()
                tick = self._pace(tick)
        finally:
            self.source.release()
            reader.close()
            self._drop_recognizer()
            log.info("engine stopped, camera released")

    def _rest(self) -> None:
        """Paused: release the device now, even while a read is stuck in it, and wait for as
        long as the wish is to be paused (a resume that came meanwhile ends it at once)."""
        self.source.release()
        self._forget_face()
        with self._lock:
            self._smoother.reset()
            self._problem = ""
        self._publish()
        self._wish.wait(PAUSE, None)

    def _watch(self, reader: FrameReader) -> bool:
        """One frame through the pipeline; False when a pause or a stop came first."""
        recognizer = self._ready_recognizer()
        frame = self._next_frame(reader)
        if frame is None:
            return False
        reading = self._read(recognizer, frame)
        with self._lock:
            recovered, self._problem = self._problem, ""
            self._smoother.add(time.monotonic(), reading)
        if recovered:
            log.info("recovered (was: %s)", recovered)
        self._publish()
        return True

    def _ready_recognizer(self) -> Recognizer:
        if self._recognizer is None:
            try:
                self._recognizer = self._make_recognizer()
            except Exception as exc:
                raise StageError(f"the models could not be loaded ({one_line(exc)})") from exc
        return self._recognizer

    def _read(self, recognizer: Recognizer, frame: np.ndarray) -> Reading:
        """The frame's reading. After an unexpected error the recognizer is made afresh for
        the retry: a mediapipe graph that failed may stay broken."""
        self._use_profile(recognizer)
        try:
            return recognizer.read(frame)
        except FaceError:
            raise
        except Exception as exc:
            self._drop_recognizer()
            raise StageError(f"the face or expression stage failed ({one_line(exc)})") from exc

    def _use_profile(self, recognizer: Recognizer) -> None:
        """The user's profile as the file is now, for this frame. When it is another than the
        last frames were read with (saved, replaced or forgotten), the smoother starts afresh:
        those frames may name taught faces the new one does not have."""
        mine = self._profiles.current() if self._profiles is not None else recognizer.profile
        if mine is not self._mine:
            with self._lock:
                self._mine = mine
                self._smoother.reset()
        recognizer.profile = mine

    def _drop_recognizer(self) -> None:
        recognizer, self._recognizer = self._recognizer, None
        if recognizer is None:
            return
        try:
            recognizer.close()
        except Exception as exc:  # a graph that failed may fail to close too: drop it anyway
            log.warning("closing the recognizer failed: %s", one_line(exc))

    def _next_frame(self, reader: FrameReader) -> np.ndarray | None:
        """The camera's next frame, or None once paused or stopping. No frame for STALL
        seconds is a fault; meanwhile the status goes on being published, so the tray stops
        showing an expression as soon as it is older than the smoothing window."""
        try:
            if not self.source.is_open:
                self.source.open()
            reader.ask()
            deadline = time.monotonic() + STALL
            while not reader.answered:
                if self._wish.now != WATCH:
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CameraError(f"{self.source.name}: no frame for {STALL:.0f} s "
                                      "(stalled?)")
                self._wait(min(left, REFRESH), lambda: reader.answered)
                self._publish()
            return reader.take()
        except CameraError:
            raise
        except Exception as exc:  # OpenCV's or a driver's own error
            raise CameraError(f"{self.source.name}: {one_line(exc)}") from exc

    def _fault(self, message: str, backoff: Backoff) -> None:
        """Report (logged once per new message), forget what was seen so nothing stale is
        typed, let the device go, and wait before trying again."""
        if message != self._problem:
            log.warning("%s; retrying", message)
        self.source.release()  # first: the device is let go before the fault is shown
        with self._lock:
            self._problem = message
            self._smoother.reset()
        self._forget_face()  # closes the face stage's task (tens of ms)
        self._publish()
        self._wait(backoff.next())

    def _forget_face(self) -> None:
        """The live face stage starts afresh after a pause or a fault (watcher thread only)."""
        if self._recognizer is not None:
            self._recognizer.finder.forget()

    def _pace(self, tick: float) -> float:
        """Wait until 1/fps after `tick`; returns the new tick time."""
        self._wait(tick + 1.0 / self.config.fps - time.monotonic())
        return time.monotonic()
