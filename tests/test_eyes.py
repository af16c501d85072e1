"""Winks and shut eyes on real photos (winks/dev.zip and Yale, through the face stage), the
wink and sleep rules on numbers, and the shipped eye model on CEW patches it never saw in
training."""
from __future__ import annotations

import pytest

from face2emoji_tray.eyes import EyeReader, Eyes, PersonalWink, laughing
from face2emoji_tray.face import FaceFinder
from face2emoji_tray.preprocess import InputSpec
from training import sleepy, winks
from training.data import CEW, POSED, cew_face, cew_label, photo_names, photos, read_zip, split
from training.train_eyes import HELD_OUT, SEED


@pytest.fixture(scope="module")
def read_as_wink():
    """Set name → how many of its photos the app reads as a wink, and how many there are."""
    reader, counts = EyeReader(), {}
    with FaceFinder(InputSpec()) as finder:
        for name, (path, prefix, _) in winks.SETS.items():
            readings = winks.read_set(finder, reader, path, prefix)
            counts[name] = (sum(bool(e and e.is_wink()) for _, e in readings), len(readings))
    return counts


def test_real_winks_are_read_as_winks(read_as_wink):
    # measured here: 19/21 and 9/15 (the rule was 0/21 and 1/15 while it asked the unrefined
    # mesh's eye aspect ratios to differ, which they hardly do on a wink). One photo less on
    # dev is allowed: two of the 19 sit near a threshold (an eye model reading of 0.78 against
    # 0.8), and mediapipe's float kernels may round differently on another CPU.
    assert read_as_wink["dev/wink"][0] >= 18
    assert read_as_wink["yale/wink"][0] >= 9


def test_open_eyes_smiles_laughs_and_sleepy_eyes_are_not_winks(read_as_wink):
    assert read_as_wink["dev/open"][0] == 0  # many of them broad smiles
    assert read_as_wink["dev/closed"][0] == 0  # laughing, squeezing, sleeping
    assert read_as_wink["yale/sleepy"][0] == 0
    assert read_as_wink["yale/happy"][0] == 0
    assert read_as_wink["yale/normal"][0] == 0


def test_one_eye_closed_and_the_other_open_is_a_wink():
    assert Eyes(closed=(0.05, 0.9), openness=(0.3, 0.29)).is_wink()  # the eye model sees it


def test_an_eyelid_shut_to_the_mesh_that_the_eye_model_half_sees_is_a_wink():
    assert Eyes(closed=(0.02, 0.45), openness=(0.3, 0.09)).is_wink()
    assert not Eyes(closed=(0.45, 0.02), openness=(0.3, 0.09)).is_wink()  # cues disagree


def test_a_blink_is_not_a_wink():
    assert not Eyes(closed=(0.9, 0.95), openness=(0.1, 0.11)).is_wink()  # both shut alike
    assert not Eyes(closed=(0.85, 0.95), openness=(0.05, 0.2)).is_wink()  # both closed to the model


def test_closed_eyes_where_the_mesh_leaves_one_lid_open_are_not_a_wink():
    # training.closure's both-lids-lowered faces the rule took for winks: the eye model doubts
    # the "open" eye (0.67) and the mesh sees it only half open (EAR 0.2)
    assert not Eyes(closed=(0.94, 0.67), openness=(0.049, 0.199)).is_wink()
    # a real wink (dev wink/14.jpg): the open eye doubted as much, but clearly open to the mesh
    assert Eyes(closed=(1.0, 0.78), openness=(0.025, 0.267)).is_wink()


def test_a_squint_where_neither_eye_is_clearly_closed_is_not_a_wink():
    assert not Eyes(closed=(0.3, 0.55), openness=(0.19, 0.2)).is_wink()


def test_a_turned_head_whose_far_eye_looks_narrower_is_not_a_wink():
    assert Eyes(closed=(0.05, 0.95), openness=(0.3, 0.1), widths=(30.0, 31.0)).is_wink()
    assert not Eyes(closed=(0.05, 0.95), openness=(0.3, 0.1), widths=(30.0, 15.0)).is_wink()


def test_half_closed_sleepy_eyes_are_not_a_wink_even_if_the_mesh_sees_one_narrower():
    assert not Eyes(closed=(1.0, 0.99), openness=(0.05, 0.2)).is_wink()


def test_the_eye_model_tells_open_from_closed_on_faces_it_never_saw():
    data = read_zip(CEW, cew_label)
    _, held = split(data.y, HELD_OUT, SEED, groups=[cew_face(n) for n in data.names])  # train_eyes'
    reader = EyeReader()
    p_closed = reader.model.probs(list(data.x[held]))[:, reader.model.classes.index("closed")]
    assert len(held) > 900
    assert ((p_closed > 0.5) == (data.y[held] == 1)).mean() > 0.95  # measured 96.2%


# A person whose wink is slight (Yale subject07's readings): the rule for everyone misses it.
SLIGHT_WINK = Eyes(closed=(0.36, 0.0), openness=(0.201, 0.287))
THEIR_FACES = [Eyes(closed=(0.0, 0.0), openness=(0.286, 0.299)),  # neutral
               Eyes(closed=(0.0, 0.0), openness=(0.224, 0.243))]  # smiling


def test_a_slight_wink_the_rule_misses_is_found_once_the_person_taught_it():
    assert not SLIGHT_WINK.is_wink()
    mine = PersonalWink.learn([SLIGHT_WINK], THEIR_FACES)
    assert mine.side == 0  # their left eye
    assert mine.lean == pytest.approx(0.18) and mine.ratio == pytest.approx(0.80, abs=0.01)
    assert mine.matches(SLIGHT_WINK)
    assert not any(mine.matches(e) for e in THEIR_FACES)


def test_a_taught_wink_is_one_eye_only_and_never_a_blink_or_a_turned_head():
    mine = PersonalWink.learn([SLIGHT_WINK], THEIR_FACES)
    assert not mine.matches(Eyes(closed=(0.0, 0.36), openness=(0.287, 0.201)))  # the other eye
    assert not mine.matches(Eyes(closed=(0.99, 0.9), openness=(0.05, 0.1)))  # both shut
    assert not mine.matches(Eyes(closed=(0.36, 0.0), openness=(0.201, 0.287), widths=(15.0, 30.0)))


def test_a_wink_that_looks_like_the_person_s_other_faces_is_not_learned():
    with pytest.raises(ValueError, match="looks like your other faces"):
        PersonalWink.learn([Eyes(closed=(0.05, 0.0), openness=(0.28, 0.29))], THEIR_FACES)
    with pytest.raises(ValueError, match="both eyes"):
        PersonalWink.learn([Eyes(closed=(0.9, 0.0), openness=(0.1, 0.3), widths=(10.0, 30.0))],
                           THEIR_FACES)


def test_a_cue_that_does_not_part_the_wink_from_the_other_faces_is_left_out():
    # Yale subject05: the eye model leans to the left eye, the mesh calls the right narrower
    mine = PersonalWink.learn([Eyes(closed=(0.66, 0.21), openness=(0.192, 0.180))], THEIR_FACES)
    assert mine.ratio == float("inf") and mine.lean == pytest.approx(0.225)
    assert PersonalWink.from_json(mine.to_json()) == mine


def test_one_eyelid_lowered_on_a_real_face_is_a_wink_only_once_it_is_nearly_shut():
    """training.closure's synthetic lid on a London face: the tool and the rule together."""
    from tests.media import NEUTRAL_JPG, read_photo
    from training.closure import lowered

    img, reader = read_photo(NEUTRAL_JPG), EyeReader()
    with FaceFinder(InputSpec()) as finder:
        landmarks = finder.prepare(img).face.landmarks

        def seen(c: tuple[float, float]) -> Eyes:
            return reader.read(finder.prepare(lowered(img, landmarks, c)).face)

        untouched, slight, shut = seen((0.0, 0.0)), seen((0.4, 0.0)), seen((1.0, 0.0))
    assert not untouched.is_wink() and max(untouched.closed) < 0.1  # resampling alone: open
    # the lid is seen lowered (the Face Landmarker's mesh follows this synthetic lid less than
    # the old refined mesh did: 0.88 of the open EAR, was under 0.8), and it is no wink
    assert not slight.is_wink() and slight.openness[0] < 0.9 * untouched.openness[0]
    assert shut.is_wink() and shut.closed[0] > 0.9 and shut.closed[1] < 0.1


def test_both_eyes_shut_calmly_are_shut_eyes_and_never_a_wink():
    shut = Eyes(closed=(0.99, 0.96), openness=(0.06, 0.06))  # dev's sleeping man
    assert shut.shut() and not shut.is_wink()


def test_a_wink_a_squint_or_a_downward_gaze_are_not_shut_eyes():
    assert not Eyes(closed=(0.05, 0.95), openness=(0.3, 0.12)).shut()  # a wink
    assert not Eyes(closed=(0.3, 0.55), openness=(0.19, 0.2)).shut()  # a squint
    assert not Eyes(closed=(0.92, 0.9), openness=(0.1, 0.27)).shut()  # the mesh sees one open
    # Yale's sad subject05 looking down, as the live app reads it: the mesh sees the lids
    # nearly shut, but the eye model doubts one eye
    assert not Eyes(closed=(0.63, 0.96), openness=(0.116, 0.084)).shut()


def test_a_laugh_is_told_from_sleep_by_the_expression_or_the_open_mouth():
    assert laughing(happy=0.85, mouth=0.02) and laughing(happy=0.1, mouth=0.5)
    assert not laughing(happy=0.06, mouth=0.01) and not laughing(happy=0.2, mouth=None)


def test_real_shut_eyes_read_as_sleepy_unless_laughing_and_open_eyes_never(recognizer):
    """One photo each (stills): the live app also asks that the eyes stay shut 1.5 s."""
    def labels(path, prefix: str) -> dict[str, str | None]:
        names = photo_names(path, prefix)
        return {n: recognizer.read(img).label() for n, img in zip(names, photos(path, names))}

    shut = labels(winks.WINKS_DEV, "closed/")
    assert {n for n, label in shut.items() if label == "sleepy"} == set(shut) - set(
        sleepy.DEV_LAUGHING)  # the man, the baby, the woman being made up; not the laughs
    assert "sleepy" not in labels(winks.WINKS_DEV, "open/").values()
    yale = {n: label for c in sleepy.YALE_OPEN for n, label in labels(POSED, f"yale/{c}/").items()
            if n not in sleepy.SHUT_EYES}
    assert len(yale) == 133 and "sleepy" not in yale.values()


def test_one_eye_blinking_to_the_blendshapes_is_a_wink_when_the_mesh_agrees():
    """The third cue: eyeBlink high on one eye, low on the other, and that eye the narrower to
    the mesh (a slight wink the eye model hardly leans on: winks/dev's DirtyBarbie photo)."""
    slight = dict(closed=(0.24, 0.05), openness=(0.119, 0.280))
    assert not Eyes(**slight).is_wink()  # the eye model and EAR cues alone miss it
    assert Eyes(**slight, blinks=(0.39, 0.06)).is_wink()
    assert not Eyes(**slight, blinks=(0.39, 0.25)).is_wink()  # the other eye blinks too
    assert not Eyes(**slight, blinks=(0.06, 0.39)).is_wink()  # the mesh's wider eye blinks
    assert not Eyes(closed=(0.24, 0.05), openness=(0.25, 0.28), blinks=(0.39, 0.06)).is_wink()
    assert not Eyes(**slight, widths=(10.0, 30.0), blinks=(0.39, 0.06)).is_wink()  # turned head
    # the eye model calls the other eye closed: both shut, whatever the blendshapes say
    assert not Eyes(closed=(0.99, 0.9), openness=(0.05, 0.1), blinks=(0.6, 0.1)).is_wink()
