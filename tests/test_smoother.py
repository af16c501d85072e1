"""The smoother: a steady emoji from noisy frames, never a stale one."""
from __future__ import annotations

from face2emoji_tray.eyes import Eyes
from face2emoji_tray.recognizer import Reading
from face2emoji_tray.smoother import EXPRESSION, NO_FACE, UNSURE, Smoother

CLASSES = ("angry", "happy", "neutral", "sad", "scared", "surprised")
OPEN = Eyes(closed=(0.05, 0.05), openness=(0.3, 0.3))
WINK = Eyes(closed=(0.05, 0.95), openness=(0.3, 0.12))
BLINK = Eyes(closed=(0.95, 0.95), openness=(0.1, 0.1))


def face(eyes: Eyes = OPEN, **probs: float) -> Reading:
    rest = (1 - sum(probs.values())) / (len(CLASSES) - len(probs))
    return Reading(1, {c: probs.get(c, rest) for c in CLASSES}, eyes)


def feed(smoother: Smoother, start: float, seconds: float, reading: Reading, fps: float = 10):
    state, t = None, start
    for i in range(int(seconds * fps)):
        t = start + i / fps
        state = smoother.add(t, reading)
    return state, t


def test_a_held_smile_reads_happy():
    state, _ = feed(Smoother(), 0, 1.0, face(happy=0.8))
    assert (state.kind, state.label) == (EXPRESSION, "happy")


def test_one_odd_frame_does_not_change_the_emoji():
    s = Smoother()
    feed(s, 0, 1.0, face(happy=0.8))
    assert s.add(1.0, face(sad=0.9)).label == "happy"


def test_neutral_then_smiling_changes_only_after_the_window():
    s = Smoother(window=1.0)
    feed(s, 0, 2.0, face(neutral=0.8))
    labels = [s.add(2.0 + i / 10, face(happy=0.8)).label for i in range(12)]
    switched = labels.index("happy")
    assert 3 <= switched <= 8  # not on the first smiling frame, and within the window
    assert labels[switched:] == ["happy"] * (len(labels) - switched)


def test_hysteresis_keeps_the_label_between_two_close_classes():
    s = Smoother(margin=0.1)
    feed(s, 0, 1.0, face(happy=0.5, neutral=0.4))
    state, _ = feed(s, 1.0, 1.5, face(happy=0.46, neutral=0.52))  # neutral ahead, within margin
    assert state.label == "happy"
    state, _ = feed(s, 2.5, 1.5, face(happy=0.3, neutral=0.65))
    assert state.label == "neutral"


def test_low_confidence_is_unsure_not_a_guess():
    state, _ = feed(Smoother(threshold=0.45), 0, 1.0, face(happy=0.3, sad=0.3))
    assert state.kind == UNSURE and state.label is None


def test_no_face_is_a_state_of_its_own():
    s = Smoother()
    feed(s, 0, 1.0, face(happy=0.8))
    state, _ = feed(s, 1.0, 1.0, Reading(0))
    assert state.kind == NO_FACE


def test_a_stalled_camera_never_leaves_a_stale_emoji():
    s = Smoother(window=1.0)
    _, t = feed(s, 0, 1.0, face(happy=0.8))
    assert s.state(t + 0.5).label == "happy"
    assert s.state(t + 1.1).kind == NO_FACE  # no frames for longer than the window


def test_a_wink_counts_only_when_held_longer_than_a_blink():
    s = Smoother(wink_hold=0.4)
    feed(s, 0, 1.0, face(happy=0.8))
    state, _ = feed(s, 1.0, 0.3, face(WINK, happy=0.8))  # 0.2 s of frames: too short
    assert state.label == "happy"
    state, _ = feed(s, 1.3, 0.4, face(WINK, happy=0.8))
    assert state.label == "wink"


def test_a_blink_is_never_a_wink():
    s = Smoother(wink_hold=0.4)
    state, _ = feed(s, 0, 2.0, face(BLINK, happy=0.8))
    assert state.label == "happy"


def test_after_a_wink_the_face_goes_back_to_its_expression_not_to_the_winks():
    # a winking face often reads as sad to the expression model: those frames do not vote
    s = Smoother(window=1.0)
    feed(s, 0, 2.0, face(neutral=0.8))
    state, t = feed(s, 2.0, 1.0, face(WINK, sad=0.9))
    assert state.label == "wink"
    assert s.add(t + 0.1, face(neutral=0.8)).label == "neutral"


def test_a_face_taught_while_watching_takes_over_once_held():
    """The person saves a profile with a taught face mid-window: frames before it have no
    score for that name; it counts as 0 there, and the face wins once it leads the window."""
    s = Smoother()
    feed(s, 0, 1.0, face(neutral=0.8))
    taught = Reading(1, {**{c: 0.02 for c in CLASSES}, "🤢": 0.88}, OPEN)
    assert s.add(1.0, taught).label == "neutral"
    state, _ = feed(s, 1.1, 0.6, taught)  # the window still holds neutral frames
    assert (state.kind, state.label) == (EXPRESSION, "🤢")
SHUT = Eyes(closed=(0.98, 0.97), openness=(0.05, 0.06))  # both eyes closed, calmly


def labels_while(s: Smoother, start: float, seconds: float, reading: Reading,
                 fps: float = 5) -> list[str | None]:
    """The smoother's label after each frame of `seconds` of one reading (the app's 5 fps)."""
    return [s.add(start + i / fps, reading).label for i in range(round(seconds * fps))]


def test_eyes_closed_for_a_second_and_a_half_read_as_sleepy():
    s = Smoother(sleep_hold=1.5)
    labels_while(s, 0, 2.0, face(neutral=0.8))
    shut = labels_while(s, 2.0, 2.0, face(SHUT, sad=0.9))  # shut eyes often read as sad
    assert shut[:8] == ["neutral"] * 8  # until 1.4 s after closing: the emoji stays
    assert shut[8:] == ["sleepy", "sleepy"]  # from 1.6 s on
    assert labels_while(s, 4.0, 1.4, face(neutral=0.8))[-1] == "neutral"  # eyes open again


def test_a_blink_of_a_third_of_a_second_is_never_sleepy():
    s = Smoother(sleep_hold=1.5)
    seen = []
    for start in (0.0, 2.3, 4.6):  # open 2 s, shut 0.3 s, three times over
        seen += labels_while(s, start, 2.0, face(neutral=0.8), fps=10)
        seen += labels_while(s, start + 2.0, 0.3, face(SHUT, neutral=0.8), fps=10)
    assert "sleepy" not in seen and seen[-1] == "neutral"


def test_a_held_wink_is_a_wink_and_never_sleepy():
    s = Smoother(wink_hold=0.4, sleep_hold=1.5)
    seen = labels_while(s, 0, 3.0, face(WINK, neutral=0.8))
    assert "sleepy" not in seen and seen[-1] == "wink"


def test_laughing_with_the_eyes_squeezed_shut_is_not_sleepy():
    s = Smoother(sleep_hold=1.5)
    assert "sleepy" not in labels_while(s, 0, 3.0, face(SHUT, happy=0.9))  # the model sees it
    wide_open_mouth = Reading(1, face(neutral=0.7).probs, SHUT, mouth=0.5)  # the mesh sees it
    assert "sleepy" not in labels_while(s, 3.0, 3.0, wide_open_mouth)
    closed_mouth = Reading(1, face(neutral=0.7).probs, SHUT, mouth=0.02)
    assert labels_while(s, 6.0, 2.0, closed_mouth)[-1] == "sleepy"


def test_the_sleep_hold_setting_is_the_time_the_eyes_must_stay_shut():
    s = Smoother(sleep_hold=3.0)
    assert "sleepy" not in labels_while(s, 0, 2.8, face(SHUT, neutral=0.8))
    assert labels_while(s, 2.8, 0.4, face(SHUT, neutral=0.8))[-1] == "sleepy"


def test_a_face_the_person_taught_with_the_eyes_shut_is_theirs_not_sleep():
    s = Smoother(sleep_hold=1.5)
    squeezed = Reading(1, {**{c: 0.02 for c in CLASSES}, "🤢": 0.88}, SHUT)  # taught, eyes shut
    assert labels_while(s, 0, 3.0, squeezed)[-1] == "🤢"
