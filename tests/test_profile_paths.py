"""What `calibrate` and "Forget my faces" may replace or delete: a profile, never a folder, and
never a file I named that is not a profile (`--profile ~/.bashrc` is a typo, not a wish). Only
my own profile's broken file is set aside when I teach my faces again, or forgotten."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from face2emoji_tray import profile
from face2emoji_tray.app import App
from face2emoji_tray.cli import main
from tests.test_cli import face2emoji

BASHRC = "alias ll='ls -l'\n"


def a_profile() -> profile.Profile:
    rng = np.random.default_rng(0)
    return profile.Profile.build("0" * 64, {c: [rng.normal(size=64)] for c in ("happy", "sad")})


@pytest.fixture
def photos(tmp_path):
    """A folder of photos to teach from; these tests end before any is read."""
    (tmp_path / "me" / "happy").mkdir(parents=True)
    return tmp_path / "me"


def one_line_refusal(capsys, code: int, path) -> str:
    said = capsys.readouterr()
    return refused(code, said.err, path)


def refused(code: int, err: str, path) -> str:
    assert code == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith(f"face2emoji: {path}: "), err
    return err


def calibrate(photos, target) -> str:
    """`face2emoji calibrate PHOTOS --profile TARGET`, refused: its one line. (In a process of
    its own: a calibrate that went on would leave MediaPipe's tasks to this one's exit.)"""
    done = face2emoji("calibrate", str(photos), "--profile", str(target), timeout=120)
    return refused(done.returncode, done.stderr, target)


def test_calibrate_never_moves_a_folder_i_named_as_the_profile(photos, tmp_path):
    target = tmp_path / "target"
    (target / "keepme").mkdir(parents=True)
    said = calibrate(photos, target)
    assert "not replaced" in said
    assert (target / "keepme").is_dir() and list(tmp_path.glob("target.broken-*")) == []


def test_calibrate_does_not_replace_a_file_i_named_that_is_not_a_profile(photos, tmp_path):
    bashrc = tmp_path / ".bashrc"
    bashrc.write_text(BASHRC)
    said = calibrate(photos, bashrc)
    assert "not a Face2Emoji profile" in said and "not replaced" in said
    assert bashrc.read_text() == BASHRC and list(tmp_path.glob(".bashrc.broken-*")) == []
    with pytest.raises(profile.ProfileError, match="not replaced"):  # and while saving
        profile.save(a_profile(), bashrc, named=True)
    assert bashrc.read_text() == BASHRC


def test_forget_deletes_a_profile_i_named_and_nothing_else(tmp_path, capsys):
    bashrc = tmp_path / ".bashrc"
    bashrc.write_text(BASHRC)
    said = one_line_refusal(capsys, main(["calibrate", "--forget", "--profile", str(bashrc)]),
                            bashrc)
    assert "not a Face2Emoji profile" in said and "not deleted" in said
    assert bashrc.read_text() == BASHRC
    folder = tmp_path / "faces"
    (folder / "keepme").mkdir(parents=True)
    one_line_refusal(capsys, main(["calibrate", "--forget", "--profile", str(folder)]), folder)
    assert (folder / "keepme").is_dir()
    mine = profile.save(a_profile(), tmp_path / "mine.json")
    assert main(["calibrate", "--forget", "--profile", str(mine)]) == 0
    assert capsys.readouterr().out == f"forgot {mine}\n" and not mine.exists()


def test_my_own_broken_profile_can_still_be_forgotten(capsys):
    mine = profile.default_path()
    mine.parent.mkdir(parents=True)
    mine.write_text("[" * 100_000)
    assert main(["calibrate", "--forget"]) == 0
    assert capsys.readouterr().out == f"forgot {mine}\n" and not mine.exists()


def test_a_folder_where_my_profile_goes_is_neither_moved_nor_deleted(caplog):
    mine = profile.default_path()
    (mine / "keepme").mkdir(parents=True)
    assert profile.set_aside(mine) is None
    with pytest.raises(IsADirectoryError):
        profile.save(a_profile(), mine)
    with caplog.at_level(logging.INFO, "face2emoji"):
        App.forget_faces(None)  # the tray's "Forget my faces" (it uses nothing of the app)
    assert [r.getMessage() for r in caplog.records] == [
        f"{mine}: a folder, not a profile; not deleted"]
    assert (mine / "keepme").is_dir() and list(mine.parent.glob("*.broken-*")) == []


def test_a_profile_i_named_is_replaced_by_teaching_again(tmp_path):
    mine = profile.save(a_profile(), tmp_path / "mine.json")
    assert profile.not_a_profile(mine) == ""
    again = a_profile()
    again.photos["happy"] = 3
    profile.save(again, mine, named=True)
    assert json.loads(mine.read_text())["classes"]["happy"]["photos"] == 3
