"""The local preview page in a real browser (Debian's Chromium, headless, fake camera fed
with a smiling face), opened the way its user opens it (the runtime dir's file, the secret in
the URL's fragment); its guards against other hosts, origins, local programs, servers on other
localhost ports and bad uploads; and what a
second `face2emoji web` does when the port is held by our preview or by another program."""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import http.client
import http.server
import io
import ipaddress
import json
import os
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest
from PIL import Image

from tests.browser import CHROMIUM, Preview, chromium_args, open_page, picture, preview_server
from tests.conftest import ROOT
from tests.media import frames_of, write_y4m
from tests.processes import APP

OUT = ROOT / "test-output"
pytestmark = pytest.mark.browser
SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address
IPV6_UNUSABLE = 0x40 | 0x08  # IFA_F_TENTATIVE | IFA_F_DADFAILED: not yet (or never) bound
FRAMING = {"content-security-policy": "frame-ancestors 'none'", "x-frame-options": "DENY",
           "referrer-policy": "no-referrer"}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Preview]:
    with preview_server(tmp_path_factory.mktemp("web")) as preview:
        yield preview


def request(server: Preview, method: str, path: str, body: bytes = b"", page: bool = True,
            **headers) -> tuple[int, bytes, http.client.HTTPResponse]:
    """One request; `page`: with what the page's script sends (Host, Origin, its secret),
    otherwise with only a Host of this machine unless `headers` say otherwise."""
    sent = server.headers() if page else {"Host": f"127.0.0.1:{server.port}"}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request(method, path, body=body, headers={**sent, **headers})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data, resp


def ipv4_addresses() -> list[tuple[int, str, int]]:
    """Each interface's IPv4 address, asked of the kernel (the host name may resolve to
    127.0.0.1 only, which would leave nothing to probe)."""
    out = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            try:
                req = fcntl.ioctl(s.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
            except OSError:  # the interface has no IPv4 address
                continue
            out.append((socket.AF_INET, socket.inet_ntoa(req[20:24]), 0))
    return out


def ipv6_addresses() -> list[tuple[int, str, int]]:
    """Each usable IPv6 address with its interface index (link-local ones need it)."""
    table = Path("/proc/net/if_inet6")
    if not table.exists():  # IPv6 is off
        return []
    out = []
    for line in table.read_text().splitlines():
        hexaddr, index, _, _, flags, _ = line.split()
        if not int(flags, 16) & IPV6_UNUSABLE:
            out.append((socket.AF_INET6, str(ipaddress.IPv6Address(bytes.fromhex(hexaddr))),
                        int(index, 16)))
    return out


def reachable(family: int, address: str, scope: int, port: int) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        try:
            s.connect((address, port) if family == socket.AF_INET else (address, port, 0, scope))
        except OSError:
            return False
    return True


def test_it_listens_on_localhost_only(server):
    addresses = [a for a in ipv4_addresses() + ipv6_addresses()
                 if not ipaddress.ip_address(a[1]).is_loopback]
    if not addresses:
        pytest.skip("this machine has no network address besides loopback: nothing to probe")
    for family, address, scope in addresses:
        with socket.socket(family, socket.SOCK_STREAM) as everywhere:  # the probe's control
            everywhere.bind(("0.0.0.0" if family == socket.AF_INET else "::", 0))
            everywhere.listen()
            assert reachable(family, address, scope, everywhere.getsockname()[1]), address
        assert not reachable(family, address, scope, server.port), \
            f"the preview answers on {address}"


def test_a_foreign_host_or_origin_is_refused(server):
    port = server.port
    assert request(server, "GET", "/", page=False, Host="evil.example:80")[0] == 403
    assert request(server, "GET", "/", page=False, Host=f"127.0.0.1:{port + 1}")[0] == 403
    status, _, _ = request(server, "POST", "/api/photo", b"x", Origin="http://evil.example")
    assert status == 403
    assert request(server, "GET", "/", page=False, Host=f"localhost:{port}")[0] == 200


def test_the_secret_is_only_in_the_file_the_browser_is_opened_on(server):
    """The page and its files are public code, served to anyone on this machine without a
    secret or a cookie; the secret is in the fragment of the address in the runtime dir's file
    (which only the user can read), a part of a URL no browser sends to a server."""
    secret = server.secret()
    for path in ("/", "/calibrate", "/static/index.html", "/static/common.js"):
        status, body, resp = request(server, "GET", path, page=False)
        assert status == 200 and secret.encode() not in body, path
        assert resp.getheader("set-cookie") is None
    assert b"Open the preview from Face2Emoji" in request(server, "GET", "/", page=False)[1]
    assert server.link() == f"http://127.0.0.1:{server.port}/#s={secret}"
    assert server.link(calibrate=True) == f"http://127.0.0.1:{server.port}/calibrate#s={secret}"
    assert len(secret) >= 40
    opener = Path(server.opener().removeprefix("file://"))
    assert (opener.stat().st_mode & 0o777, opener.parent.stat().st_mode & 0o777) == (0o600, 0o700)


API = ("/api/session", "/api/photo", "/api/frame?session=s",
       "/api/calibrate/frame?session=s&cls=sad", "/api/calibrate/retake?session=s&cls=sad",
       "/api/calibrate/try?session=s", "/api/calibrate/save?session=s", "/api/what-comes-next")


@pytest.mark.parametrize("path", API)
def test_the_api_answers_only_the_page_s_own_script(server, path, smile):
    """Without an Origin (a local program), with another origin (another localhost port
    included), or without the page's secret: refused, whatever the endpoint."""
    photo = cv2.imencode(".jpg", smile)[1].tobytes()
    ours, host = f"http://127.0.0.1:{server.port}", f"127.0.0.1:{server.port}"
    for headers in ({"Host": host},
                    {"Host": host, "X-Face2Emoji-Secret": server.secret()},
                    {"Host": host, "Origin": f"http://localhost:{server.port + 1}"},
                    {"Host": host, "Origin": "http://localhost:3000",
                     "X-Face2Emoji-Secret": server.secret()},
                    {"Host": host, "Origin": ours.replace("http", "https")},
                    {"Host": host, "Origin": ours},
                    {"Host": host, "Origin": ours, "X-Face2Emoji-Secret": "guess"}):
        status, body, _ = request(server, "POST", path, photo, page=False, **headers)
        assert status == 403, (headers, body)
        assert json.loads(body)["error"].startswith("only ")
    assert request(server, "POST", path, photo)[0] in (200, 400, 404)  # the page's own call


def test_every_answer_forbids_framing_and_sends_no_referrer(server):
    for method, path, page in (("GET", "/", False), ("GET", "/static/main.js", False),
                               ("GET", "/emoji/happy.png", False), ("GET", "/nowhere", True),
                               ("POST", "/api/session", False), ("POST", "/api/session", True)):
        _, _, resp = request(server, method, path, page=page)
        assert {k: resp.getheader(k) for k in FRAMING} == FRAMING, path


def test_an_oversized_upload_is_refused(server):
    status, data, _ = request(server, "POST", "/api/photo", b"\0" * (9 * 1024 * 1024))
    assert status == 413 and "too large" in json.loads(data)["error"]


def test_an_8000_pixel_square_photo_is_refused_before_it_is_decoded(server):
    """200 kB that would decode to 192 MB: refused from its header, in one line."""
    png = io.BytesIO()
    Image.new("RGB", (8000, 8000), (120, 130, 140)).save(png, "PNG")
    assert len(png.getvalue()) < 300_000
    status, data, _ = request(server, "POST", "/api/photo", png.getvalue())
    assert status == 413 and json.loads(data) == {"error": (
        "not a usable image: image too large: 8000x8000 (at most 40 MP and 12000 px a side)")}


def test_garbage_is_a_400_with_a_clear_message(server):
    status, data, _ = request(server, "POST", "/api/photo", b"this is not a photo")
    assert status == 400 and json.loads(data)["error"].startswith("not a usable image")


def test_a_real_face_photo_is_classified(server, smile):
    status, data, _ = request(server, "POST", "/api/photo",
                              cv2.imencode(".jpg", smile)[1].tobytes())
    answer = json.loads(data)
    assert status == 200 and answer["label"] == "happy" and answer["emoji"] == "😀"
    assert answer["faces"] == 1 and len(answer["box"]) == 4


@pytest.fixture(scope="module")
def browser_factory(tmp_path_factory, smile):
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    from playwright.sync_api import sync_playwright

    y4m = write_y4m(tmp_path_factory.mktemp("cam") / "smile.y4m", frames_of(smile, 30))
    with sync_playwright() as p:
        def launch(camera: bool):
            return p.chromium.launch(executable_path=CHROMIUM,
                                     args=chromium_args(y4m if camera else None))
        yield launch


def test_the_live_view_shows_the_smile_from_the_camera(server, browser_factory):
    browser = browser_factory(camera=True)
    page = browser.new_page()
    open_page(page, server)
    page.wait_for_function("document.getElementById('emoji').dataset.emoji === '😀'",
                           timeout=30000)
    assert page.locator("#label").inner_text().startswith("happy")
    # Noto's colour picture, not the system font's (a black outline in Debian's Chromium)
    assert picture(page, "#emoji") == {"src": "/emoji/happy.png", "alt": "😀", "loaded": True}
    assert page.locator("#bars .bar").count() == 6
    assert page.locator("#bars .bar img").count() == 6
    assert page.locator("#profile-status").inner_text() == "No profile: the model as trained."
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / "web-live.png"), full_page=True)
    browser.close()


def test_uploads_work_with_the_camera_denied(server, browser_factory, smile, tmp_path):
    photo = tmp_path / "smile.jpg"
    cv2.imwrite(str(photo), smile)
    browser = browser_factory(camera=False)
    page = browser.new_page()
    open_page(page, server)
    page.wait_for_function("document.getElementById('camera-status').textContent"
                           ".startsWith('Live view off')", timeout=15000)
    page.set_input_files("#file", str(photo))
    page.wait_for_function("document.getElementById('photo-label').textContent === 'happy'",
                           timeout=15000)
    assert picture(page, "#photo-emoji") == {"src": "/emoji/happy.png", "alt": "😀",
                                             "loaded": True}
    page.screenshot(path=str(OUT / "web-upload.png"), full_page=True)
    page.set_input_files("#file", files=[{"name": "notes.jpg", "mimeType": "image/jpeg",
                                          "buffer": b"definitely not a jpeg"}])
    page.wait_for_function("document.getElementById('photo-error').textContent !== ''",
                           timeout=15000)
    assert page.locator("#photo-error").inner_text().startswith("not a usable image")
    page.screenshot(path=str(OUT / "web-upload-error.png"), full_page=True)
    browser.close()


# A second `face2emoji web` on the same port (the tray's "Open preview", "Teach my faces…")

def recording_browser(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose browser (BROWSER) only notes what it is asked to open."""
    opened, browser = tmp_path / "opened", tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    run = tmp_path / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    return {**os.environ, "BROWSER": str(browser), "XDG_RUNTIME_DIR": str(run)}, opened


@contextlib.contextmanager
def another_program(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    """An HTTP server that is not ours on a free localhost port; yields the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class Impostor(Quiet):
    """Answers like a preview would (a session; a proof, with a key that is not ours)."""

    def answer(self) -> None:
        nonce = self.path.partition("nonce=")[2]
        body = (hmac.new(b"not the user's key", f"{self.server.server_address[1]}:{nonce}"
                         .encode(), hashlib.sha256).hexdigest() if nonce
                else json.dumps({"session": "x", "emoji": {}}))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = answer


def second_instance(port: int, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*APP, "web", "--port", str(port), "--calibrate"], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("handler", [Quiet, Impostor], ids=["a plain server", "an impostor"])
def test_another_program_on_the_port_is_named_and_never_opened(tmp_path, handler):
    """Whether it is a plain HTTP server or one that answers like a preview (even with a key
    file an earlier preview on that port left behind): one line, nothing opened, exit 1."""
    env, opened = recording_browser(tmp_path)
    with another_program(handler) as port:
        (tmp_path / "run" / "face2emoji").mkdir(mode=0o700)
        (tmp_path / "run" / "face2emoji" / f"preview-{port}.json").write_text(
            json.dumps({"port": port, "pid": 1, "key": "an earlier run's key"}))
        run = second_instance(port, env)
    assert run.returncode == 1, run
    assert run.stderr.splitlines() == [
        f"face2emoji: port {port} is taken by another program (not a Face2Emoji preview): "
        "choose another with --port (the tray: web_port in the settings)"]
    assert not opened.exists()



# The tab the page was opened in, other tabs, and servers on other localhost ports

SHOWN = "document.getElementById('profile-status').textContent !== ''"  # /api/session answered
NOT_OPENED = ("Open the preview from Face2Emoji: the tray menu's Open preview, or "
              "face2emoji web.")


def test_a_reload_keeps_working_and_a_tab_opened_by_hand_says_how_to_open_it(
        server, browser_factory):
    browser = browser_factory(camera=False)
    context = browser.new_context()
    page = context.new_page()
    open_page(page, server)
    page.wait_for_function(SHOWN)
    page.reload()
    page.wait_for_function(SHOWN)
    assert page.url == server.page_url() and page.locator("#not-opened").is_hidden()
    page.click("#teach")  # "Teach it my faces", in the same tab
    page.wait_for_selector("#calibration", state="visible")
    by_hand = context.new_page()
    by_hand.goto(server.page_url())
    by_hand.wait_for_selector("#not-opened", state="visible")
    assert by_hand.locator("#not-opened").inner_text() == NOT_OPENED
    assert by_hand.locator("#preview").is_hidden()
    page.evaluate("sessionStorage.setItem('face2emoji-secret', 'an earlier run\\'s')")
    page.reload()  # a tab left open while the preview was restarted
    page.wait_for_selector("#not-opened", state="visible")
    assert page.locator("#calibration").is_hidden()
    browser.close()


def recording(seen: list[dict[str, str]]) -> type[http.server.BaseHTTPRequestHandler]:
    """A web server that notes each request's path and headers (names in lower case)."""
    class Recording(Quiet):
        def do_GET(self) -> None:
            seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<!doctype html><title>another site</title>")
    return Recording


def test_a_server_on_another_localhost_port_gets_neither_a_cookie_nor_the_secret(
        server, browser_factory):
    """The user's page is open and working; the same browser then visits a server on another
    localhost port, in a new tab and from the page itself. That server is sent no cookie and
    nothing holding the secret, and what it was sent does not get it our page's secret either;
    no request of the browser carried the secret other than in the API's header."""
    secret, seen, finished = server.secret(), [], []
    browser = browser_factory(camera=False)
    context = browser.new_context()
    context.on("requestfinished", lambda r: finished.append(r))
    page = context.new_page()
    with another_program(recording(seen)) as other:
        open_page(page, server)
        page.wait_for_function(SHOWN)
        elsewhere = f"http://127.0.0.1:{other}"
        context.new_page().goto(f"{elsewhere}/in-a-new-tab")
        page.evaluate(f"location.href = '{elsewhere}/from-the-page'")
        page.wait_for_url(f"{elsewhere}/from-the-page")
        sent = [(r.url, r.all_headers()) for r in finished]
    browser.close()
    assert {"/in-a-new-tab", "/from-the-page"} <= {r["path"] for r in seen}
    ours = f"http://127.0.0.1:{server.port}/"
    assert [r for r in seen if "cookie" in r or r.get("referer", "").startswith(ours)] == []
    assert [r for r in seen if any(secret in value for value in r.values())] == []
    for got in seen:  # the other server tries our page with what it was sent
        replay = {k: v for k, v in got.items() if k not in ("path", "host")}
        assert secret.encode() not in request(server, "GET", "/", page=False, **replay)[1]
    assert [url for url, _ in sent if secret in url] == []
    assert [(url, name) for url, headers in sent for name, value in headers.items()
            if secret in value and name != "x-face2emoji-secret"] == []
    assert (f"{ours}api/session", secret) in [
        (url, headers.get("x-face2emoji-secret")) for url, headers in sent]
