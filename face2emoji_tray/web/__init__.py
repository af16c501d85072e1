"""The local preview page: the browser's webcam and uploads, classified by the same engine.

Starlette + uvicorn: a small, well-kept ASGI pair with no code generation or schema layer we
would not use; the page is static files and a few JSON endpoints (calibration.py has those of
"Teach it my faces", the page's mode at /calibrate). Frames and photos arrive as raw request
bodies (no multipart parser needed), are decoded in memory (images.decode: bounded in pixels
before decoding; DECODES at once, WAITING more in line, the rest a 503), and are never stored. The
emoji are the bundled Noto pictures, in colour also where the system lacks a colour emoji font.
The server binds 127.0.0.1 only; access.py says who may use it (the tab opened with this
run's secret, nothing else) and how, runtime.py how a second `face2emoji web` finds it.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
import webbrowser
from collections import OrderedDict
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from face2emoji_tray import images, profile
from face2emoji_tray.classifier import EXPRESSION_MODEL
from face2emoji_tray.config import Config, load
from face2emoji_tray.emoji import DEFAULT_EMOJI
from face2emoji_tray.recognizer import Reading, Recognizer, calibrated
from face2emoji_tray.shipped import shipped_dir
from face2emoji_tray.smoother import Smoother, State
from face2emoji_tray.web import access, calibration, runtime

STATIC = Path(__file__).resolve().parent / "static"
EMOJI = shipped_dir("assets") / "emoji"  # Noto's colour emoji: not every system has the font
PAGE_STATES = ("no_face", "unsure")  # pictured besides the classes
MAX_UPLOAD = 8 * 1024 * 1024  # bytes
SESSIONS = 8  # live views remembered at once (one smoother each)
DECODES = 2  # uploads decoded and read at once: each may hold a 40 MP image (~160 MB)
WAITING = 8  # uploads that wait for one of those (as bytes: 8 MB at most); more get a 503


class Busy(Exception):
    """DECODES images are being read and WAITING more wait: the request is answered 503."""


class Slots:
    """Bounds the images in memory at once: `running` decoded and read at a time, `waiting`
    more in line (a few photos dropped together), the rest refused at once. Used from the
    event loop only, so the count needs no lock."""

    def __init__(self, running: int, waiting: int) -> None:
        self._running = asyncio.Semaphore(running)
        self._room, self._held = running + waiting, 0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._held >= self._room:
            raise Busy
        self._held += 1
        try:
            async with self._running:
                yield
        finally:
            self._held -= 1


class Preview:
    """The engine parts the page uses: one recognizer (not thread-safe: a lock), a smoother
    per live view, and the user's own profile. The recognizer itself has no profile: one face
    pass then gives both the global reading and, through calibrated(), any profile's."""

    def __init__(self, model: Path, config: Config) -> None:
        self.config = config
        self._recognizer = Recognizer(model)
        self.classifier = self._recognizer.classifier
        self._lock = threading.Lock()
        self._smoothers: OrderedDict[str, Smoother] = OrderedDict()
        self.profile: profile.Profile | None = None
        self.profile_note = ""
        self.reload_profile()

    def reload_profile(self) -> None:
        """The user's own profile as the file is now, so one made since (by `calibrate` or
        another tab) is used from the next page load; a broken one is noted and not used."""
        self.use_profile(*profile.load_default(self.classifier))

    def use_profile(self, found: profile.Profile | None, note: str) -> None:
        self.profile, self.profile_note = found, note

    def read(self, data: bytes) -> Reading:
        frame = images.decode(data)
        with self._lock:
            return self._recognizer.read(frame)

    def calibrated(self, reading: Reading, mine: profile.Profile | None) -> Reading:
        """The reading as it is with `mine` (unchanged without a profile or a face)."""
        return calibrated(reading, self.classifier.classes, mine)

    def smoother(self, session: str) -> Smoother:
        if session not in self._smoothers:
            self._smoothers[session] = Smoother(self.config.window, self.config.threshold,
                                                wink_hold=self.config.wink_hold,
                                                sleep_hold=self.config.sleep_hold)
            while len(self._smoothers) > SESSIONS:
                self._smoothers.popitem(last=False)
        self._smoothers.move_to_end(session)
        return self._smoothers[session]

    def answer(self, reading: Reading, label: str | None, state: State | None = None,
               mine: profile.Profile | None = None) -> dict:
        """A reading for the page; `mine`: the profile whose taught faces it may name."""
        emoji = "" if label is None else profile.typed(label, self.config.emoji,
                                                       mine or self.profile)
        return {"faces": reading.faces, "box": reading.box, "probs": reading.probs,
                "label": label, "emoji": emoji,
                "state": state.describe() if state else (label or "no face"),
                "note": reading.note}

    def pictures(self) -> dict[str, str]:
        """Name → the bundled picture's URL, for the classes whose configured emoji is the one
        pictured (a user's own emoji is shown as text) and for the page's states."""
        names = [c for c, e in self.config.emoji.items() if DEFAULT_EMOJI.get(c) == e]
        return {n: f"/emoji/{n}.png" for n in (*names, *PAGE_STATES)
                if (EMOJI / f"{n}.png").is_file()}


async def _body(request: Request) -> bytes | JSONResponse:
    """The raw upload, or a 413 as soon as it is larger than MAX_UPLOAD."""
    if int(request.headers.get("content-length") or 0) > MAX_UPLOAD:
        return JSONResponse({"error": f"upload too large (at most {MAX_UPLOAD >> 20} MB)"}, 413)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_UPLOAD:
            return JSONResponse({"error": f"upload too large (at most {MAX_UPLOAD >> 20} MB)"}, 413)
    return bytes(data)


def create_app(keys: access.Keys, model: Path = EXPRESSION_MODEL,
               config: Config | None = None) -> Starlette:
    """The preview's app for the server on `keys.port` (access.py: who may use it)."""
    preview = Preview(model, config or load()[0])
    slots = Slots(DECODES, WAITING)
    html = (STATIC / "index.html").read_text(encoding="utf-8")

    async def read(request: Request) -> Reading | JSONResponse:
        data = await _body(request)
        if isinstance(data, JSONResponse):
            return data
        try:
            async with slots.slot():
                return await run_in_threadpool(preview.read, data)
        except Busy:
            return JSONResponse({"error": "busy reading other images: try again"}, 503)
        except images.ImageError as exc:
            return JSONResponse({"error": f"not a usable image: {exc}"},
                                413 if isinstance(exc, images.TooLarge) else 400)

    async def photo(request: Request) -> JSONResponse:
        reading = await read(request)
        if isinstance(reading, JSONResponse):
            return reading
        reading = preview.calibrated(reading, preview.profile)
        return JSONResponse(preview.answer(reading, reading.label()))

    async def frame(request: Request) -> JSONResponse:
        reading = await read(request)
        if isinstance(reading, JSONResponse):
            return reading
        reading = preview.calibrated(reading, preview.profile)
        state = preview.smoother(request.query_params.get("session", "")).add(time.monotonic(),
                                                                                reading)
        label = state.label if state.kind == "expression" else None
        return JSONResponse(preview.answer(reading, label, state))

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(html)  # public: the secret comes with the URL's fragment

    async def proof(request: Request) -> Response:
        return access.answer_proof(request, keys)

    async def session(request: Request) -> JSONResponse:
        await run_in_threadpool(preview.reload_profile)
        mine = preview.profile.taught if preview.profile is not None else {}
        emoji = {**{n: t.emoji for n, t in mine.items()},  # what the hotkey types (profile.typed)
                 **preview.config.emoji}
        return JSONResponse({"session": uuid.uuid4().hex, "emoji": emoji,
                             "pictures": preview.pictures(), "classes": preview.classifier.classes,
                             "teach": [*preview.classifier.classes, profile.WINK],
                             "profile": {"used": preview.profile is not None,
                                         "note": preview.profile_note}})

    app = Starlette(routes=[
        Route("/", index), Route("/calibrate", index),
        Route(access.PROOF, proof, methods=["POST"]),
        Route("/api/session", session, methods=["POST"]),
        Route("/api/photo", photo, methods=["POST"]), Route("/api/frame", frame, methods=["POST"]),
        *calibration.routes(preview, read),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Mount("/emoji", StaticFiles(directory=EMOJI), name="emoji"),
    ])
    app.add_middleware(access.Guard, keys=keys)
    return app


def serve(port: int, model: Path = EXPRESSION_MODEL, open_browser: bool = True,
          calibrate: bool = False) -> int:
    """Run the page until Ctrl+C; `calibrate` opens "Teach it my faces" instead of the preview.
    Where our preview already runs on `port`, open it (after runtime.prove); where another
    program does, raise runtime.PortTaken and open nothing. The browser opens only once the port is
    ours, on the runtime dir's file that sends it to the page with the run's secret."""
    import uvicorn

    runtime.stop_on_signals()  # from here on, a SIGTERM still removes what held() wrote
    found = runtime.prove(port)
    if found == runtime.OURS:  # the tray's "Open preview", then "Teach my faces…"
        print(f"Face2Emoji preview already runs on port {port}: opening it")
        if open_browser:
            webbrowser.open(runtime.opener(port, calibrate).as_uri())
        return 0
    if found == runtime.TAKEN:
        raise runtime.PortTaken(port)
    keys = access.Keys(port)
    app = create_app(keys, model)  # a broken model stops it here, before the port is taken
    with runtime.held(keys) as sock:
        opener = runtime.opener(port, calibrate)
        print(f"Face2Emoji preview on http://127.0.0.1:{port}/ (this machine only; Ctrl+C "
              f"stops it): open {opener.as_uri()} or {keys.link(calibrate)}")
        if open_browser:  # the port is ours now; a thread: a BROWSER command may not return
            threading.Thread(target=webbrowser.open, args=(opener.as_uri(),), daemon=True).start()
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    return 0
