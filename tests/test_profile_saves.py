"""Two saves of my faces at once (the page's Save and `calibrate`, or two tabs): each save
either lands whole or loses to the other, never raises, and a damaged file there is kept once."""
from __future__ import annotations

import json
import os
import stat
import threading

import numpy as np

from face2emoji_tray import profile

ROUNDS = 200


def person(seed: int) -> profile.Profile:
    """A profile of two faces whose prototypes tell which save it came from."""
    rng = np.random.default_rng(seed)
    return profile.Profile.build("0" * 64, {c: [rng.normal(size=64)] for c in ("happy", "sad")})


def on_disk(path) -> str:
    return json.loads(path.read_text())["classes"]["happy"]["prototype"]


def save_at_once(profiles: list[profile.Profile], path) -> list[BaseException]:
    """Each profile saved to `path` by its own thread, all let go together; what they raised."""
    start, raised = threading.Barrier(len(profiles)), []

    def save(mine: profile.Profile) -> None:
        start.wait()
        try:
            profile.save(mine, path)
        except BaseException as exc:  # noqa: BLE001 — any of them is the failure
            raised.append(exc)
    threads = [threading.Thread(target=save, args=(p,)) for p in profiles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return raised


def test_two_saves_at_once_never_fail_and_the_file_holds_one_of_them_whole(tmp_path):
    mine, theirs = person(1), person(2)
    made = {profile._b64(p.prototypes["happy"]) for p in (mine, theirs)}
    path = tmp_path / "profile.json"
    failed = []
    for round_ in range(ROUNDS):
        path.unlink(missing_ok=True)
        if round_ % 2:  # a damaged file was there: set aside by exactly one of the saves
            path.write_text("{damaged")
        failed += save_at_once([mine, theirs], path)
        assert on_disk(path) in made
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert failed == []
    assert sorted(os.listdir(tmp_path)) == ["profile.json"] + sorted(
        p.name for p in tmp_path.glob("profile.json.broken-*"))  # no temporary file left
    assert len(list(tmp_path.glob("profile.json.broken-*"))) == ROUNDS // 2
