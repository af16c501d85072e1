"""The local preview page: the browser's webcam and uploads, classified by the same engine.

Starlette + uvicorn: a small, well-kept ASGI pair with no code generation or schema layer we
would not use; the page is static files and a few JSON endpoints (calibration.py has those of
"Teach it my faces", the page's mode at /calibrate). Frames and photos arrive as raw request
bodies (no multipart parser needed), are decoded in memory, and are never stored. The emoji
are the bundled Noto pictures, in colour also where the system lacks a colour emoji font.
The server binds 127.0.0.1 only and refuses any Host or Origin that is not this
machine, so a web site cannot reach it through DNS rebinding.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid
import webbrowser
from collections import OrderedDict
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from face2emoji_tray import images, profile
from face2emoji_tray.classifier import EXPRESSION_MODEL
from face2emoji_tray.config import Config, load
from face2emoji_tray.emoji import DEFAULT_EMOJI
from face2emoji_tray.recognizer import Reading, Recognizer, calibrated
from face2emoji_tray.shipped import shipped_dir
from face2emoji_tray.smoother import Smoother, State
from face2emoji_tray.web import calibration

STATIC = Path(__file__).resolve().parent / "static"
EMOJI = shipped_dir("assets") / "emoji"  # Noto's colour emoji: not every system has the font
PAGE_STATES = ("no_face", "unsure")  # pictured besides the classes
MAX_UPLOAD = 8 * 1024 * 1024  # bytes
MAX_SIDE = 8000  # pixels, either side of an uploaded image
LOCAL_HOSTS = ("127.0.0.1", "localhost")
SESSIONS = 8  # live views remembered at once (one smoother each)


class LocalOnly:
    """ASGI middleware: a 403 unless Host (and Origin, when sent) name this machine."""

    def __init__(self, app) -> None:
        self.app = app

    @staticmethod
    def _local(value: str, scheme: bool) -> bool:
        if scheme:
            if not value.startswith("http://"):
                return False
            value = value[len("http://"):]
        host = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
        return host in LOCAL_HOSTS

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            origin = headers.get("origin")
            if not self._local(headers.get("host", ""), False) or (
                    origin is not None and not self._local(origin, True)):
                await JSONResponse({"error": "only this machine may use the preview"},
                                   403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


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
        frame = images.decode(data, max_side=MAX_SIDE)
        with self._lock:
            return self._recognizer.read(frame)

    def calibrated(self, reading: Reading, mine: profile.Profile | None) -> Reading:
        """The reading as it is with `mine` (unchanged without a profile or a face)."""
        return calibrated(reading, self.classifier.classes, mine)

    def smoother(self, session: str) -> Smoother:
        if session not in self._smoothers:
            self._smoothers[session] = Smoother(self.config.window, self.config.threshold,
                                                wink_hold=self.config.wink_hold)
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


def create_app(model: Path = EXPRESSION_MODEL, config: Config | None = None) -> Starlette:
    preview = Preview(model, config or load()[0])

    async def read(request: Request) -> Reading | JSONResponse:
        data = await _body(request)
        if isinstance(data, JSONResponse):
            return data
        try:
            return await run_in_threadpool(preview.read, data)
        except images.ImageError as exc:
            return JSONResponse({"error": f"not a usable image: {exc}"}, 400)

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

    async def index(request: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html")

    async def session(request: Request) -> JSONResponse:
        await run_in_threadpool(preview.reload_profile)
        return JSONResponse({"session": uuid.uuid4().hex, "emoji": preview.config.emoji,
                             "pictures": preview.pictures(), "classes": preview.classifier.classes,
                             "teach": [*preview.classifier.classes, profile.WINK],
                             "profile": {"used": preview.profile is not None,
                                         "note": preview.profile_note}})

    app = Starlette(routes=[
        Route("/", index), Route("/calibrate", index), Route("/api/session", session),
        Route("/api/photo", photo, methods=["POST"]), Route("/api/frame", frame, methods=["POST"]),
        *calibration.routes(preview, read),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Mount("/emoji", StaticFiles(directory=EMOJI), name="emoji"),
    ])
    app.add_middleware(LocalOnly)
    return app


def _preview_answers(port: int) -> bool:
    """Whether our own preview already listens on `port` (another program there is not it)."""
    try:
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
        with direct.open(f"http://127.0.0.1:{port}/api/session", timeout=2) as r:
            return "session" in json.loads(r.read())
    except (OSError, ValueError):
        return False


def serve(port: int, model: Path = EXPRESSION_MODEL, open_browser: bool = True,
          calibrate: bool = False) -> int:
    """Run the page until Ctrl+C; `calibrate` opens "Teach it my faces" instead of the preview."""
    import uvicorn

    url = f"http://127.0.0.1:{port}/" + ("calibrate" if calibrate else "")
    if _preview_answers(port):  # the tray's "Open preview", then "Teach my faces…"
        print(f"Face2Emoji preview already runs on port {port}: opening {url}")
        if open_browser:
            webbrowser.open(url)
        return 0
    app = create_app(model)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    print(f"Face2Emoji preview on {url} (this machine only; Ctrl+C stops it)")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    return 0
