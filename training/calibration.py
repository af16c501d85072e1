"""Does a person's profile help, and what does it cost? Measured on posed faces, per person.

    python -m training.calibration              # the shipped BLEND/TEMPERATURE
    python -m training.calibration --grid       # the search that chose them

A calibration photo is never a test photo:
- Yale, neutral: calibrate on one photo per class (normal, happy, sad, surprised); test on
  the person's five other neutral photos (three lightings, with and without glasses).
- Leave one class out (TFEID, 5 classes; Yale, 4): calibrate on all the person's other
  classes; test the left-out photo, which the profile must not spoil (it keeps the global
  reading for classes it does not know, but the calibrated classes compete with it).
- The calibration photos themselves (all classes calibrated): what a user sees when trying
  each face right after teaching it; an upper bound, not a test.
"""
from __future__ import annotations

import argparse
import itertools
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from face2emoji_tray import profile as prof
from face2emoji_tray.classifier import EXPRESSION_MODEL, Classifier
from face2emoji_tray.emoji import our_class
from face2emoji_tray.face import FaceFinder, whole_image_crop
from training.crossdata import YALE
from training.data import POSED, photo_names, photos

YALE_NEUTRAL_TESTS = ("centerlight", "glasses", "leftlight", "noglasses", "rightlight")


def tfeid(model: Classifier) -> dict[str, dict[str, tuple]]:
    """person → class → (probs, features), from the given crops."""
    out: dict[str, dict[str, tuple]] = defaultdict(dict)
    names = [n for n in photo_names(POSED, "tfeid/") if our_class(n.split("/")[1])]
    for n, img in zip(names, photos(POSED, names)):
        p, f = model.run([whole_image_crop(img, model.spec)])
        _, cls, file = n.split("/")
        out[file.split("_")[0]][our_class(cls)] = (p[0], f[0])
    return out


def yale(model: Classifier) -> dict[str, dict[str, tuple]]:
    """person → condition → (probs, features), through the face stage."""
    out: dict[str, dict[str, tuple]] = defaultdict(dict)
    names = photo_names(POSED, "yale/")
    with FaceFinder(model.spec) as finder:
        for n, img in zip(names, photos(POSED, names)):
            _, condition, file = n.split("/")
            face = finder.prepare(img).face
            if face is not None:
                p, f = model.run([face.crop])
                out[file.split(".")[0]][condition] = (p[0], f[0])
    return out


def _label(model: Classifier, profile: prof.Profile | None, p: np.ndarray, f: np.ndarray) -> str:
    q = p if profile is None else profile.apply(model.classes, p, f)
    return model.classes[int(np.argmax(q))]


def _by_class(shots: dict[str, tuple], classes: dict[str, str] | None) -> dict[str, tuple]:
    """A person's photos keyed by our class (Yale conditions mapped; others dropped)."""
    return {(classes or {k: k})[k]: v for k, v in shots.items() if classes is None or k in classes}


def measure(model: Classifier, people_t: dict, people_y: dict) -> dict[str, tuple[int, int, int]]:
    """Protocol → (right without a profile, right with it, tests)."""
    res: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])

    def count(key: str, truth: str, profile: prof.Profile, p, f) -> None:
        res[key][0] += _label(model, None, p, f) == truth
        res[key][1] += _label(model, profile, p, f) == truth
        res[key][2] += 1

    for name, people, classes in (("tfeid", people_t, None), ("yale", people_y, YALE)):
        for person, shots in people.items():
            labelled = _by_class(shots, classes)
            for left_out, (p, f) in labelled.items():
                cal = {c: [v[1]] for c, v in labelled.items() if c != left_out}
                count(f"{name} leave-one-class-out", left_out, prof.Profile.build("", cal), p, f)
    for name, people, classes in (("tfeid", people_t, None), ("yale", people_y, YALE)):
        for person, shots in people.items():
            labelled = _by_class(shots, classes)
            profile = prof.Profile.build("", {c: [v[1]] for c, v in labelled.items()})
            for cls, (p, f) in labelled.items():
                count(f"{name} calibration photos", cls, profile, p, f)
    for person, shots in people_y.items():
        cal = {YALE[k]: [shots[k][1]] for k in YALE if k in shots}
        profile = prof.Profile.build("", cal)
        for cond in YALE_NEUTRAL_TESTS:
            if cond in shots:
                count("yale neutral, other photos", "neutral", profile, *shots[cond])
    return {k: tuple(v) for k, v in res.items()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", action="store_true", help="search BLEND and TEMPERATURE")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    model = Classifier(EXPRESSION_MODEL, threads=2)
    people_t, people_y = tfeid(model), yale(model)
    grid = (itertools.product((0.5, 0.7, 0.8, 0.9, 1.0), (0.02, 0.05, 0.1, 0.2)) if args.grid
            else [(prof.BLEND, prof.TEMPERATURE)])
    results = {}
    for blend, temp in grid:
        prof.BLEND, prof.TEMPERATURE = blend, temp
        measured = measure(model, people_t, people_y)
        results[f"blend {blend} temperature {temp}"] = {
            k: {"without": b, "with": a, "tests": n} for k, (b, a, n) in measured.items()}
        for key, (before, after, n) in measured.items():
            print(f"blend {blend} temperature {temp}  {key:<30} without {before}/{n}  "
                  f"with {after}/{n}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
