"""Teach it my faces from the page: per session and class, the features and eye readings of
the frames (or photos) that showed exactly one face; the wink is taught from the eyes. Faces
of the person's own ("Add a face…") are declared with their emoji and an optional name (the
emoji by default), then taken like the built-in ones under that name.

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
from face2emoji_tray.emoji import CLASSES, name_problem, nfc, text_problem
from face2emoji_tray.eyes import Eyes
from face2emoji_tray.recognizer import Reading

SESSIONS = 8  # calibrations remembered at once (a tab left open, a reload)
MAX_FRAMES = 60  # features kept per class: 12 s of frames at 5/s, 240 kB


Shot = tuple[np.ndarray, Eyes | None]  # one accepted face: its features and eye readings


class Calibrations:
    """session → class → the accepted faces, the oldest sessions forgotten first; and per
    session, the taught faces declared (name → emoji)."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, dict[str, list[Shot]]] = OrderedDict()
        self._taught: dict[str, dict[str, str]] = {}

    def _of(self, session: str) -> dict[str, list[Shot]]:
        if session not in self._sessions:
            self._sessions[session] = {}
            while len(self._sessions) > SESSIONS:
                self._taught.pop(self._sessions.popitem(last=False)[0], None)
        self._sessions.move_to_end(session)
        return self._sessions[session]

    def taught(self, session: str) -> dict[str, str]:
        """The session's taught faces, name → emoji (never makes a session)."""
        return self._taught.get(session, {})

    def declare(self, session: str, name: str, emoji: str) -> None:
        """A taught face the page is about to take (again, with another emoji: replaced)."""
        self._of(session)
        self._taught.setdefault(session, {})[name] = emoji

    def remove(self, session: str, name: str) -> None:
        self.clear(session, name)
        self._taught.get(session, {}).pop(name, None)

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
            {c: [e for _, e in s if e is not None] for c, s in shots.items()},
            self.taught(session))


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


def unusable(name: str, emoji: str, taught: dict[str, str]) -> str:
    """Why a face of the person's own cannot be added as asked ('' when it can); `name` as
    nfc() gives it."""
    if why := text_problem(emoji):
        return f"the emoji: {why}"
    if name in CLASSES:
        return f"{name} is built in: take it in the list above"
    if why := name_problem(name):
        return f"the name: {why}"
    if name not in taught and len(taught) >= profile.MAX_TAUGHT:
        return f"at most {profile.MAX_TAUGHT} faces of your own"
    return ""


def named(request: Request) -> str | None:
    """The face a request names (`cls`), as names are compared (emoji.nfc)."""
    cls = request.query_params.get("cls")
    return None if cls is None else nfc(cls)


def routes(preview, read: Callable[[Request], Awaitable[Reading | JSONResponse]]) -> list[Route]:
    """The /api/calibrate/* endpoints; `preview` is the page's web.Preview, `read` turns a
    request's body into a Reading (or an error response)."""
    store = Calibrations()
    classes = (*preview.classifier.classes, profile.WINK)

    def asked(request: Request) -> tuple[str, str] | JSONResponse:
        session, cls = request.query_params.get("session", ""), named(request)
        if cls not in classes and cls not in store.taught(session):
            return JSONResponse({"error": f"cls must be one of {', '.join(classes)}, or a face "
                                          "added with /api/calibrate/add"}, 400)
        return session, cls

    async def add(request: Request) -> JSONResponse:
        """Declare a taught face: its emoji, and a name (the emoji when none is given)."""
        session = request.query_params.get("session", "")
        emoji = request.query_params.get("emoji", "")
        name = nfc(request.query_params.get("name", "").strip() or emoji)
        if why := unusable(name, emoji, store.taught(session)):
            return JSONResponse({"error": why}, 400)
        store.declare(session, name, emoji)
        return JSONResponse({"name": name, "emoji": emoji, "count": store.count(session, name)})

    async def remove(request: Request) -> JSONResponse:
        store.remove(request.query_params.get("session", ""), named(request))
        return JSONResponse({"count": 0})

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
        return JSONResponse({"with": preview.answer(mine, mine.label(), mine=made),
                             "without": preview.answer(reading, reading.label()),
                             "active": made.useful, "note": made.unlearned})

    async def save(request: Request) -> JSONResponse:
        made = store.profile(request.query_params.get("session", ""), preview.classifier.sha256)
        if not made.useful:
            why = f"; {made.unlearned}" if made.unlearned else ""
            return JSONResponse({"error": f"faces of {len(made.prototypes)} class(es) taken; a "
                                          f"profile needs at least {profile.MIN_CLASSES}, or a "
                                          f"wink{why}"}, 400)
        if made.taught_alone:
            return JSONResponse({"error": made.taught_alone}, 400)
        target = profile.default_path()
        try:
            await run_in_threadpool(profile.save, made, target)
        except OSError as exc:
            return JSONResponse({"error": f"cannot write {target}: {exc.strerror}"}, 500)
        preview.use_profile(made, f"your faces ({target.name})")
        return JSONResponse({"path": str(target), "note": made.unlearned, "classes": {
            **made.photos, **{n: t.photos for n, t in made.taught.items()}}})

    return [Route("/api/calibrate/frame", frame, methods=["POST"]),
            Route("/api/calibrate/add", add, methods=["POST"]),
            Route("/api/calibrate/remove", remove, methods=["POST"]),
            Route("/api/calibrate/retake", retake, methods=["POST"]),
            Route("/api/calibrate/try", attempt, methods=["POST"]),
            Route("/api/calibrate/save", save, methods=["POST"])]
