"""What gets typed: one rule for every text the app types or names a face with, wherever it
comes from (the settings, a profile on disk, the page, a folder's name), checked again by the
typer; names compared as NFC; a label never picks a file; and a face the profile in use no
longer has is never typed."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
from PIL import Image

from face2emoji_tray import profile
from face2emoji_tray.camera import Source
from face2emoji_tray.classifier import Classifier
from face2emoji_tray.cli import faces_in
from face2emoji_tray.config import Config, parse
from face2emoji_tray.emoji import FACE_CLASSES, name_problem
from face2emoji_tray.engine import Engine, Status
from face2emoji_tray.printable import printable, printable_json
from face2emoji_tray.recognizer import Reading, calibrated
from face2emoji_tray.smoother import EXPRESSION, NO_FACE, UNSURE, State
from face2emoji_tray.tray import ASSETS, image_name
from face2emoji_tray.web.calibration import unusable
from tests.waiting import wait_for

CANCEL_TAG = "\U000E007F"


def tags(ascii_text: str) -> str:
    """`ascii_text` in tag characters (U+E0000 + its code): invisible, and read by programs."""
    return "".join(chr(0xE0000 + ord(ch)) for ch in ascii_text)


# Texts that are keys, line breaks or invisible reordering, as a shared dotfile, a copied
# snippet or another program's profile could hold them.
HOSTILE = {
    "a command and Return": "touch ~/pwned\n",
    "Escape, then vi's quit": "\x1b:q!\r",
    "BackSpace": "\x08\x08\x08ok",
    "Tab": "a\tb",
    "Delete": "\x7f",
    "a line separator": "😀\u2028",
    "a right-to-left override": "\u202eevil",
    "a bidi isolate": "\u2066😀\u2069",
    "a zero-width space": "😀\u200b",
    "a byte order mark": "\ufeff😀",
    "tag characters outside a flag": "😀\U000E0067\U000E0062\U000E007F",
    "100,000 characters": "😀" * 100_000,
    "tag-encoded ASCII inside a fake flag": "🏴" + tags("IGNORE PREVIOUS") + CANCEL_TAG,
    "a flag's tags, too many of them": "🏴" + tags("gbsctxx") + CANCEL_TAG,
    "a combining grapheme joiner": "ok\u034f",
    "a lone variation selector": "\ufe0f",
    "a variation selector after letters": "ok\ufe0f",
    "a variation selector from the supplement": "😀\U000E0100",
    "a lone joiner": "\u200d",
    "a trailing joiner": "😀\u200d",
    "a joiner between letters": "o\u200dk",
    "a Hangul filler": "\u3164",
    "a halfwidth Hangul filler": "\uffa0",
    "a Hangul choseong filler": "\u115f\u1160",
    "a Khmer inherent vowel": "\u17b4",
    "a braille blank": "\u2800",
    "a soft hyphen": "ok\u00ad",
    "a private-use character": "\ue000",
    "an unassigned code point": "\u0378",
    "a noncharacter": "\uffff",
    "another noncharacter": "ok\ufdd0",
    "spaces alone": "   ",
}
# What an emoji or a short word needs: all typed as they are.
FINE = {
    "a ZWJ family": "👨‍👩‍👧",
    "a variation selector": "❤️",
    "a skin tone": "👍🏽",
    "the flag of Scotland (a tag sequence)": "🏴\U000E0067\U000E0062\U000E0073\U000E0063"
                                              "\U000E0074\U000E007F",
    "a kiss with two skin tones": "👩🏻‍❤️‍💋‍👩🏼",
    "the flags of England and Wales": "🏴" + tags("gbeng") + CANCEL_TAG + "🏴" + tags("gbwls")
                                      + CANCEL_TAG,
    "a keycap": "1\ufe0f\u20e3",
    "a shaking face, newer than Python 3.11's Unicode 14": "\U0001FAE8",
    "a kaomoji": "¯\\_(ツ)_/¯",
    "a word": "lol",
}


def toml_string(text: str) -> str:
    """`text` as a TOML basic string, every character outside printable ASCII escaped."""
    return '"' + "".join(ch if " " <= ch < "\x7f" and ch not in '"\\' else
                         f"\\U{ord(ch):08X}" for ch in text) + '"'


def test_a_settings_file_whose_happy_emoji_runs_a_command_types_the_default_and_names_the_line():
    config, problems = parse('[emoji]\nhappy = "touch ~/pwned\\n"\n')
    assert config.emoji["happy"] == "😀"
    assert problems == ["[emoji] 'happy' cannot be typed: a text with U+000A (a control "
                        "character); using the default"]


def test_a_fallback_that_would_press_keys_is_named_and_nothing_is_typed_instead():
    config, problems = parse('fallback = "\\u001b:q!\\r"\n')
    assert config.fallback == ""
    assert problems == ["'fallback' cannot be typed: a text with U+001B (a control character); "
                        "using the default"]


@pytest.mark.parametrize("what", HOSTILE)
def test_settings_that_are_not_text_to_type_are_named_and_the_defaults_typed(what):
    text = toml_string(HOSTILE[what])
    config, problems = parse(f"fallback = {text}\n[emoji]\nsad = {text}\n")
    assert (config.fallback, config.emoji["sad"]) == ("", "😢")
    assert len(problems) == 2 and all("cannot be typed" in p for p in problems)
    assert all(len(p) < 200 and p.isprintable() for p in problems)  # one short, plain line


@pytest.mark.parametrize("what", FINE)
def test_emoji_sequences_and_short_words_are_typed_as_written(what):
    config, problems = parse(f"fallback = {toml_string(FINE[what])}\n"
                             f"[emoji]\nhappy = {toml_string(FINE[what])}\n")
    assert problems == [] and config.fallback == config.emoji["happy"] == FINE[what]


def two_faces(seed: int = 0) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return {c: [rng.normal(size=64)] for c in ("happy", "neutral")}


def saved_with_taught(taught: dict[str, str]) -> dict:
    """A profile file as another program may write it: taught faces name → emoji."""
    rng = np.random.default_rng(1)
    made = profile.Profile.build("0" * 64, {**two_faces(), "yuck": [rng.normal(size=64)]})
    data = made.to_json()
    entry = data["taught"].pop("yuck")
    data["taught"] = {name: {**entry, "emoji": emoji} for name, emoji in taught.items()}
    return data


@pytest.mark.parametrize("what", [w for w in HOSTILE if len(HOSTILE[w]) < 50])
def test_a_profile_on_disk_whose_taught_face_hides_keys_or_invisible_text_is_refused(what):
    for taught in ({f"yuck{HOSTILE[what]}": "🤢"}, {"yuck": HOSTILE[what]}):
        with pytest.raises(ValueError, match="taught face"):
            profile.Profile.from_json(saved_with_taught(taught))


def test_yuck_and_yuck_with_a_zero_width_space_are_not_two_faces():
    with pytest.raises(ValueError, match=r"U\+200B"):
        profile.Profile.from_json(saved_with_taught({"yuck": "🤢", "yuck\u200b": "🤮"}))
    rng = np.random.default_rng(2)
    with pytest.raises(ValueError, match=r"U\+200B"):
        profile.Profile.build("0" * 64, {**two_faces(), "yuck\u200b": [rng.normal(size=64)]})


@pytest.mark.parametrize("mark", ["\ufe0f", "\u034f", "\u200d", "\U000E0100"])
def test_yuck_with_an_invisible_mark_is_not_a_second_yuck(mark):
    with pytest.raises(ValueError, match=f"U\\+{ord(mark):04X}"):
        profile.Profile.from_json(saved_with_taught({"yuck": "🤢", f"yuck{mark}": "🤮"}))


def test_a_blank_name_or_an_invisible_emoji_is_no_taught_face():
    for taught in ({"\u3164": "🤢"}, {"yuck": "\u200d"}, {"yuck": "\ufe0f"}):
        with pytest.raises(ValueError, match="taught face"):
            profile.Profile.from_json(saved_with_taught(taught))
    config, problems = parse('[emoji]\nneutral = "\\u200d"\n')
    assert config.emoji["neutral"] == "😐"
    assert "[emoji] 'neutral' cannot be typed: a text with U+200D (a joiner that joins no two " \
           "emoji); using the default" in problems


def test_tag_characters_outside_a_flag_are_printed_escaped_and_a_flag_as_it_is():
    scotland = "🏴" + tags("gbsct") + CANCEL_TAG
    assert printable("a\U000E0041") == "a\\U000e0041"
    assert printable(f"{scotland} ok") == f"{scotland} ok"
    smuggled = "🏴" + tags("IGNORE") + CANCEL_TAG
    assert printable(smuggled) == "🏴" + "".join(f"\\U{ord(t):08x}" for t in smuggled[1:])
    assert json.loads(printable_json([smuggled, scotland])) == [smuggled, scotland]
    assert "\U000E0049" not in printable_json(smuggled)


CAFE_NFC, CAFE_NFD = "caf\u00e9", "cafe\u0301"  # the same name as people see it


def test_a_name_written_two_ways_is_one_face_and_the_settings_find_it():
    """macOS names a folder café with e and a combining accent; the settings file has é."""
    with pytest.raises(ValueError, match="two taught faces named 'café'"):
        profile.Profile.from_json(saved_with_taught({CAFE_NFC: "☕", CAFE_NFD: "🍵"}))
    rng = np.random.default_rng(3)
    mine = profile.Profile.build("0" * 64, {**two_faces(), CAFE_NFD: [rng.normal(size=64)]})
    assert list(mine.taught) == [CAFE_NFC]
    loaded = profile.Profile.from_json(json.loads(json.dumps(mine.to_json())))
    settings = parse(f'[emoji]\n"{CAFE_NFD}" = "☕"\n')[0].emoji
    assert profile.typed(CAFE_NFC, settings, loaded) == "☕"


def test_the_page_refuses_a_face_whose_name_or_emoji_hides_keys_or_invisible_text():
    assert unusable("yuck\u200b", "🤢", {}).startswith("the name: a name with U+200B")
    assert unusable("\u202ekcuy", "🤢", {}).startswith("the name: a name with U+202E")
    assert unusable("yuck", "🤢\u2066", {}).startswith("the emoji: a text with U+2066")
    assert unusable("yuck", "touch ~/pwned\n", {}).startswith("the emoji: a text with U+000A")
    assert unusable("yuck", "¯\\_(ツ)_/¯", {}) == ""


def test_calibrate_skips_folders_whose_names_hide_keys_or_invisible_text_or_are_states(
        tmp_path, capsys):
    for name in ("happy", "yuck\u200b", "\u202ekcuy", "paused", "no_face", CAFE_NFD, "🤢"):
        (tmp_path / name).mkdir()
        Image.new("RGB", (8, 8)).save(tmp_path / name / "me.png")
    taken = {face for _, face in faces_in(tmp_path, FACE_CLASSES)}
    assert taken == {"happy", CAFE_NFC, "🤢"}
    said = capsys.readouterr().err.splitlines()
    assert sorted(said) == sorted([
        "skipping a folder: a name with U+200B (an invisible format character)",
        "skipping a folder: a name with U+202E (an invisible format character)",
        "skipping a folder: 'paused' is the name of one of the app's states",
        "skipping a folder: 'no_face' is the name of one of the app's states"])


def test_every_icon_and_state_name_is_reserved_and_a_name_is_never_a_path():
    states = {p.stem for p in ASSETS.glob("*.png")} | {NO_FACE, UNSURE, EXPRESSION}
    assert {"paused", "no_face", "problem", "unsure"} <= states
    assert all(name_problem(name) for name in states)
    for name in ("/any/dir/evil", "..\\evil", "a/b"):
        assert name_problem(name) == "a name with / or \\ (a name is never a path)"
    with pytest.raises(ValueError, match="'problem' is the name of one of the app's states"):
        profile.Profile.build("0" * 64, {**two_faces(), "problem": [np.ones(64)]})


# Names people read as a class or a state: the case, the width, a dataset's word, the words
# the tray and the page show.
LOOKALIKES = {"Happy": "happy", "ｈａｐｐｙ": "happy", "fear": "scared", "Surprise": "surprised"}
STATE_LOOKALIKES = ("PAUSED", "No_Face", "no face", "Unsure", "paused (camera off)", "Problem")


def test_a_settings_key_that_is_a_class_in_capitals_is_named_and_happy_keeps_its_emoji():
    config, problems = parse('[emoji]\nHappy = "🙂"\n')
    assert config.emoji["happy"] == "😀" and "Happy" not in config.emoji
    assert problems == ["[emoji] 'Happy' names no class (angry, happy, neutral, sad, scared, "
                        "surprised, wink, sleepy) and cannot name a taught face: 'Happy' reads "
                        "as the built-in 'happy'; ignored"]


@pytest.mark.parametrize("name", [*LOOKALIKES, *STATE_LOOKALIKES])
def test_a_face_named_like_a_class_or_a_state_is_refused_on_the_page_in_a_profile_and_calibrate(
        name, tmp_path, capsys):
    assert unusable(name, "🙂", {}).startswith("the name: ")
    with pytest.raises(ValueError, match="taught face"):
        profile.Profile.from_json(saved_with_taught({name: "🙂"}))
    (tmp_path / name).mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / name / "me.png")
    taken = {face for _, face in faces_in(tmp_path, FACE_CLASSES)}
    dataset_word = name.isascii() and name in LOOKALIKES  # Happy/ in a dataset: happy photos
    assert taken == ({LOOKALIKES[name]} if dataset_word else set())


def test_a_lookalike_says_which_face_it_passes_for():
    assert name_problem("ｈａｐｐｙ") == "'ｈａｐｐｙ' reads as the built-in 'happy'"
    assert name_problem("fear") == "'fear' reads as the built-in 'scared'"
    assert name_problem("no face") == "'no face' is the name of one of the app's states"


def test_an_unknown_setting_with_escape_sequences_in_its_name_is_named_escaped():
    config, problems = parse('"\\u001b]2;x\\u0007\\n\\u202e" = 1\n')
    assert config == Config()
    assert problems == ["unknown setting '\\x1b]2;x\\x07\\n\\u202e' ignored"]


def test_a_face_of_no_profile_in_use_types_nothing():
    assert profile.typed("yuck", Config().emoji, None) == ""
    assert profile.typed("happy", Config().emoji, None) == "😀"


def test_a_label_never_picks_the_trays_icon_file(tmp_path):
    Image.new("RGBA", (8, 8), "red").save(tmp_path / "evil.png")
    label = str(tmp_path / "evil")  # as from a profile another program wrote
    assert image_name(Status(State(EXPRESSION, label, 0.9, faces=1)), []) == "unsure"
    assert image_name(Status(State(EXPRESSION, "happy", 0.9, faces=1)), []) == "happy"


# --- a face the profile no longer has is never typed ---

class Frames(Source):
    """A camera whose every frame is the same face."""

    name = "camera 0"

    def __init__(self, frame: np.ndarray) -> None:
        self.frame, self._open = frame, False

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        self._open = True

    def read(self) -> np.ndarray:
        time.sleep(0.01)
        return self.frame

    def release(self) -> None:
        self._open = False


class FeatureReader:
    """The face stage and the model stood in for (the face is not the point here): a frame is
    the model's reading of a smiling face, features and all, and the person's profile is
    applied to it the way the recognizer applies it (recognizer.calibrated)."""

    CLASSES = FACE_CLASSES

    def __init__(self) -> None:
        self.profile: profile.Profile | None = None

    def read(self, frame: np.ndarray) -> Reading:
        probs = {c: 0.9 if c == "happy" else 0.02 for c in self.CLASSES}
        return calibrated(Reading(1, probs, features=frame), self.CLASSES, self.profile)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("change", ["forgotten", "replaced by one without it"])
def test_after_my_profile_is_forgotten_or_replaced_its_taught_face_is_never_typed(
        model_path, tmp_path, change):
    """A taught face 'yuck' (🤢) is what the camera shows; the hotkey is pressed again and
    again while the profile goes: 🤢 until the app sees that, then 😀 — never 'yuck'."""
    model = Classifier(model_path)
    rng = np.random.default_rng(4)
    face = rng.normal(size=model.feature_size).astype(np.float32)
    # My smile is like this face (cosine 0.7), my neutral face is not; 'yuck' is this face.
    built = {"happy": [face + rng.normal(size=face.size)], "neutral": [rng.normal(size=face.size)]}
    path = tmp_path / "profile.json"
    profile.save(profile.Profile.build(model.sha256, {**built, "yuck": [face]},
                                       emoji={"yuck": "🤢"}), path)
    engine = Engine(Frames(face), FeatureReader, Config(fps=30),
                    profiles=profile.Watcher(model, path, every=0.1))
    engine.start()
    typed: list[str] = []
    try:
        wait_for(lambda: engine.emoji_now()[0] == "🤢", 10, "🤢 while my profile is in use")
        if change == "forgotten":
            profile.forget(path)
        else:
            profile.save(profile.Profile.build(model.sha256, built), path)
        deadline = time.monotonic() + 2.5  # the watcher's look, then a whole window
        while time.monotonic() < deadline:
            typed.append(engine.emoji_now()[0])
    finally:
        engine.stop()
    assert "yuck" not in typed
    assert set(typed) <= {"🤢", "😀", ""} and typed[-1] == "😀"
