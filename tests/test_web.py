"""The local preview page in a real browser (Debian's Chromium, headless, fake camera fed
with a smiling face), and its API's guards against other hosts and bad uploads."""
from __future__ import annotations

import fcntl
import http.client
import ipaddress
import json
import socket
import struct
from pathlib import Path

import cv2
import pytest

from tests.browser import CHROMIUM, chromium_args, picture
from tests.conftest import ROOT
from tests.media import frames_of, write_y4m
from tests.processes import web_server

OUT = ROOT / "test-output"
pytestmark = pytest.mark.browser
SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address
IPV6_UNUSABLE = 0x40 | 0x08  # IFA_F_TENTATIVE | IFA_F_DADFAILED: not yet (or never) bound


@pytest.fixture(scope="module")
def server():
    with web_server() as port:
        yield port


def request(port: int, method: str, path: str, body: bytes = b"", **headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers={"Host": f"127.0.0.1:{port}", **headers})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


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
        assert not reachable(family, address, scope, server), f"the preview answers on {address}"


def test_a_foreign_host_or_origin_is_refused(server):
    assert request(server, "GET", "/", Host="evil.example:80")[0] == 403
    status, _ = request(server, "POST", "/api/photo", b"x", Origin="http://evil.example")
    assert status == 403
    assert request(server, "GET", "/", Host=f"localhost:{server}")[0] == 200


def test_an_oversized_upload_is_refused(server):
    status, data = request(server, "POST", "/api/photo", b"\0" * (9 * 1024 * 1024))
    assert status == 413 and "too large" in json.loads(data)["error"]


def test_garbage_is_a_400_with_a_clear_message(server):
    status, data = request(server, "POST", "/api/photo", b"this is not a photo")
    assert status == 400 and json.loads(data)["error"].startswith("not a usable image")


def test_a_real_face_photo_is_classified(server, smile):
    status, data = request(server, "POST", "/api/photo", cv2.imencode(".jpg", smile)[1].tobytes())
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
    page.goto(f"http://127.0.0.1:{server}/")
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
    page.goto(f"http://127.0.0.1:{server}/")
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
