"""Settings: a broken file gives a clear message and defaults, and is never rewritten."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path
from resource import RLIMIT_AS, setrlimit

import pytest
from hypothesis import given, settings, strategies as st

from face2emoji_tray import app, config as config_mod
from face2emoji_tray.config import Config, default_text, load, parse, tomllib
from face2emoji_tray.emoji import CLASSES, DEFAULT_EMOJI, name_problem, nfc, text_problem
from tests.conftest import TEST_DIRS_PREFIX


def test_the_tests_never_use_the_users_own_folders(user_dirs):
    # Fixed at import: under the session's folders, made before collection imported them.
    for path in (config_mod.CONFIG_FILE, app.LOG_FILE):
        assert any(part.startswith(TEST_DIRS_PREFIX) for part in path.parts), path
    # Read at call time, also by the processes a test starts: this test's own folders.
    code = ("import platformdirs as p; print(p.user_config_dir(), p.user_data_dir(), "
            "p.user_state_dir(), p.user_cache_dir(), p.user_runtime_dir())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(user_dirs / d) for d in ("config", "data", "state",
                                                                 "cache", "run")]


def test_the_default_file_is_created_once_and_reads_back_as_the_defaults(tmp_path):
    path = tmp_path / "face2emoji" / "config.toml"
    config, problems = load(path, create=True)
    assert path.is_file() and config == Config() and problems == []
    assert parse(default_text()) == (Config(), [])


def test_user_choices_are_used(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('hotkey = "<ctrl>+<shift>+h"\nfps = 5\n[emoji]\nhappy = "🥳"\n')
    config, problems = load(path)
    assert problems == []
    assert (config.hotkey, config.fps, config.emoji["happy"]) == ("<ctrl>+<shift>+h", 5.0, "🥳")
    assert config.emoji["sad"] == "😢"  # the rest keep their defaults


def test_invalid_toml_gives_one_line_and_all_defaults_and_the_file_is_untouched(tmp_path):
    path = tmp_path / "config.toml"
    text = 'hotkey = "<ctrl>+<alt>+e\nfps = = 3\n'
    path.write_text(text)
    config, problems = load(path, create=True)
    assert config == Config()
    assert len(problems) == 1 and "not valid TOML" in problems[0] and str(path) in problems[0]
    assert path.read_text() == text


def test_each_bad_value_is_reported_and_replaced_by_its_default():
    config, problems = parse('fps = "fast"\nthreshold = 3\ntyper = "telepathy"\n'
                             'hotkey = "ctrl alt e"\ncolour = "blue"\n[emoji]\n"" = "🥱"\n')
    assert config == Config()
    text = "\n".join(problems)
    for word in ("'fps' should be float", "'threshold' must be between 0 and 1",
                 "'typer' = 'telepathy'", "'hotkey' = 'ctrl alt e'", "unknown setting 'colour'",
                 "'' names no class"):
        assert word in text
    assert all("\n" not in p for p in problems)


def test_a_settings_folder_that_cannot_be_made_gives_defaults_and_one_line():
    """XDG_CONFIG_HOME=/proc/1/nope: the tray starts anyway, and says why in one line."""
    path = Path("/proc/1/nope/face2emoji/config.toml")
    config, problems = load(path, create=True)
    assert config == Config()
    assert problems == [f"{path}: cannot be created (/proc/1/nope: No such file or directory); "
                        "using all defaults"]


def test_an_unreadable_file_gives_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe\x00bad")
    config, problems = load(path)
    assert config == Config() and "cannot read" in problems[0]


def check_emoji(table, have: dict[str, str], problems: list[str]) -> None:
    """Each class keeps its default unless the [emoji] table gives it a text that can be typed;
    a taught face's name (NFC) is kept with such a text."""
    if not isinstance(table, dict):
        assert have == DEFAULT_EMOJI and "'emoji' should be a table" in "\n".join(problems)
        return
    expected = dict(DEFAULT_EMOJI)
    for key, text in table.items():
        name = nfc(key)
        if (name in CLASSES or not name_problem(name)) and not text_problem(text):
            expected[name] = text
    assert have == expected


def check_used_or_reported(data: dict, config: Config, problems: list[str]) -> None:
    """Each setting the file holds is in the config as written (an int where a float is
    expected is widened), or a problem names it and the default is used; unknown settings
    are each reported; settings the file lacks keep their defaults."""
    defaults = Config()
    for f in fields(Config):
        have, default = getattr(config, f.name), getattr(defaults, f.name)
        if f.name not in data:
            assert have == default, f.name
        elif f.name == "emoji":
            check_emoji(data["emoji"], have, problems)
        elif any(f"'{f.name}'" in p for p in problems if not p.startswith("[emoji]")):
            assert have == default, f.name
        else:
            assert have == data[f.name] and type(have) is type(default), f.name
    unknown = set(data) - {f.name for f in fields(Config)}
    assert sum(p.startswith("unknown setting") for p in problems) == len(unknown)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_the_values_it_holds_or_defaults_with_one_line_problems(text):
    config, problems = parse(text)
    assert all(isinstance(p, str) and "\n" not in p for p in problems)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert config == Config() and len(problems) == 1 and "not valid TOML" in problems[0]
        return
    check_used_or_reported(data, config, problems)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["hotkey", "fps", "window", "threshold", "camera",
                                        "typer", "fallback", "web_port", "emoji"]),
                       st.one_of(st.integers(-5, 5), st.floats(-2, 2, allow_nan=False),
                                 st.text(st.characters(blacklist_categories=("Cc", "Cs")),
                                         max_size=8),
                                 st.booleans())))
def test_a_value_of_the_wrong_type_is_reported_and_replaced_by_its_default(values):
    text = "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items())
    config, problems = parse(text)
    check_used_or_reported(values, config, problems)
    defaults = Config()
    for name, value in values.items():
        default = getattr(defaults, name)
        if type(value) is not type(default) and not (type(default) is float and type(value) is int):
            assert getattr(config, name) == default and f"'{name}'" in "\n".join(problems)


def test_how_long_the_eyes_must_stay_shut_for_the_sleeping_face_is_a_setting():
    config, problems = parse('sleep_hold = 2\n[emoji]\nsleepy = "💤"\n')
    assert problems == [] and config.sleep_hold == 2.0 and config.emoji["sleepy"] == "💤"
    assert Config().emoji["sleepy"] == "😴" and "sleep_hold = 1.5" in default_text()
    config, problems = parse("sleep_hold = 0\n")
    assert config.sleep_hold == 1.5 and problems == ["'sleep_hold' must be above 0; using the default"]


def test_a_web_port_beyond_65535_is_named_in_one_line_and_the_default_used():
    for port in (70000, 0, -1):
        config, problems = parse(f"web_port = {port}\n")
        assert config.web_port == Config().web_port
        assert problems == [f"'web_port' = {port} is not a port (1-65535); using the default"]
    assert parse("web_port = 65535\n") == (replace(Config(), web_port=65535), [])


def test_doctor_answers_at_once_when_the_settings_file_is_a_fifo_or_dev_zero(user_dirs):
    """The settings are read like a photo: a FIFO's open blocked the app for good, /dev/zero
    was read until memory ran out. Now both give the defaults."""
    settings = user_dirs / "config" / "face2emoji"
    settings.mkdir()
    for make in (os.mkfifo, lambda path: path.symlink_to("/dev/zero")):
        (settings / "config.toml").unlink(missing_ok=True)
        make(settings / "config.toml")
        done = subprocess.run([sys.executable, "-m", "face2emoji_tray", "doctor"], text=True,
                              capture_output=True, timeout=60,  # a blocked open fails here
                              preexec_fn=lambda: setrlimit(RLIMIT_AS, (4 << 30, 4 << 30)))
        assert "Traceback" not in done.stderr, done.stderr
        hotkey = next(line for line in done.stdout.splitlines() if " hotkey " in line)
        assert hotkey.split()[1:3] == ["hotkey", Config().hotkey], done.stdout


@pytest.mark.parametrize("hostile", [
    "<ctrl>+<alt>+$+(+{+t+o+u+c+h+,+/+t+m+p+/+p+w+n+e+d+}+)",  # a command in doctor's shell line
    "<ctrl>+<alt>+'+;+{+t+}+;+'",
    "<ctrl>+\x1b+]+2+;+p+w+n+\x07",  # retitles the terminal that prints it
    "<ctrl>+<alt>+\\"])
def test_a_hotkey_that_could_run_a_command_or_drive_the_terminal_is_named_and_not_used(hostile):
    """doctor prints the hotkey inside a gsettings line for GNOME Wayland users to run, and
    on the terminal: a shared settings file's hotkey must not be able to do anything there."""
    from face2emoji_tray import desktop

    config, problems = parse(f"hotkey = {json.dumps(hostile)}\n")  # JSON's escapes are TOML's
    assert config.hotkey == Config().hotkey and len(problems) == 1 and "'hotkey'" in problems[0]
    assert "\"binding '<Ctrl><Alt>e'\"" in desktop.gnome_command(config.hotkey)
