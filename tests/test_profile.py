"""Teach it my faces from the command line: a person's photos make a profile, predict and eval
use it (yours by default, or --profile / --no-profile), and a broken or foreign profile is
refused in one line and never overwritten."""
from __future__ import annotations

import base64
import http.client
import json
import os
import stat
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from face2emoji_tray import profile
from tests.conftest import SHARED
from tests.browser import preview_server
from tests.test_cli import face2emoji
from tests.waiting import wait_for

YALE = {"happy": "happy", "normal": "neutral", "sad": "sad", "surprised": "surprised"}
# read as neutral when sad, without a profile; subject03 reads sad since the face's shape is
# fused (issue 25). Both are among the Yale people the shape network trained on.
PERSON = "subject10"


@pytest.fixture(scope="module")
def faces_dir(tmp_path_factory):
    """One Yale person's photos, one per class, as DIR/<class>/ — plus a photo with no face."""
    folder = tmp_path_factory.mktemp("my-faces")
    with zipfile.ZipFile(SHARED / "posed" / "posed.zip") as z:
        for condition, cls in YALE.items():
            (folder / cls).mkdir()
            (folder / cls / "me.png").write_bytes(z.read(f"yale/{condition}/{PERSON}.png"))
    cv2.imwrite(str(folder / "happy" / "wall.png"), np.full((240, 320, 3), 180, np.uint8))
    return folder


@pytest.fixture(scope="module")
def my_profile(faces_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("profile") / "me.json"
    done = face2emoji("calibrate", str(faces_dir), "--profile", str(path))
    assert done.returncode == 0, done.stderr
    return path, done


def labels(*args: str) -> dict[str, str]:
    done = face2emoji("predict", "--json", *args)
    assert done.returncode == 0, done.stderr
    return {os.path.basename(os.path.dirname(r["path"])): r["label"]
            for r in map(json.loads, done.stdout.splitlines())}


def test_calibrate_says_what_it_used_and_skips_a_photo_without_a_face(my_profile):
    path, done = my_profile
    assert done.stdout.splitlines()[:4] == ["happy: 1 photo", "neutral: 1 photo", "sad: 1 photo",
                                            "surprised: 1 photo"]
    assert "wall.png: skipped: no face found" in done.stderr


def test_the_profile_is_private_small_and_holds_no_image(my_profile):
    path, _ = my_profile
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_size <= 100_000
    data = json.loads(path.read_text())
    assert data["format"] == profile.FORMAT and len(data["model_sha256"]) == 64
    assert set(data["classes"]) == {"happy", "neutral", "sad", "surprised"}


def test_with_my_profile_my_sad_face_reads_sad(faces_dir, my_profile):
    photos = [str(faces_dir / c / "me.png") for c in YALE.values()]
    assert labels("--no-profile", *photos)["sad"] == "neutral"  # the global model alone
    assert labels("--profile", str(my_profile[0]), *photos) == {c: c for c in YALE.values()}


def test_my_own_profile_is_used_by_default_and_forgotten_on_request(faces_dir):
    sad = str(faces_dir / "sad" / "me.png")
    assert face2emoji("calibrate", str(faces_dir)).returncode == 0  # the user's own profile
    assert labels(sad) == {"sad": "sad"}
    done = face2emoji("calibrate", "--forget")
    assert done.returncode == 0 and done.stdout.startswith("forgot ")
    assert labels(sad) == {"sad": "neutral"}


def test_a_profile_for_another_model_is_refused(my_profile, tmp_path, faces_dir):
    data = json.loads(my_profile[0].read_text())
    data["model_sha256"] = "0" * 64
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    done = face2emoji("predict", "--profile", str(other), str(faces_dir / "sad" / "me.png"))
    assert done.returncode == 1
    assert "made for another expression model" in done.stderr
    assert json.loads(other.read_text()) == data  # kept as it was


def test_a_broken_profile_of_mine_is_reported_ignored_and_kept(faces_dir, user_dirs):
    mine = user_dirs / "data" / "face2emoji" / "profile.json"
    mine.parent.mkdir(parents=True)
    mine.write_text("{not json")
    done = face2emoji("predict", "--json", str(faces_dir / "sad" / "me.png"))
    assert done.returncode == 0
    assert "not a readable Face2Emoji profile" in done.stderr and "(not used)" in done.stderr
    assert json.loads(done.stdout)["label"] == "neutral"
    assert mine.read_text() == "{not json"


def test_one_class_is_not_enough_for_a_profile(faces_dir, tmp_path):
    one = tmp_path / "one" / "happy"
    one.mkdir(parents=True)
    (one / "me.png").write_bytes((faces_dir / "happy" / "me.png").read_bytes())
    done = face2emoji("calibrate", str(one.parent), "--profile", str(tmp_path / "p.json"))
    assert done.returncode == 1 and "at least 2" in done.stderr
    assert not (tmp_path / "p.json").exists()


def test_a_running_app_picks_up_a_new_profile_and_forgets_it(my_profile, tmp_path):
    from face2emoji_tray.classifier import Classifier
    from face2emoji_tray.profile import Watcher

    mine = tmp_path / "profile.json"
    watcher = Watcher(Classifier(), mine, every=0)
    assert watcher.current() is None and watcher.note == ""
    mine.write_bytes(my_profile[0].read_bytes())  # the page saved one
    assert watcher.current() is not None and watcher.note == "your faces"
    mine.write_text("{broken")
    assert watcher.current() is None and "not a readable" in watcher.note
    mine.unlink()  # "Forget my faces"
    assert watcher.current() is None and watcher.note == ""


WINK_DAMAGE = {  # a wink entry no calibration makes: refused, never a wink on every face
    "wink that matches every face": {"side": 0, "lean": -1, "ratio": None},
    "wink of side 0.7": {"side": 0.7, "lean": 0.3, "ratio": 0.6},
    "wink of side true": {"side": True, "lean": 0.3, "ratio": 0.6},
    "wink ratio -infinity": {"side": 0, "lean": 0.3, "ratio": float("-inf")},
    "wink without a ratio": {"side": 0, "lean": 0.3},
    "wink photos 1e999": {"side": 0, "lean": 0.3, "ratio": 0.6, "photos": 1e999},
    "wink without its eye model": {"side": 0, "lean": 0.3, "ratio": 0.6, "eye_model_sha256": None},
}


@pytest.mark.parametrize("damage", ["short prototype", "all prototypes short", "unknown class",
                                    *WINK_DAMAGE])
def test_a_profile_edited_into_nonsense_is_refused_in_one_line(my_profile, tmp_path, faces_dir,
                                                               damage):
    data = json.loads(my_profile[0].read_text())
    if damage in WINK_DAMAGE:
        data["wink"] = {"photos": 1, "eye_model_sha256": profile.eye_model_sha256(),
                        **WINK_DAMAGE[damage]}
    elif damage == "short prototype":
        data["classes"]["sad"]["prototype"] = data["classes"]["sad"]["prototype"][:40]
    elif damage == "all prototypes short":
        for entry in data["classes"].values():
            entry["prototype"] = entry["prototype"][:40]
    else:
        data["classes"]["bored"] = data["classes"].pop("sad")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    done = face2emoji("predict", "--profile", str(bad), str(faces_dir / "sad" / "me.png"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "not a readable Face2Emoji profile" in done.stderr


def test_saving_over_broken_files_keeps_each_of_them(my_profile, tmp_path):

    good = profile.Profile.from_json(json.loads(my_profile[0].read_text()))
    target = tmp_path / "profile.json"
    for junk in ("{first", "{second"):
        target.write_text(junk)
        profile.save(good, target)
    kept = sorted(p.read_text() for p in tmp_path.glob("profile.json.broken-*"))
    assert kept == ["{first", "{second"]
    assert profile.Profile.from_json(json.loads(target.read_text())).photos == good.photos


SLIGHT_WINKER = "subject02"  # a wink the rule for everyone misses (eye model 0.12 against 0.0)


@pytest.fixture(scope="module")
def winks_dir(tmp_path_factory):
    """A person's neutral face, smile and (slight) wink as DIR/<class>/, and their other
    photos (lightings, glasses, sleepy) apart, never taught."""
    folder = tmp_path_factory.mktemp("my-wink")
    with zipfile.ZipFile(SHARED / "posed" / "posed.zip") as z:
        for condition, cls in {"normal": "neutral", "happy": "happy", "wink": "wink"}.items():
            (folder / cls).mkdir()
            (folder / cls / "me.png").write_bytes(z.read(f"yale/{condition}/{SLIGHT_WINKER}.png"))
        for condition in ("glasses", "noglasses", "leftlight", "rightlight", "sleepy", "sad"):
            (folder / "others").mkdir(exist_ok=True)
            (folder / "others" / f"{condition}.png").write_bytes(
                z.read(f"yale/{condition}/{SLIGHT_WINKER}.png"))
    return folder


def test_my_slight_wink_is_read_as_a_wink_once_taught_and_my_other_faces_are_not(winks_dir,
                                                                                 tmp_path):
    wink = str(winks_dir / "wink" / "me.png")
    others = sorted(str(p) for p in (winks_dir / "others").iterdir())
    assert labels("--no-profile", wink)["wink"] != "wink"
    mine = tmp_path / "me.json"
    done = face2emoji("calibrate", str(winks_dir), "--profile", str(mine))
    assert done.returncode == 0, done.stderr
    assert "wink: 1 photo" in done.stdout.splitlines()
    assert json.loads(mine.read_text())["wink"]["side"] in (0, 1)
    assert labels("--profile", str(mine), wink) == {"wink": "wink"}
    read = face2emoji("predict", "--json", "--profile", str(mine), *others)
    assert read.returncode == 0 and len(read.stdout.splitlines()) == len(others) == 6
    assert not [r for r in map(json.loads, read.stdout.splitlines()) if r["label"] == "wink"]


def test_a_wink_that_cannot_be_told_apart_is_reported_and_the_faces_are_still_saved(
        winks_dir, tmp_path):
    folder = tmp_path / "faces"
    for cls in ("neutral", "happy"):
        (folder / cls).mkdir(parents=True)
        (folder / cls / "me.png").write_bytes((winks_dir / cls / "me.png").read_bytes())
    (folder / "wink").mkdir()  # both eyes open: no wink to learn
    (folder / "wink" / "me.png").write_bytes((winks_dir / "neutral" / "me.png").read_bytes())
    done = face2emoji("calibrate", str(folder), "--profile", str(tmp_path / "p.json"))
    assert done.returncode == 0
    assert "wink not learned: this wink looks like your other faces" in done.stderr
    assert "wink" not in json.loads((tmp_path / "p.json").read_text())


def my_wink_alone(winks_dir, tmp_path) -> Path:
    """A profile calibrated from nothing but the person's wink photo."""
    folder = tmp_path / "faces"
    (folder / "wink").mkdir(parents=True)
    (folder / "wink" / "me.png").write_bytes((winks_dir / "wink" / "me.png").read_bytes())
    mine = tmp_path / "p.json"
    done = face2emoji("calibrate", str(folder), "--profile", str(mine))
    assert done.returncode == 0, done.stderr
    return mine


def test_a_wink_taught_with_another_eye_model_is_refused(winks_dir, tmp_path):
    mine = my_wink_alone(winks_dir, tmp_path)
    data = json.loads(mine.read_text())
    data["wink"]["eye_model_sha256"] = "0" * 64
    mine.write_text(json.dumps(data))
    done = face2emoji("predict", "--profile", str(mine), str(winks_dir / "wink" / "me.png"))
    assert done.returncode == 1 and "its wink was taught with another eye model" in done.stderr


def test_a_wink_alone_makes_a_profile(winks_dir, tmp_path):
    mine = my_wink_alone(winks_dir, tmp_path)
    assert labels("--profile", str(mine), str(winks_dir / "wink" / "me.png")) == {"wink": "wink"}


def test_a_wink_only_profile_is_used_by_a_running_app_and_a_photo_of_my_wink(winks_dir, tmp_path):
    from face2emoji_tray import images
    from face2emoji_tray.classifier import Classifier
    from face2emoji_tray.recognizer import Recognizer

    mine = my_wink_alone(winks_dir, tmp_path)
    model = Classifier()
    watcher = profile.Watcher(model, mine, every=0)
    taught = watcher.current()
    assert taught is not None and taught.prototypes == {} and not taught.active
    assert taught.useful and watcher.note == "your faces"
    recognizer = Recognizer(model, profile=taught)
    try:
        wink = images.read(winks_dir / "wink" / "me.png")
        assert recognizer.read(wink).label() == "wink"
        recognizer.profile = None
        assert recognizer.read(wink).label() != "wink"
    finally:
        recognizer.close()


# --- Taught faces: a face the model has no class for, taught from the person's photos ---
# TCCE performer 25 (never trained on): one photo of each of the six faces, and one disgust
# photo taught as a face of its own; their other photos test it (tcce/PPTVXNN.jpg).
TAUGHT_FROM = {"neutral": "2501a04", "happy": "2511b02", "sad": "2511c02", "angry": "2511d04",
               "scared": "2511f04", "surprised": "2511g05"}
DISGUST_TAUGHT, DISGUST_OTHERS = "2511e02", ("2521e01", "2521e03", "2531e01")
OTHERS = {"2501a05": "neutral", "2521b02": "happy", "2521d12": "angry"}
FAMILY = "👨‍👩‍👧"  # a ZWJ sequence of five code points, as a folder's name


def tcce_photo(folder: Path, stem: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(SHARED / "posed" / "tcce.zip") as z:
        (folder / f"{stem}.jpg").write_bytes(z.read(f"tcce/{stem}.jpg"))
    return folder / f"{stem}.jpg"


@pytest.fixture(scope="module")
def taught(tmp_path_factory):
    """calibrate DIR with DIR/<class>/ and DIR/👨‍👩‍👧/ (a disgust photo) → (profile, output, other
    photos of the same person)."""
    base = tmp_path_factory.mktemp("taught")
    for face, stem in (*TAUGHT_FROM.items(), (FAMILY, DISGUST_TAUGHT)):
        tcce_photo(base / "me" / face, stem)
    (base / "me" / "sleepy").mkdir()  # built in (the eyes'), never a taught face
    others = [tcce_photo(base / "others", s) for s in (*DISGUST_OTHERS, *OTHERS)]
    path = base / "me.json"
    done = face2emoji("calibrate", str(base / "me"), "--profile", str(path))
    assert done.returncode == 0, done.stderr
    return path, done, others


def predictions(*args: str) -> dict[str, tuple[str, str]]:
    done = face2emoji("predict", "--json", *args)
    assert done.returncode == 0, done.stderr
    return {Path(r["path"]).stem: (r["label"], r["emoji"])
            for r in map(json.loads, done.stdout.splitlines())}


def test_a_folder_that_is_no_class_teaches_a_face_that_types_its_name(taught):
    path, done, others = taught
    assert f"{FAMILY}: 1 photo, taught: types {FAMILY}" in done.stdout.splitlines()
    assert "skipping a folder: 'sleepy' is built in" in done.stderr
    got = predictions("--profile", str(path), *map(str, others))
    assert {got[s] for s in DISGUST_OTHERS} == {(FAMILY, FAMILY)}  # their other disgust photos
    assert {s: got[s][0] for s in OTHERS} == OTHERS  # their other faces stay what they are
    untaught = predictions("--no-profile", *map(str, others))
    assert not {label for label, _ in untaught.values()} - set(TAUGHT_FROM)


def test_the_settings_choose_what_a_taught_face_types(taught, user_dirs):
    path, _, others = taught
    settings = user_dirs / "config" / "face2emoji" / "config.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text(f'[emoji]\n"{FAMILY}" = "👍🏽"\nhappy = "🥳"\n', encoding="utf-8")
    got = predictions("--profile", str(path), *map(str, others))
    assert got[DISGUST_OTHERS[0]] == (FAMILY, "👍🏽") and got["2521b02"] == ("happy", "🥳")


def test_the_profile_keeps_a_taught_face_as_features_its_name_and_emoji(taught):
    data = json.loads(taught[0].read_text())
    assert data["format"] == 2 and set(data["taught"]) == {FAMILY}
    assert set(data["taught"][FAMILY]) == {"emoji", "photos", "prototype"}
    assert data["taught"][FAMILY]["emoji"] == FAMILY and data["taught"][FAMILY]["photos"] == 1


def test_a_profile_of_the_first_format_still_loads(my_profile, faces_dir, tmp_path):
    data = json.loads(my_profile[0].read_text())
    data["format"] = 1
    del data["taught"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    assert labels("--profile", str(old), str(faces_dir / "sad" / "me.png")) == {"sad": "sad"}


def test_a_taught_face_needs_two_of_my_own_faces_to_be_told_from(tmp_path):
    for face, stem in (("neutral", TAUGHT_FROM["neutral"]), ("🤢", DISGUST_TAUGHT)):
        tcce_photo(tmp_path / "me" / face, stem)
    done = face2emoji("calibrate", str(tmp_path / "me"), "--profile", str(tmp_path / "p.json"))
    assert done.returncode == 1
    assert "face2emoji: " in done.stderr and "a taught face is told from your own faces" in \
        done.stderr.splitlines()[-1]
    assert not (tmp_path / "p.json").exists()


def damage_taught(data: dict, damage: str) -> None:
    entry = data["taught"][FAMILY]
    proto = np.frombuffer(base64.b64decode(entry["prototype"]), np.float16)
    if damage == "empty name":
        data["taught"][""] = data["taught"].pop(FAMILY)
    elif damage == "a name too long":
        data["taught"]["😛" * 33] = data["taught"].pop(FAMILY)
    elif damage == "a control character":
        data["taught"]["yuck\n"] = data["taught"].pop(FAMILY)
    elif damage == "a built-in name":
        data["taught"]["happy"] = data["taught"].pop(FAMILY)
    elif damage == "types a line break":
        entry["emoji"] = "🤢\r\n"
    elif damage == "features of the wrong size":
        entry["prototype"] = base64.b64encode(proto[:-8].tobytes()).decode()
    elif damage == "not a number":
        entry["prototype"] = base64.b64encode(np.where(proto == proto.max(), np.float16("nan"),
                                                       proto).tobytes()).decode()
    elif damage == "no photos":
        entry["photos"] = 0
    else:  # too many entries
        data["taught"].update({f"face {i}": dict(entry) for i in range(profile.MAX_TAUGHT)})


@pytest.mark.parametrize("damage", ["empty name", "a name too long", "a control character",
                                    "a built-in name", "types a line break",
                                    "features of the wrong size", "not a number", "no photos",
                                    "too many"])
def test_a_foreign_or_damaged_taught_face_is_refused_in_one_line(taught, tmp_path, damage):
    data = json.loads(taught[0].read_text())
    damage_taught(data, damage)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    done = face2emoji("predict", "--profile", str(bad), str(taught[2][0]))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "not a readable Face2Emoji profile" in done.stderr


def test_a_profile_with_taught_faces_for_another_model_is_refused(taught, tmp_path):
    data = json.loads(taught[0].read_text())
    data["model_sha256"] = "0" * 64
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    done = face2emoji("predict", "--profile", str(other), str(taught[2][0]))
    assert done.returncode == 1 and "made for another expression model" in done.stderr


NESTED = "[" * 100_000  # json gives up with a RecursionError


def test_a_deeply_nested_profile_is_refused_in_one_line_and_calibrate_replaces_it_keeping_it(
        faces_dir):
    """My own profile, broken: teaching my faces again keeps its bytes beside it. (A file I
    name with --profile is replaced only when it is a profile: test_profile_paths.py.)"""
    sad = str(faces_dir / "sad" / "me.png")
    bad = profile.default_path()
    bad.parent.mkdir(parents=True)
    bad.write_text(NESTED)
    done = face2emoji("predict", "--profile", str(bad), sad)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "not a readable Face2Emoji profile" in done.stderr
    done = face2emoji("calibrate", str(faces_dir), "--profile", str(bad))
    assert done.returncode == 1 and "not replaced" in done.stderr and bad.read_text() == NESTED
    done = face2emoji("calibrate", str(faces_dir))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    kept = list(bad.parent.glob("profile.json.broken-*"))
    assert len(kept) == 1 and kept[0].read_text() == NESTED  # the damaged bytes, kept aside
    assert done.stdout.splitlines()[-1] == (f"wrote {bad} (the unreadable file there is kept "
                                            f"as {kept[0].name})")
    assert labels("--profile", str(bad), sad) == {"sad": "sad"}


def test_a_profile_larger_than_any_profile_is_refused_before_it_is_read(my_profile, tmp_path,
                                                                        faces_dir):
    big = tmp_path / "big.json"
    big.write_text(" " * (2 << 20) + my_profile[0].read_text())  # valid JSON, 2 MB of it
    done = face2emoji("predict", "--profile", str(big), str(faces_dir / "sad" / "me.png"))
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "not a readable Face2Emoji profile" in done.stderr and "bytes" in done.stderr


@pytest.mark.parametrize("target", ["/dev/zero", "a profile elsewhere"])
def test_my_profile_is_never_read_through_a_link(my_profile, faces_dir, user_dirs, tmp_path,
                                                 target):
    """A link in my data folder (another program may have put it there) is not followed:
    not into a device that never ends, nor to a file outside the folder."""
    if target != "/dev/zero":
        target = tmp_path / "elsewhere.json"
        target.write_bytes(my_profile[0].read_bytes())
    mine = user_dirs / "data" / "face2emoji" / "profile.json"
    mine.parent.mkdir(parents=True)
    mine.symlink_to(target)
    sad = str(faces_dir / "sad" / "me.png")
    done = face2emoji("predict", "--json", sad)  # my own profile, by default
    ours = [line for line in done.stderr.splitlines() if line.startswith("face2emoji:")]
    assert done.returncode == 0 and len(ours) == 1, done.stderr  # (mediapipe logs too)
    assert "a symbolic link" in ours[0] and ours[0].endswith("(not used)")
    assert json.loads(done.stdout)["label"] == "neutral"
    done = face2emoji("predict", "--profile", str(mine), sad)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "not a readable Face2Emoji profile (a symbolic link" in done.stderr


def test_the_page_names_a_deeply_nested_profile_and_does_not_use_it(tmp_path):
    mine = tmp_path / "data" / "face2emoji" / "profile.json"
    mine.parent.mkdir(parents=True)
    mine.write_text(NESTED)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    with preview_server(tmp_path, env=env) as preview:
        conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=30)
        conn.request("POST", "/api/session", headers=preview.headers())  # as the page asks
        answer = conn.getresponse()
        status, body = answer.status, answer.read()
        conn.close()
    assert status == 200, body
    note = json.loads(body)["profile"]
    assert note["used"] is False
    assert note["note"].startswith(f"{mine}: not a readable Face2Emoji profile (maximum "
                                   "recursion depth exceeded") and "\n" not in note["note"]


def test_the_running_app_names_a_damaged_profile_on_its_first_line_and_keeps_reading_me(
        smile_video):
    from face2emoji_tray.camera import CaptureSource
    from face2emoji_tray.classifier import Classifier
    from face2emoji_tray.config import Config
    from face2emoji_tray.engine import Engine
    from face2emoji_tray.recognizer import Recognizer

    mine = profile.default_path()
    mine.parent.mkdir(parents=True)
    mine.write_text(NESTED)
    model = Classifier()
    engine = Engine(CaptureSource(str(smile_video)), lambda: Recognizer(model, video=True),
                    Config(), profiles=profile.Watcher(model))
    engine.start()
    try:
        status = wait_for(lambda: (s := engine.status()).state.label == "happy" and s.profile
                          and s, 60, "happy, and a word on the profile")
        assert status.problem == "" and status.state.label == "happy"
        assert status.describe(confidence=False) == (
            f"happy · {mine}: not a readable Face2Emoji profile (maximum recursion depth "
            "exceeded while decoding a JSON array from a unicode string); teach your faces "
            "again to replace it")
    finally:
        engine.stop()
