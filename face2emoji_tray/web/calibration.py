"""Teach it my faces from the page: per session and class, the features of the frames (or
photos) that showed exactly one face.

Only the model's features are kept, in memory, for the few sessions the page may have open;
the frames themselves are dropped as soon as they are read. Save turns a session's features
into the user's own profile (profile.save: 0600, atomic), which the running tray reloads.
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
from face2emoji_tray.recognizer import Reading

SESSIONS = 8  # calibrations remembered at once (a tab left open, a reload)
MAX_FRAMES = 60  # features kept per class: 12 s of frames at 5/s, 240 kB


class Calibrations:
    """session → class → the accepted faces' features, the oldest sessions forgotten first."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, dict[str, list[np.ndarray]]] = OrderedDict()

    def _of(self, session: str) -> dict[str, list[np.ndarray]]:
        if session not in self._sessions:
            self._sessions[session] = {}
            while len(self._sessions) > SESSIONS:
                self._sessions.popitem(last=False)
        self._sessions.move_to_end(session)
        return self._sessions[session]

    def add(self, session: str, cls: str, features: np.ndarray, replace: bool = False) -> int:
        """Keep one face's features (a photo replaces what the class had); the class's count."""
        kept = self._of(session).setdefault(cls, [])
        if replace:
            kept.clear()
        if len(kept) < MAX_FRAMES:
            kept.append(np.asarray(features, np.float32))
        return len(kept)

    def count(self, session: str, cls: str) -> int:
        return len(self._sessions.get(session, {}).get(cls, []))  # never makes a session

    def clear(self, session: str, cls: str) -> None:
        self._sessions.get(session, {}).pop(cls, None)

    def profile(self, session: str, model_sha256: str) -> profile.Profile:
        """What Save would write now (inactive with fewer than MIN_CLASSES classes)."""
        return profile.Profile.build(model_sha256, self._of(session))


def refusal(reading: Reading) -> str:
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
    return ""


def routes(preview, read: Callable[[Request], Awaitable[Reading | JSONResponse]]) -> list[Route]:
    """The /api/calibrate/* endpoints; `preview` is the page's web.Preview, `read` turns a
    request's body into a Reading (or an error response)."""
    store = Calibrations()
    classes = preview.classifier.classes

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
        why = refusal(reading)
        count = store.count(*which) if why else store.add(
            *which, reading.features, replace=request.query_params.get("replace") == "1")
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
                             "active": made.active})

    async def save(request: Request) -> JSONResponse:
        made = store.profile(request.query_params.get("session", ""), preview.classifier.sha256)
        if not made.active:
            return JSONResponse({"error": f"faces of {len(made.prototypes)} class(es) taken; "
                                          f"a profile needs at least {profile.MIN_CLASSES}"}, 400)
        target = profile.default_path()
        try:
            await run_in_threadpool(profile.save, made, target)
        except OSError as exc:
            return JSONResponse({"error": f"cannot write {target}: {exc.strerror}"}, 500)
        preview.use_profile(made, f"your faces ({target.name})")
        return JSONResponse({"path": str(target), "classes": made.photos})

    return [Route("/api/calibrate/frame", frame, methods=["POST"]),
            Route("/api/calibrate/retake", retake, methods=["POST"]),
            Route("/api/calibrate/try", attempt, methods=["POST"]),
            Route("/api/calibrate/save", save, methods=["POST"])]
