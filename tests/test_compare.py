"""The side-by-side benchmark's labels and scoring (bench.compare, training.crossdata), without
node or fer: TCCE's photos are labelled by their file names, the held-out performers only,
and face-api.js's answers are read in our classes the way the comparison promises."""
from __future__ import annotations

from collections import Counter

from bench.compare import NO_FACE, faceapi_class
from training import crossdata
from training.crossdata import tcce_check

FACEAPI_LABELS = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")


def scores(**high: float) -> dict:
    return {label: high.get(label, 0.01) for label in FACEAPI_LABELS}


def test_a_tcce_photo_name_says_who_posed_which_face():
    assert tcce_check("tcce/2111d03.jpg") == "angry"  # performer 21, theatrical, front, angry
    assert tcce_check("tcce/3021f06.jpg") == "scared"  # 30, by FACS criteria, fearful
    assert tcce_check("tcce/2501a02.jpg") == "neutral"
    assert tcce_check("tcce/2611e03.jpg") is None  # disgusted: not one of our faces
    assert tcce_check("tcce/2011d03.jpg") is None  # performer 20 is training data


def test_the_tcce_check_holds_every_face_of_performers_21_to_30_and_no_one_else():
    path, prefix, label_of = crossdata.PHOTO_SETS["tcce-21-30"]
    entries = crossdata.labelled(path, prefix, label_of)
    performers = {int(n.split("/")[-1][:2]) for n, _ in entries}
    assert performers == set(range(21, 31))
    letters = Counter(n.split("/")[-1][4] for n, _ in entries)
    assert set(letters) == set("abcdfg")  # e (disgusted) left out
    assert Counter(c for _, c in entries) == {
        tcce_check(f"tcce/2111{letter}01.jpg"): count for letter, count in letters.items()}


def test_face_api_disgust_is_left_out_of_its_answer():
    assert faceapi_class(scores(disgusted=0.9, angry=0.05)) == "angry"
    assert faceapi_class(scores(fearful=0.6)) == "scared"
    assert faceapi_class(scores(surprised=0.5, happy=0.4)) == "surprised"


def test_a_photo_where_face_api_finds_no_face_counts_as_wrong():
    assert faceapi_class(None) == NO_FACE
    s = crossdata.score(["happy", "sad"], [faceapi_class(None), faceapi_class(scores(sad=0.9))])
    assert (s["correct"], s["images"], s["per_class"]) == (1, 2, {"happy": "0/1", "sad": "1/1"})
