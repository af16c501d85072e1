"""Who may use the preview: the browser tab of the user who started it, opened on the page
through the file this run wrote; no other local user or program, no web site, no page of
another localhost port.

Threat model. Any local user's program can connect to 127.0.0.1, and any web page (one served
from another localhost port included) can make the browser send requests here, so neither a
connection nor a browser is trusted by itself. Browsers also send a host's cookies to every
port of it (RFC 6265 §8.5): a cookie of ours would reach any server on another localhost port
that the browser visits, which could then present it here. So the page holds no secret and
nothing of ours rests on a cookie; each run draws two random values (`Keys`):

1. secret: the browser is opened on a file in the user's private runtime dir (runtime.py;
   0600 in a 0700 dir) that sends it to http://127.0.0.1:PORT/#s=SECRET. A URL's fragment is
   never sent to any server, nor in a Referer; no process list shows it; other users cannot
   read the file. The page's script (common.js) takes it from the fragment at load, keeps it
   in sessionStorage (this origin, port included, and this tab only: a reload keeps working,
   another origin never sees it), removes it from the address bar, and sends it in the
   X-Face2Emoji-Secret header with every API call (`post`). Another origin can neither read
   that storage nor send that header here (it would need a CORS preflight, never granted).
   The page and its static files are public code, served to anyone who passes the Host check;
   a tab opened without the fragment says how to open the preview.
2. key: written with the port to the runtime dir; /api/proof answers HMAC(key, PORT:nonce),
   so a second `face2emoji web` can tell our preview from another program on the port.

`Guard` checks every request: Host must be 127.0.0.1:PORT or localhost:PORT (a site whose
name re-resolves to 127.0.0.1, DNS rebinding, sends its own name); an Origin, when sent, must
be this server's own (scheme, host and port); everything but the page, its static files and
/api/proof needs both that Origin (browsers send it on every POST, and the API is POST only)
and the secret. Every response forbids framing and sends no Referer.

Left to the user's own account: the browser's history may keep the opened URL with its
fragment, as readable as the runtime dir's file (both the user's alone).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

SECRET_HEADER = "x-face2emoji-secret"
PAGES = ("/", "/calibrate")
OPEN_PREFIXES = ("/static/", "/emoji/")  # the page's static files: public code, no secret
PROOF = "/api/proof"
HEADERS = [(b"content-security-policy", b"frame-ancestors 'none'"),
           (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
           (b"x-content-type-options", b"nosniff")]


def _random() -> str:
    return secrets.token_urlsafe(32)


def same(given: str | None, wanted: str) -> bool:
    """Constant-time equality (the given value may be anything a client sent)."""
    return given is not None and hmac.compare_digest(given.encode(), wanted.encode())


def proof(key: str, port: int, nonce: str) -> str:
    """What our preview on `port` answers to `nonce`: bound to the port, so another program
    cannot pass on the answer of our preview on another port."""
    return hmac.new(key.encode(), f"{port}:{nonce}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Keys:
    """This run's port and its two random values (see the module docstring)."""

    port: int
    secret: str = field(default_factory=_random)
    key: str = field(default_factory=_random)

    def link(self, calibrate: bool = False) -> str:
        """The page's address with the secret in its fragment (`s`, read by common.js)."""
        return f"http://127.0.0.1:{self.port}/{'calibrate' if calibrate else ''}#s={self.secret}"

    @property
    def hosts(self) -> tuple[str, ...]:
        return (f"127.0.0.1:{self.port}", f"localhost:{self.port}")

    @property
    def origins(self) -> tuple[str, ...]:
        return tuple(f"http://{host}" for host in self.hosts)


class Guard:
    """ASGI middleware: refuses (403, one line) what the module docstring says, and adds the
    framing and referrer headers to every answer, refusals and errors included."""

    def __init__(self, app, keys: Keys) -> None:
        self.app, self.keys = app, keys

    def refusal(self, scope) -> str:
        """Why this request is refused ('' when it is not)."""
        headers, path = Headers(scope=scope), scope["path"]
        if headers.get("host", "").lower() not in self.keys.hosts:
            return "only this machine may use the preview (Host)"
        origin = headers.get("origin")
        if origin is not None and origin not in self.keys.origins:
            return "only the preview's own page may use it (Origin)"
        if path in PAGES or path == PROOF or path.startswith(OPEN_PREFIXES):
            return ""
        if origin is None:
            return "only the preview's own page may use it (no Origin)"
        if not same(headers.get(SECRET_HEADER), self.keys.secret):
            return "only the preview's own page may use it (its secret is missing or wrong)"
        return ""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        why = self.refusal(scope)
        if why:
            await JSONResponse({"error": why}, 403)(scope, receive, with_headers)
        else:
            await self.app(scope, receive, with_headers)


def answer_proof(request: Request, keys: Keys) -> Response:
    """HMAC(key, PORT:nonce) for a second `face2emoji web` (runtime.prove)."""
    nonce = request.query_params.get("nonce", "")
    if not 16 <= len(nonce) <= 128:
        return JSONResponse({"error": "nonce: 16 to 128 characters"}, 400)
    return Response(proof(keys.key, keys.port, nonce), media_type="text/plain")
