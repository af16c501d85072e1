"""Who may use the preview: the browser of the user who started it, through the page this
server rendered; no other local user, no other program's page, no web site.

Any local user's program can connect to 127.0.0.1, and any web page (one served from another
localhost port included) can make the browser send requests here, so neither a connection
nor a browser is trusted by itself. Each run draws three random values (`Keys`):

1. token: the browser is opened on a file in the user's private runtime dir (runtime.py;
   0600 in a 0700 dir) that redirects to http://127.0.0.1:PORT/?token=TOKEN, as Jupyter
   does: other users cannot read the file, and no process list shows the token. The server
   swaps the token for an HttpOnly, SameSite=Strict cookie and redirects to the clean URL.
2. secret: the page (/ and /calibrate) is rendered with it only for a request bearing that
   cookie; anyone else gets a one-line 403 saying how to open the page. The
   page's script sends it back in the X-Face2Emoji-Secret header (common.js `post`). Another
   origin can neither read our page nor send that header (it would need a CORS preflight,
   which is never granted).
3. key: written with the port to the runtime dir; /api/proof answers HMAC(key, PORT:nonce),
   so a second `face2emoji web` can tell our preview from another program on the port.

`Guard` checks every request: Host must be 127.0.0.1:PORT or localhost:PORT (a site whose
name re-resolves to 127.0.0.1, DNS rebinding, sends its own name); an Origin, when sent, must
be this server's own (scheme, host and port); everything but the page, its static files and
/api/proof needs both that Origin (browsers send it on every POST, and the API is POST only)
and the secret. Every response forbids framing and sends no Referer.

A limit: browsers do not keep cookies apart by port (RFC 6265 §8.5), so while the browser
session lasts, a server on another localhost port that this browser is sent to receives the
cookie (not the secret; with it, it can load the page and read the secret).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from html import escape as html_escape

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

SECRET_HEADER = "x-face2emoji-secret"
SECRET_MARK = "{{face2emoji-secret}}"  # in index.html, replaced by the secret when rendered
PAGES = ("/", "/calibrate")
OPEN_PREFIXES = ("/static/", "/emoji/")  # the page's static files: nothing secret in them
PROOF = "/api/proof"
HEADERS = [(b"content-security-policy", b"frame-ancestors 'none'"),
           (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
           (b"x-content-type-options", b"nosniff")]
NOT_OPENED = ("<!doctype html><meta charset=utf-8><title>Face2Emoji</title><p>Open the preview "
              "from Face2Emoji: the tray menu's <b>Open preview</b>, or <code>face2emoji web"
              "</code>.")


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
    """This run's port and its three random values (see the module docstring)."""

    port: int
    token: str = field(default_factory=_random)
    secret: str = field(default_factory=_random)
    key: str = field(default_factory=_random)

    @property
    def cookie(self) -> str:
        return f"face2emoji-{self.port}"  # one per port: two previews keep their own

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


def page(request: Request, keys: Keys, html: str) -> Response:
    """The page for its own browser: the token is swapped for the cookie (then the clean URL),
    the cookie gets the page with the secret, anything else a 403 saying how to open it."""
    token = request.query_params.get("token")
    if token is not None and same(token, keys.token):
        clean = request.url.remove_query_params("token")
        target = html_escape(clean.path + (f"?{clean.query}" if clean.query else ""))
        # a page of ours that moves on, not a 303: a SameSite=Strict cookie is not sent on a
        # redirect of a navigation that began elsewhere (here: the runtime dir's file)
        answer = HTMLResponse(f'<!doctype html><meta http-equiv="refresh" content="0;url='
                              f'{target}"><title>Face2Emoji</title>',
                              headers={"Cache-Control": "no-store"})
        answer.set_cookie(keys.cookie, keys.token, httponly=True, samesite="strict")
        return answer
    if token is None and same(request.cookies.get(keys.cookie), keys.token):
        return HTMLResponse(html.replace(SECRET_MARK, keys.secret),
                            headers={"Cache-Control": "no-store"})
    return HTMLResponse(NOT_OPENED, 403)


def answer_proof(request: Request, keys: Keys) -> Response:
    """HMAC(key, PORT:nonce) for a second `face2emoji web` (runtime.prove)."""
    nonce = request.query_params.get("nonce", "")
    if not 16 <= len(nonce) <= 128:
        return JSONResponse({"error": "nonce: 16 to 128 characters"}, 400)
    return Response(proof(keys.key, keys.port, nonce), media_type="text/plain")
