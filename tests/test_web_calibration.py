"""Teach it my faces on the page (/calibrate): the flow in Debian's Chromium with a fake camera
(a face, or a blank wall) and with photos instead, the profile it saves, the live preview's
use of that profile, and the calibration API's answers and refusals."""
from __future__ import annotations

import functools
import http.client
import http.server
import json
import os
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import cv2
import numpy as np
import pytest

from face2emoji_tray.classifier import Classifier
from tests.browser import CHROMIUM, Preview, chromium_args, open_page, picture, preview_server
from tests.conftest import ROOT, SHARED
from tests.media import NEUTRAL_JPG, SMILE_JPG, frames_of, read_photo, write_y4m
from tests.processes import APP
from tests.waiting import wait_for

OUT = ROOT / "test-output"
pytestmark = pytest.mark.browser
FRAMES = 10  # what calibrate.js takes per face
STEPS = ("neutral", "happy", "sad", "angry", "scared", "surprised", "wink")


@pytest.fixture(scope="module")
def data_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def server(data_home, tmp_path_factory):
    with preview_server(tmp_path_factory.mktemp("web"),
                        env={**os.environ, "XDG_DATA_HOME": str(data_home)}) as preview:
        yield preview


@pytest.fixture
def saved(data_home) -> Path:
    """Where the server writes the user's own profile; each test starts without one."""
    path = data_home / "face2emoji" / "profile.json"
    path.unlink(missing_ok=True)
    return path


def request(server: Preview, method: str, path: str, body: bytes = b"", page: bool = True,
            **headers):
    """One request, by default as the page's script makes it (Host, Origin, its secret);
    `page=False`: with only a Host of this machine, as any local program could."""
    sent = server.headers() if page else {"Host": f"127.0.0.1:{server.port}"}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request(method, path, body=body, headers={**sent, **headers})
    resp = conn.getresponse()
    status, data = resp.status, resp.read()
    conn.close()
    return status, (json.loads(data) if resp.getheader("content-type") == "application/json"
                    else data)


def jpeg(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", image)[1].tobytes()


WALL = np.full((480, 640, 3), 170, np.uint8)


@pytest.fixture(scope="module")
def cameras(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cams")
    return {"smile": write_y4m(folder / "smile.y4m", frames_of(read_photo(SMILE_JPG), 30)),
            "wall": write_y4m(folder / "wall.y4m", [WALL] * 10)}


@pytest.fixture(scope="module")
def chromium(cameras):
    """launch(camera name or None) → a fresh headless Chromium."""
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield lambda camera: p.chromium.launch(
            executable_path=CHROMIUM, args=chromium_args(cameras[camera] if camera else None))


def state(page, cls: str, wanted: str, timeout: float = 20) -> None:
    page.wait_for_selector(f".step[data-cls={cls}][data-state={wanted}]", timeout=timeout * 1000)


def progress(page) -> float:
    return page.locator("#cal-progress").evaluate("p => p.value")


def test_the_camera_flow_makes_a_profile_of_the_faces_taken(server, chromium, saved):
    """Default timing: 3-2-1, then ten frames with one face; neutral and happy from the
    camera (the same face: still a profile), happy retaken once, the rest skipped."""
    browser = chromium("smile")
    page = browser.new_page()
    open_page(page, server, calibrate=True)
    page.wait_for_selector("#cal-start:enabled", timeout=20000)
    started = time.monotonic()
    page.click("#cal-start")
    state(page, "neutral", "active")
    assert page.locator("#cal-prompt").inner_text() == "Look neutral, relaxed"
    assert picture(page, "#cal-emoji") == {"src": "/emoji/neutral.png", "alt": "😐",
                                           "loaded": True}
    assert page.locator("#cal-count").inner_text() == "3"
    state(page, "neutral", "done")
    one_face = time.monotonic() - started
    assert one_face >= 3 + (FRAMES - 1) * 0.2, one_face  # the countdown, then 2 s of frames

    state(page, "happy", "active")
    page.wait_for_function("document.getElementById('cal-progress').value >= 3", timeout=20000)
    assert page.locator("#cal-status").inner_text().startswith("Hold it…")
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / "calibration-step.png"), full_page=True)
    page.click("#cal-retake")
    page.wait_for_function("document.getElementById('cal-count').textContent === '3'")
    assert progress(page) == 0
    state(page, "happy", "done")
    for cls in STEPS[2:]:
        state(page, cls, "active")
        page.click("#cal-skip")
        state(page, cls, "skipped")

    page.wait_for_function("document.querySelector('#try-without .label').textContent"
                           ".startsWith('happy')", timeout=20000)
    assert page.locator("#try-with .label").inner_text() != ""
    assert picture(page, "#try-without .emoji") == {"src": "/emoji/happy.png", "alt": "😀",
                                                    "loaded": True}
    page.click("#cal-save")
    page.wait_for_function("document.getElementById('cal-saved').textContent !== 'Saving…'")
    page.screenshot(path=str(OUT / "calibration-done.png"), full_page=True)
    assert page.locator("#cal-saved").inner_text().startswith(
        f"Saved your faces (neutral {FRAMES}, happy {FRAMES}) to {saved}.")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    made = json.loads(saved.read_text())
    assert {c: v["photos"] for c, v in made["classes"].items()} == {"neutral": FRAMES,
                                                                    "happy": FRAMES}
    assert made["model_sha256"] == Classifier(ROOT / "models" / "expression.onnx").sha256

    page.goto(f"http://127.0.0.1:{server.port}/")  # the live preview now uses it
    page.wait_for_function("document.getElementById('profile-status').textContent !== ''")
    assert page.locator("#profile-status").inner_text() == "Using your faces (profile.json)."
    browser.close()


def test_frames_without_a_face_are_not_counted_and_the_page_says_why(server, chromium, saved):
    browser = chromium("wall")
    page = browser.new_page()
    open_page(page, server, calibrate=True)
    page.wait_for_selector("#cal-start:enabled", timeout=20000)
    page.click("#cal-start")
    page.wait_for_function("document.getElementById('cal-status').textContent"
                           " === 'Not counted: no face in view.'", timeout=20000)
    time.sleep(1)  # five more frames
    assert progress(page) == 0
    assert page.locator(".step[data-cls=neutral]").get_attribute("data-state") == "active"
    page.click("#cal-save")
    page.wait_for_function("document.getElementById('cal-saved').textContent.startsWith('Not')")
    assert page.locator("#cal-saved").inner_text() == (
        "Not saved: faces of 0 class(es) taken; a profile needs at least 2, or a wink.")
    assert not saved.exists()
    browser.close()


def test_a_photo_per_face_makes_a_profile_without_a_camera(server, chromium, saved, tmp_path):
    wall = tmp_path / "wall.jpg"
    cv2.imwrite(str(wall), WALL)
    browser = chromium(None)
    page = browser.new_page()
    open_page(page, server)
    page.goto(f"http://127.0.0.1:{server.port}/?calibrate")
    page.wait_for_function("document.getElementById('cal-status').textContent"
                           ".startsWith('No camera (')", timeout=20000)
    assert page.locator("#cal-camera").is_hidden()
    for cls, photo in (("happy", SMILE_JPG), ("neutral", NEUTRAL_JPG), ("sad", wall)):
        page.set_input_files(f".step[data-cls={cls}] input[type=file]", str(photo))
    state(page, "happy", "done")
    state(page, "neutral", "done")
    page.wait_for_function("document.querySelector('.step[data-cls=sad] .count').textContent"
                           " === 'Photo not used: no face in view.'", timeout=20000)
    page.set_input_files("#try-photo", str(SMILE_JPG))  # try a face: with and without
    page.wait_for_function("document.querySelector('#try-with .label').textContent"
                           ".startsWith('happy')", timeout=20000)
    assert page.locator("#try-without .label").inner_text().startswith("happy")
    # Add a face of my own from two photos: 👍🏽 named "yuck" (one of the photos has no face).
    disgust = tmp_path / "disgust.jpg"
    cv2.imwrite(str(disgust), tcce("2511e02"))
    page.click("#add-open")
    page.fill("#add-emoji", "👍🏽")
    page.fill("#add-name", "yuck")
    page.set_input_files("#add-photos", [str(disgust), str(wall)])
    state(page, "yuck", "done")
    mine = page.locator(".step[data-cls=yuck]")
    assert mine.locator(".emoji").inner_text() == "👍🏽"
    assert mine.locator(".count").inner_text() == "✓ from a photo Photo not used: no face in view."
    page.click("#cal-save")
    page.wait_for_function("document.getElementById('cal-saved').textContent.startsWith('Saved')",
                           timeout=20000)
    made = json.loads(saved.read_text())
    assert {c: v["photos"] for c, v in made["classes"].items()} == {"happy": 1, "neutral": 1}
    assert {n: (t["emoji"], t["photos"]) for n, t in made["taught"].items()} == {
        "yuck": ("👍🏽", 1)}
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    browser.close()


def test_the_live_preview_says_a_broken_profile_is_not_used(server, chromium, saved):
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text("{not json")
    browser = chromium(None)
    page = browser.new_page()
    open_page(page, server)
    page.wait_for_function("document.getElementById('profile-status').textContent !== ''")
    status = page.locator("#profile-status").inner_text()
    assert status.startswith(f"Your profile is not used: {saved}: not a readable Face2Emoji "
                             "profile"), status
    assert page.locator("#teach").get_attribute("href") == "/calibrate"
    browser.close()


# The API alone: quicker, and exact about what counts.

def frame(server: Preview, cls: str, image: np.ndarray, session: str = "api", extra: str = ""):
    return request(server, "POST", f"/api/calibrate/frame?session={session}&cls={cls}{extra}",
                   jpeg(image))


def test_only_frames_with_exactly_one_face_count_and_retake_forgets_them(server, smile, saved):
    assert frame(server, "happy", WALL, "one") == (200, {"faces": 0, "accepted": False,
                                                         "why": "no face in view", "count": 0})
    two = cv2.hconcat([smile, smile])
    status, answer = frame(server, "happy", two, "one")
    assert (status, answer["faces"], answer["accepted"], answer["count"]) == (200, 2, False, 0)
    assert answer["why"] == "2 faces in view (only yours, please)"
    assert [frame(server, "happy", smile, "one")[1]["count"] for _ in range(2)] == [1, 2]
    assert frame(server, "happy", smile, "one", "&replace=1")[1]["count"] == 1  # a photo
    assert request(server, "POST", "/api/calibrate/retake?session=one&cls=happy") == (
        200, {"count": 0})
    assert frame(server, "happy", smile, "one")[1]["count"] == 1
    assert frame(server, "happy", smile, "other")[1]["count"] == 1  # sessions are apart


def test_faces_it_cannot_be_taught_are_refused(server, smile):
    for cls in ("disgust", "no_face", ""):
        status, answer = frame(server, cls, smile)
        assert status == 400 and answer["error"].startswith("cls must be one of angry, happy")
        assert answer["error"].endswith(", wink, or a face added with /api/calibrate/add")


def test_try_reads_with_and_without_the_session_s_faces(server, smile):
    neutral = read_photo(NEUTRAL_JPG)
    status, alone = request(server, "POST", "/api/calibrate/try?session=try", jpeg(neutral))
    assert status == 200 and not alone["active"] and alone["with"] == alone["without"]
    frame(server, "neutral", smile, "try")  # teach it that this smile is the neutral face
    frame(server, "happy", neutral, "try")
    status, both = request(server, "POST", "/api/calibrate/try?session=try", jpeg(neutral))
    assert status == 200 and both["active"]
    assert both["without"]["label"] == "neutral" and both["without"]["emoji"] == "😐"
    assert both["with"]["probs"]["happy"] > both["without"]["probs"]["happy"] + 0.3


def test_save_needs_two_faces_and_writes_the_user_s_profile(server, smile, saved):
    frame(server, "happy", smile, "save")
    status, answer = request(server, "POST", "/api/calibrate/save?session=save")
    assert status == 400 and answer == {
        "error": "faces of 1 class(es) taken; a profile needs at least 2, or a wink"}
    assert not saved.exists()
    frame(server, "neutral", read_photo(NEUTRAL_JPG), "save")
    status, answer = request(server, "POST", "/api/calibrate/save?session=save")
    assert status == 200 and answer == {"path": str(saved), "classes": {"happy": 1, "neutral": 1},
                                        "note": ""}
    assert request(server, "POST", "/api/session")[1]["profile"] == {
        "used": True, "note": "your faces (profile.json)"}
    saved.unlink()
    assert request(server, "POST", "/api/session")[1]["profile"] == {"used": False, "note": ""}


def test_the_bundled_emoji_are_served_and_nothing_else(server):
    status, data = request(server, "GET", "/emoji/happy.png", page=False)
    assert status == 200 and data == (ROOT / "assets" / "emoji" / "happy.png").read_bytes()
    assert request(server, "GET", "/emoji/../../README.md")[0] == 404
    assert request(server, "GET", "/emoji/happy.png", Host="evil.example")[0] == 403
    status, _ = request(server, "POST", "/api/calibrate/save?session=save",
                        Origin="http://evil.example")
    assert status == 403


def test_a_local_program_cannot_teach_or_save_my_faces(server, smile, saved):
    """The three POSTs that once made a smile read sad: refused without the page's Origin
    and secret (any local program, or a page of another localhost port), nothing saved."""
    neutral = read_photo(NEUTRAL_JPG)
    for origin in ({}, {"Origin": "http://localhost:3000"},
                   {"Origin": f"http://127.0.0.1:{server.port + 1}"}):
        for path, body in (("/api/calibrate/frame?session=&cls=sad", jpeg(smile)),
                           ("/api/calibrate/frame?session=&cls=happy", jpeg(neutral)),
                           ("/api/calibrate/save?session=", b"")):
            status, answer = request(server, "POST", path, body, page=False, **origin)
            assert status == 403 and answer["error"].startswith("only the preview's own page")
    assert not saved.exists()
    status, photo = request(server, "POST", "/api/photo", jpeg(smile))
    assert status == 200 and photo["label"] == "happy"


ATTACK = """<!doctype html><iframe id="framed" src="http://127.0.0.1:{port}/calibrate"></iframe>
<script type="module">
const api = "http://127.0.0.1:{port}", got = {{}};
const body = async (name) =>
  new Blob([await (await fetch(name)).arrayBuffer()], {{type: "text/plain"}});
// what a page may send anywhere without asking: "simple" POSTs, answers unread
for (const [path, photo] of [["frame?session=&cls=sad", "smile.jpg"],
                             ["frame?session=&cls=happy", "neutral.jpg"], ["save?session=", null]])
  await fetch(`${{api}}/api/calibrate/${{path}}`, {{method: "POST", mode: "no-cors",
                                                body: photo && await body(photo)}});
for (const secret of [null, "a guess"]) {{
  try {{
    const r = await fetch(`${{api}}/api/session`, {{method: "POST",
      headers: secret ? {{"X-Face2Emoji-Secret": secret}} : {{}}}});
    got[secret] = await r.text();
  }} catch (e) {{ got[secret] = "blocked"; }}
}}
document.title = JSON.stringify(got);
</script>"""


def test_a_page_from_another_localhost_port_can_neither_teach_read_nor_frame_it(
        server, chromium, saved, smile, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "attack.html").write_text(ATTACK.format(port=server.port))
    (site / "smile.jpg").write_bytes(jpeg(smile))
    (site / "neutral.jpg").write_bytes(jpeg(read_photo(NEUTRAL_JPG)))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    browser = chromium(None)
    try:
        page = browser.new_page()
        open_page(page, server)  # the user's own page is open in the same browser
        page.goto(f"http://127.0.0.1:{other.server_address[1]}/attack.html")
        page.wait_for_function("document.title.startsWith('{')", timeout=20000)
        assert not saved.exists()
        assert json.loads(page.title()) == {"null": "blocked", "a guess": "blocked"}
        assert page.frames[1].url.startswith("chrome-error://")  # refused to be framed
    finally:
        browser.close()
        other.shutdown()
        other.server_close()


def test_web_calibrate_opens_the_calibration_page_once_it_answers(tmp_path):
    """The browser is opened on the runtime dir's file, after the port is ours: following
    the file, as a browser does, reaches the page (the secret in the fragment). A second
    `web --calibrate` ("Open preview", then "Teach my faces…") proves the first is ours and
    opens it too."""
    opened, browser, follow = tmp_path / "opened", tmp_path / "browser", tmp_path / "follow.py"
    follow.write_text(
        "import re, sys, urllib.request\n"
        "text = open(sys.argv[1].removeprefix('file://')).read()\n"
        "url = re.search('url=(http://[^\"]+)\"', text).group(1)\n"
        "direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))\n"
        "print(sys.argv[1], url, direct.open(url, timeout=10).status)\n")
    browser.write_text(f'#!/bin/sh\nexec {sys.executable} {follow} "$1" >> {opened}\n')
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": str(browser)}
    with preview_server(tmp_path, ("--calibrate",), env) as preview:
        wait_for(lambda: opened.exists() and opened.read_text().strip(), 10,
                 "the browser to be asked")
        uri, url, status = opened.read_text().split()
        assert uri == preview.opener(calibrate=True)
        assert url.startswith(f"http://127.0.0.1:{preview.port}/calibrate#s=")
        assert status == "200"
        opened.unlink()
        second = subprocess.run([*APP, "web", "--calibrate", "--port", str(preview.port)],
                                env={**env, "XDG_RUNTIME_DIR": str(preview.runtime)},
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 0 and "already runs" in second.stdout, second.stderr
        assert opened.read_text().split() == [uri, url, "200"]


def yale(condition: str, person: str = "subject02") -> np.ndarray:
    with zipfile.ZipFile(SHARED / "posed" / "posed.zip") as z:
        return cv2.imdecode(np.frombuffer(z.read(f"yale/{condition}/{person}.png"), np.uint8),
                            cv2.IMREAD_COLOR)


def test_my_slight_wink_taught_on_the_page_is_read_as_a_wink(server, saved):
    """subject02's wink is slight: read as a wink only once the page was shown it."""
    wink, normal = yale("wink"), yale("normal")
    status, before = request(server, "POST", "/api/calibrate/try?session=wink", jpeg(wink))
    assert status == 200 and before["without"]["label"] != "wink" and not before["active"]
    assert frame(server, "neutral", normal, "wink")[1]["accepted"]
    assert frame(server, "wink", wink, "wink")[1] == {"faces": 1, "accepted": True, "why": "",
                                                      "count": 1}
    status, after = request(server, "POST", "/api/calibrate/try?session=wink", jpeg(wink))
    assert status == 200 and after["active"]
    assert after["with"]["label"] == "wink" and after["with"]["emoji"] == "😉"
    assert after["without"]["label"] == before["without"]["label"]
    status, answer = request(server, "POST", "/api/calibrate/save?session=wink")
    assert status == 200 and answer["classes"] == {"neutral": 1, "wink": 1}
    status, photo = request(server, "POST", "/api/photo", jpeg(wink))
    assert status == 200 and photo["label"] == "wink"  # the preview uses the saved wink
    saved.unlink()


def test_a_wink_no_different_from_my_other_faces_is_not_saved_and_the_page_says_why(server, saved):
    normal = yale("normal")
    frame(server, "wink", normal, "nowink")
    status, answer = request(server, "POST", "/api/calibrate/save?session=nowink")
    assert status == 400 and answer["error"].endswith(
        "or a wink; wink not learned: this wink looks like your other faces to the eye "
        "readings: shut one eye fully and keep the other open")
    assert not saved.exists()


def test_a_face_of_my_own_with_only_my_wink_beside_it_is_not_saved_and_the_page_says_why(
        server, saved):
    """A wink makes a profile worth saving, but a taught face needs two of my own faces to be
    told from: such a file would be refused at its first reading (and set aside as damaged)."""
    wink, normal = yale("wink"), yale("normal")
    assert frame(server, "neutral", normal, "alone")[1]["accepted"]
    assert frame(server, "wink", wink, "alone")[1]["accepted"]
    assert add(server, "alone", FAMILY)[0] == 200
    assert frame(server, quote(FAMILY), tcce("2511e02"), "alone")[1]["count"] == 1
    status, answer = request(server, "POST", "/api/calibrate/save?session=alone")
    assert status == 400 and answer["error"] == (
        "a taught face is told from your own faces: take at least 2 of them")
    assert not saved.exists()


# Faces of my own ("Add a face…"): TCCE performer 25 (never trained on), one photo per face.
TCCE_FACES = {"neutral": "2501a04", "happy": "2511b02", "sad": "2511c02", "angry": "2511d04",
              "scared": "2511f04", "surprised": "2511g05"}
FAMILY = "👨‍👩‍👧"


def tcce(stem: str) -> np.ndarray:
    with zipfile.ZipFile(SHARED / "posed" / "tcce.zip") as z:
        return cv2.imdecode(np.frombuffer(z.read(f"tcce/{stem}.jpg"), np.uint8), cv2.IMREAD_COLOR)


def add(server: Preview, session: str, emoji: str, name: str = ""):
    return request(server, "POST", f"/api/calibrate/add?session={session}&emoji={quote(emoji)}"
                                 f"&name={quote(name)}")


def attempt(server: Preview, session: str, image: np.ndarray) -> dict:
    status, answer = request(server, "POST", f"/api/calibrate/try?session={session}", jpeg(image))
    assert status == 200
    return answer


def test_a_face_of_my_own_is_added_taken_tried_saved_and_removed(server, saved):
    for cls, stem in TCCE_FACES.items():
        assert frame(server, cls, tcce(stem), "own")[1]["accepted"]
    status, answer = frame(server, quote(FAMILY), tcce("2511e02"), "own")  # not added yet
    assert status == 400 and "a face added with /api/calibrate/add" in answer["error"]
    assert add(server, "own", FAMILY) == (200, {"name": FAMILY, "emoji": FAMILY, "count": 0})
    assert frame(server, quote(FAMILY), tcce("2511e02"), "own")[1]["count"] == 1
    other_disgust = attempt(server, "own", tcce("2521e01"))  # another photo of that face
    assert (other_disgust["with"]["label"], other_disgust["with"]["emoji"]) == (FAMILY, FAMILY)
    assert other_disgust["without"]["label"] != FAMILY
    assert attempt(server, "own", tcce("2521b02"))["with"]["label"] == "happy"
    status, answer = request(server, "POST", "/api/calibrate/save?session=own")
    assert status == 200 and answer["classes"][FAMILY] == 1
    made = json.loads(saved.read_text())
    assert made["taught"][FAMILY]["emoji"] == FAMILY
    status, photo = request(server, "POST", "/api/photo", jpeg(tcce("2521e01")))
    assert (photo["label"], photo["emoji"]) == (FAMILY, FAMILY)  # the preview uses it
    assert request(server, "POST", "/api/session")[1]["emoji"][FAMILY] == FAMILY  # its bars too
    assert request(server, "POST", f"/api/calibrate/remove?session=own&cls={quote(FAMILY)}")[0] \
        == 200
    assert attempt(server, "own", tcce("2521e01"))["with"]["label"] != FAMILY
    saved.unlink()


@pytest.mark.parametrize(("emoji", "name", "why"), [
    ("", "", "the emoji: an empty text"), ("🤢", "happy", "happy is built in"),
    ("🤢", "yuck\x07", "the name: a name with U+0007 (a control character)"),
    ("🤢\n", "", "the emoji: a text with U+000A (a control character)"),
    ("🤢", "paused", "the name: 'paused' is the name of one of the app's states"),
    ("🤢", "\u202ekcuy", "the name: a name with U+202E (an invisible format character)"),
    ("🤢" * 33, "", "the emoji: a text of 33 characters")])
def test_a_face_of_my_own_that_cannot_be_one_is_refused_in_one_line(server, emoji, name, why):
    status, answer = add(server, "bad", emoji, name)
    assert status == 400 and answer["error"].startswith(why) and "\n" not in answer["error"]


def test_a_local_program_cannot_add_or_remove_a_face_of_mine(server):
    for what in ("add?session=x&emoji=%F0%9F%A4%A2", "remove?session=x&cls=%F0%9F%A4%A2"):
        assert request(server, "POST", f"/api/calibrate/{what}", page=False)[0] == 403


def test_at_most_so_many_faces_of_my_own(server):
    from face2emoji_tray.profile import MAX_TAUGHT

    assert all(add(server, "many", f"face {i}", "")[0] == 200 for i in range(MAX_TAUGHT))
    status, answer = add(server, "many", "one more")
    assert status == 400 and answer["error"] == f"at most {MAX_TAUGHT} faces of your own"


def test_add_a_face_on_the_page_take_it_retake_it_try_it_and_save_it(server, chromium, saved):
    """The camera shows a smile throughout: neutral and happy are taken from it, the rest
    skipped; then "Add a face…" with a pasted 👨‍👩‍👧: 2 s of frames, retaken, kept through Save."""
    browser = chromium("smile")
    page = browser.new_page()
    open_page(page, server, calibrate=True)
    page.wait_for_selector("#cal-start:enabled", timeout=20000)
    page.click("#cal-start")
    state(page, "happy", "done", timeout=30)
    for cls in STEPS[2:]:
        state(page, cls, "active")
        page.click("#cal-skip")
    page.wait_for_function("document.querySelector('#try-with .label').textContent !== ''",
                           timeout=20000)
    page.click("#add-open")
    page.fill("#add-emoji", FAMILY)
    page.click("#add-go")
    mine = f'.step[data-cls="{FAMILY}"]'
    state(page, f'"{FAMILY}"', "active")
    assert page.locator("#cal-prompt").inner_text() == f"Make your {FAMILY} face"
    assert page.locator("#cal-emoji").inner_text() == FAMILY
    state(page, f'"{FAMILY}"', "done")
    assert page.locator(f"{mine} .emoji").inner_text() == FAMILY
    assert page.locator(f"{mine} .count").inner_text() == f"✓ {FRAMES} frames"
    page.click(f"{mine} .redo")  # retake it
    state(page, f'"{FAMILY}"', "active")
    state(page, f'"{FAMILY}"', "done")
    page.wait_for_function("document.getElementById('calibration').dataset.phase === 'try'")
    page.click("#cal-save")
    page.wait_for_function("document.getElementById('cal-saved').textContent.startsWith('Saved')",
                           timeout=20000)
    assert page.locator("#cal-saved").inner_text().startswith(
        f"Saved your faces (neutral {FRAMES}, happy {FRAMES}, {FAMILY} {FRAMES})")
    made = json.loads(saved.read_text())
    assert made["taught"][FAMILY] == {**made["taught"][FAMILY], "emoji": FAMILY, "photos": FRAMES}
    page.click(f"{mine} .remove")
    page.wait_for_selector(mine, state="detached")
    page.click("#cal-save")
    page.wait_for_function(  # 'Saving…' first: wait for the answer, not for the old line to go
        "(t => t.startsWith('Saved') && !t.includes('👧'))"
        "(document.getElementById('cal-saved').textContent)", timeout=20000)
    assert json.loads(saved.read_text())["taught"] == {}
    browser.close()
