"""Does a person's profile help, and what does it cost? Measured on posed faces, per person.

    python -m training.calibration [--model M.onnx]   # the shipped BLEND/TEMPERATURE/MARGIN
    python -m training.calibration --grid             # the searches that chose them

TCCE (the targets of taught faces and better calibration): per performer, calibrate on one
photo of each of the six faces plus one disgust photo taught as a face of their own (`🤢`),
test on all their other photos; repeated for DRAWS random choices of those photos. Reported:
the six faces read right (with and without the profile), the taught face found on their other
disgust photos, and their other photos read as it. Photos are read as the app reads them, the
face's shape fused with the pixels; and the same is measured with the face's blendshapes
kept beside the model's features (SHAPE_SHARES of the similarity), the comparison of
issue 25. The matching is chosen on performers 01–20
(the model's training data, never reported) and reported on 21–30 (never trained on).

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
from face2emoji_tray.face import FaceFinder
from face2emoji_tray.preprocess import whole_image_crop
from face2emoji_tray.shape import ShapeFusion
from training.crossdata import YALE, fused
from training.data import (POSED, TCCE, TCCE_CHECK, photo_names, photos, tcce_expression,
                           tcce_performer)

YALE_NEUTRAL_TESTS = ("centerlight", "glasses", "leftlight", "noglasses", "rightlight")
CHOOSE, REPORT = range(1, 21), TCCE_CHECK  # TCCE performers
TAUGHT = "\U0001F922"  # 🤢, taught from one disgust photo
DRAWS = 20  # random choices of the calibration photos per performer
MAX_FALSE = 0.05  # the taught face may take at most this share of a person's other faces
SHAPE_SHARES = (0.3, 0.5)  # blendshapes beside the features, compared (with_blendshapes)


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
    shape = ShapeFusion(classes=model.classes)
    with FaceFinder(model.spec) as finder:
        for n, img in zip(names, photos(POSED, names)):
            _, condition, file = n.split("/")
            face = finder.prepare(img).face
            if face is not None:
                out[file.split(".")[0]][condition] = read_face(model, shape, face)[:2]
    return out


def read_face(model: Classifier, shape: ShapeFusion, face) -> tuple[np.ndarray, ...]:
    """A found face as the app reads it: (probs with its shape fused, features, blendshapes)."""
    p, f = model.run([face.crop])
    blend = np.fromiter(face.blendshapes.values(), np.float32)
    return fused(shape, p[0], face), f[0], blend


def tcce(model: Classifier) -> dict[int, list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]]:
    """performer → [(face, probs, features, blendshapes)] for each TCCE photo whose face is
    found."""
    out: dict[int, list] = defaultdict(list)
    names = [n for n in photo_names(TCCE, "tcce/") if len(Path(n).stem) == 7]
    shape = ShapeFusion(classes=model.classes)
    with FaceFinder(model.spec) as finder:
        for n, img in zip(names, photos(TCCE, names)):
            face = finder.prepare(img).face
            if face is not None:
                out[tcce_performer(n)].append((tcce_expression(n), *read_face(model, shape, face)))
    return out


def with_blendshapes(people: dict, share: float) -> dict:
    """The same photos with each face's features joined by its blendshapes (standardised by
    performers 01–20's mean and spread), the blendshapes taking `share` of the cosine
    similarity a profile compares faces by; share 0 is the profile as the app keeps it."""
    every = np.stack([b for person in CHOOSE for *_, b in people.get(person, [])])
    mean, spread = every.mean(0), every.std(0) + 0.02
    return {person: [(face, p, np.concatenate([np.sqrt(1 - share) * prof._unit(f),
                                               np.sqrt(share) * prof._unit((b - mean) / spread)]))
                     for face, p, f, b in shots] for person, shots in people.items()}


def taught_draws(shots: list[tuple], rng: np.random.Generator):
    """One person's calibration photos (one per face they have, disgust included) and the
    rest to test on, DRAWS times."""
    by_face = defaultdict(list)
    for i, (face, _, _) in enumerate(shots):
        by_face[face].append(i)
    for _ in range(DRAWS):
        chosen = {face: int(rng.choice(idx)) for face, idx in by_face.items()}
        yield chosen, [i for i in range(len(shots)) if i not in chosen.values()]


def measure_taught(model: Classifier, people: dict, performers) -> dict[str, list[int]]:
    """Per performer and in all: [six right without, six right with, six tested, taught
    found, disgust tested, others read as taught, others tested]."""
    res: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    rng = np.random.default_rng(0)
    for person in performers:
        shots = people.get(person, [])
        for chosen, tests in taught_draws(shots, rng):
            cal = {(TAUGHT if face == "disgust" else face): [shots[i][2]]
                   for face, i in chosen.items()}
            profile = prof.Profile.build("", cal)
            for i in tests:
                face, p, f = shots[i]
                reading = profile.apply(model.classes, p, f)
                got = max(reading, key=reading.get)
                for key in (f"{person:02d}", "all"):
                    row = res[key]
                    if face == "disgust":
                        row[3] += got == TAUGHT
                        row[4] += 1
                    else:
                        row[0] += model.classes[int(np.argmax(p))] == face
                        row[1] += got == face
                        row[2] += 1
                        row[5] += got == TAUGHT
                        row[6] += 1
    return dict(res)


def taught_line(key: str, row: list[int]) -> str:
    b, a, n, found, nd, false, nf = row
    return (f"TCCE {key:>3}: six faces {a / n:.1%} with the profile ({a}/{n}), {b / n:.1%} "
            f"without; taught found {found}/{nd} ({found / max(nd, 1):.1%}); others read as "
            f"taught {false}/{nf} ({false / max(nf, 1):.1%})")


def choose_margin(model: Classifier, people: dict) -> float:
    """The smallest MARGIN whose taught face takes at most MAX_FALSE of the other photos of
    performers 01–20."""
    for margin in np.round(np.arange(-0.04, 0.101, 0.01), 2):
        prof.MARGIN = float(margin)
        row = measure_taught(model, people, CHOOSE)["all"]
        print(f"margin {margin:+.2f}  {taught_line('01-20', row)}", flush=True)
        if row[5] <= MAX_FALSE * row[6]:
            return float(margin)
    return float(margin)


def _label(model: Classifier, profile: prof.Profile | None, p: np.ndarray, f: np.ndarray) -> str:
    if profile is None:
        return model.classes[int(np.argmax(p))]
    q = profile.apply(model.classes, p, f)
    return max(q, key=q.get)


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
    ap.add_argument("--grid", action="store_true", help="search BLEND, TEMPERATURE and MARGIN")
    ap.add_argument("--model", type=Path, default=EXPRESSION_MODEL, help="expression model")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    model = Classifier(args.model, threads=2)
    measured = tcce(model)
    people = with_blendshapes(measured, 0.0)
    if args.grid:
        prof.MARGIN = choose_margin(model, people)
        print(f"chosen: MARGIN {prof.MARGIN}")
    taught = measure_taught(model, people, REPORT)
    for key in sorted(taught):
        print(taught_line(key, taught[key]), flush=True)
    beside = {}  # the person's shape beside the model's features: measured, not shipped
    for share in SHAPE_SHARES:
        beside[share] = measure_taught(model, with_blendshapes(measured, share), REPORT)["all"]
        print(f"blendshapes {share:.0%} of the similarity: "
              f"{taught_line('21-30', beside[share])}", flush=True)
    people_t, people_y = tfeid(model), yale(model)
    grid = (itertools.product((0.5, 0.7, 0.8, 0.9, 1.0), (0.02, 0.05, 0.1, 0.2)) if args.grid
            else [(prof.BLEND, prof.TEMPERATURE)])
    columns = ("without", "with", "tests", "taught found", "disgust tests", "read as taught",
               "other tests")
    results = {"tcce 21-30, taught 🤢": {k: dict(zip(columns, v)) for k, v in taught.items()},
               "tcce 21-30, blendshapes beside the features": {
                   f"{share:.0%}": dict(zip(columns, row)) for share, row in beside.items()}}
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
