"""Teach it my faces from the page: per session and class, the features and eye readings of
the frames (or photos) that showed exactly one face; the wink is taught from the eyes.

Only the model's features and the eye readings are kept, in memory, for the few sessions
the page may have open; the frames themselves are dropped as soon as they are read. Save turns
a session's faces into the user's own profile (profile.save: 0600, atomic), which the running
tray reloads.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from face2emoji_tray import profile
from face2emoji_tray.eyes import Eyes
from face2emoji_tray.recognizer import Reading

SESSIONS = 8  # calibrations remembered at once (a tab left open, a reload)
MAX_FRAMES = 60  # features kept per class: 12 s of frames at 5/s, 240 kB


Shot = tuple[np.ndarray, Eyes | None]  # one accepted face: its features and eye readings


class Calibrations:
    """session → class → the accepted faces, the oldest sessions forgotten first."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, dict[str, list[Shot]]] = OrderedDict()

    def _of(self, session: str) -> dict[str, list[Shot]]:
        if session not in self._sessions:
            self._sessions[session] = {}
            while len(self._sessions) > SESSIONS:
                self._sessions.popitem(last=False)
        self._sessions.move_to_end(session)
        return self._sessions[session]

    def add(self, session: str, cls: str, reading: Reading, replace: bool = False) -> int:
        """Keep one face (a photo replaces what the class had); the class's count."""
        kept = self._of(session).setdefault(cls, [])
        if replace:
            kept.clear()
        if len(kept) < MAX_FRAMES:
            kept.append((np.asarray(reading.features, np.float32), reading.eyes))
        return len(kept)

    def count(self, session: str, cls: str) -> int:
        return len(self._sessions.get(session, {}).get(cls, []))  # never makes a session

    def clear(self, session: str, cls: str) -> None:
        self._sessions.get(session, {}).pop(cls, None)

    def profile(self, session: str, model_sha256: str) -> profile.Profile:
        """What Save would write now (not `useful` before two classes or a wink)."""
        shots = self._of(session)
        return profile.Profile.build(
            model_sha256, {c: [f for f, _ in s] for c, s in shots.items()},
            {c: [e for _, e in s if e is not None] for c, s in shots.items()})


def refusal(reading: Reading, cls: str) -> str:
    """Why a frame does not count towards a class ('' when it does): a profile must hold the
    user's face only, so frames with no face or several are left out."""
    if reading.faces == 0:
        return "no face in view"
    if reading.faces > 1:
        return f"{reading.faces} faces in view (only yours, please)"
    if reading.probs is None:
        return reading.note or "the face could not be measured"
    if reading.features is None:
        return "this expression model gives no features: it cannot be taught"
    if cls == profile.WINK and reading.eyes is None:
        return "the eyes could not be measured"
    return ""


def routes(preview, read: Callable[[Request], Awaitable[Reading | JSONResponse]]) -> list[Route]:
    """The /api/calibrate/* endpoints; `preview` is the page's web.Preview, `read` turns a
    request's body into a Reading (or an error response)."""
    store = Calibrations()
    classes = (*preview.classifier.classes, profile.WINK)

    def asked(request: Request) -> tuple[str, str] | JSONResponse:
        session, cls = request.query_params.get("session", ""), request.query_params.get("cls")
        if cls not in classes:
            return JSONResponse({"error": f"cls must be one of {', '.join(classes)}"}, 400)
        return session, cls

    async def frame(request: Request) -> JSONResponse:
        which = asked(request)
        if isinstance(which, JSONResponse):
            return which
        reading = await read(request)
        if isinstance(reading, JSONResponse):
            return reading
        why = refusal(reading, which[1])
        count = store.count(*which) if why else store.add(
            *which, reading, replace=request.query_params.get("replace") == "1")
        return JSONResponse({"faces": reading.faces, "accepted": not why, "why": why,
                             "count": count})

    async def retake(request: Request) -> JSONResponse:
        which = asked(request)
        if isinstance(which, JSONResponse):
            return which
        store.clear(*which)
        return JSONResponse({"count": 0})

    async def attempt(request: Request) -> JSONResponse:
        reading = await read(request)
        if isinstance(reading, JSONResponse):
            return reading
        made = store.profile(request.query_params.get("session", ""), preview.classifier.sha256)
        mine = preview.calibrated(reading, made)
        return JSONResponse({"with": preview.answer(mine, mine.label()),
                             "without": preview.answer(reading, reading.label()),
                             "active": made.useful, "note": made.unlearned})

    async def save(request: Request) -> JSONResponse:
        made = store.profile(request.query_params.get("session", ""), preview.classifier.sha256)
        if not made.useful:
            why = f"; {made.unlearned}" if made.unlearned else ""
            return JSONResponse({"error": f"faces of {len(made.prototypes)} class(es) taken; a "
                                          f"profile needs at least {profile.MIN_CLASSES}, or a "
                                          f"wink{why}"}, 400)
        target = profile.default_path()
        try:
            await run_in_threadpool(profile.save, made, target)
        except OSError as exc:
            return JSONResponse({"error": f"cannot write {target}: {exc.strerror}"}, 500)
        preview.use_profile(made, f"your faces ({target.name})")
        return JSONResponse({"path": str(target), "classes": made.photos, "note": made.unlearned})

    return [Route("/api/calibrate/frame", frame, methods=["POST"]),
            Route("/api/calibrate/retake", retake, methods=["POST"]),
            Route("/api/calibrate/try", attempt, methods=["POST"]),
            Route("/api/calibrate/save", save, methods=["POST"])]
