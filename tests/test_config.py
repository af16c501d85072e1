"""Settings: a broken file gives a clear message and defaults, and is never rewritten."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from face2emoji_tray.config import Config, default_text, load, parse


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
                             'hotkey = "ctrl alt e"\ncolour = "blue"\n[emoji]\nbored = "🥱"\n')
    assert config == Config()
    text = "\n".join(problems)
    for word in ("'fps' should be float", "'threshold' must be between 0 and 1",
                 "'typer' = 'telepathy'", "'hotkey' = 'ctrl alt e'", "unknown setting 'colour'",
                 "'bored' is not a class"):
        assert word in text
    assert all("\n" not in p for p in problems)


def test_an_unreadable_file_gives_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe\x00bad")
    config, problems = load(path)
    assert config == Config() and "cannot read" in problems[0]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_to_a_config_and_one_line_problems(text):
    config, problems = parse(text)
    assert isinstance(config, Config)
    assert all(isinstance(p, str) and "\n" not in p for p in problems)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["hotkey", "fps", "window", "threshold", "camera",
                                        "typer", "fallback", "web_port", "emoji"]),
                       st.one_of(st.integers(-5, 5), st.floats(-2, 2, allow_nan=False),
                                 st.text(max_size=8), st.booleans())))
def test_wrong_types_never_crash(values):
    import json

    text = "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items())
    config, problems = parse(text.replace("true", "true").replace("false", "false"))
    assert isinstance(config, Config)
