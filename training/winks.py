"""The wink decision measured on real photos: winks found and false winks, per set.

    python -m training.winks            # counts per set, and each photo's eye readings with -v
    python -m training.winks --personal # a person's own wink, taught (Yale, per person)

Sets (../shared/data): winks/dev.zip (wink/, open/, closed/, labelled for the largest face)
and posed.zip Yale (wink, normal, sleepy, happy). Every photo goes through the app's face
stage and eye reader; a photo where no face is found counts as "not a wink".

--personal: per Yale person, their wink is taught as the app's calibration does (the wink
photo against their normal, happy, sad and surprised photos). Their other six photos (glasses,
no glasses, three lightings, sleepy) were never taught: false winks there. Yale has one wink
per person, so the wink itself is tried under six camera changes (darker, brighter, blur,
JPEG, smaller, tilted): other pixels, the same wink, not a second one.
"""
from __future__ import annotations

import argparse
import json
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from face2emoji_tray.eyes import EyeReader, Eyes, PersonalWink
from face2emoji_tray.face import FaceFinder
from face2emoji_tray.preprocess import InputSpec
from training.data import DATA, POSED, photo_names, photos

WINKS_DEV = DATA / "winks" / "dev.zip"
SETS = {  # name → (zip, folder prefix, is a wink)
    "dev/wink": (WINKS_DEV, "wink/", True), "dev/open": (WINKS_DEV, "open/", False),
    "dev/closed": (WINKS_DEV, "closed/", False), "yale/wink": (POSED, "yale/wink/", True),
    "yale/normal": (POSED, "yale/normal/", False), "yale/sleepy": (POSED, "yale/sleepy/", False),
    "yale/happy": (POSED, "yale/happy/", False),
}


def eyes_of(finder: FaceFinder, eyes: EyeReader, img: np.ndarray) -> Eyes | None:
    """The app's face stage and eye reader on one photo (None: no face found)."""
    face = finder.prepare(img).face
    return None if face is None else eyes.read(face)


def read_set(finder: FaceFinder, eyes: EyeReader, path: Path,
             prefix: str) -> list[tuple[str, Eyes | None]]:
    names = photo_names(path, prefix)
    return [(name, eyes_of(finder, eyes, img)) for name, img in zip(names, photos(path, names))]


TAUGHT = ("normal", "happy", "sad", "surprised")  # besides the wink: a calibration's faces
UNTAUGHT = ("glasses", "noglasses", "centerlight", "leftlight", "rightlight", "sleepy")


def camera_changes(img: np.ndarray) -> dict[str, np.ndarray]:
    """One photo as other cameras and moments might give it."""
    h, w = img.shape[:2]
    f = img.astype(np.float32)
    small = cv2.resize(img, (w * 2 // 3, h * 2 // 3), interpolation=cv2.INTER_AREA)
    _, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 30])
    tilt = cv2.getRotationMatrix2D((w / 2, h / 2), 6, 1.0)
    return {"darker": np.clip(f * 0.6, 0, 255).astype(np.uint8),
            "brighter": np.clip(255 * (f / 255) ** 0.6, 0, 255).astype(np.uint8),
            "blur": cv2.GaussianBlur(img, (0, 0), 1.2),
            "jpeg30": cv2.imdecode(jpg, cv2.IMREAD_UNCHANGED),
            "smaller": small,
            "tilted": cv2.warpAffine(img, tilt, (w, h), borderMode=cv2.BORDER_REPLICATE)}


def personal(finder: FaceFinder, eyes: EyeReader, verbose: bool = False) -> dict:
    """Each Yale person's own wink, taught, against the rule for everyone (counts)."""
    read = partial(eyes_of, finder, eyes)
    names = photo_names(POSED, "yale/")
    shots = {tuple(n.split("/")[1:]): img for n, img in zip(names, photos(POSED, names))}
    people = sorted({p for _, p in shots})
    counts = {k: 0 for k in ("taught", "rule_wink_changes", "mine_wink_changes", "wink_changes",
                             "rule_false", "mine_false", "untaught_photos")}
    for person in people:
        wink = read(shots["wink", person])
        others = [e for e in (read(shots[c, person]) for c in TAUGHT if (c, person) in shots)
                  if e is not None]
        try:
            mine = PersonalWink.learn([wink], others) if wink is not None else None
        except ValueError as exc:
            mine = None
            if verbose:
                print(f"{person}: not taught: {exc}")
        counts["taught"] += mine is not None
        changed = [read(img) for img in camera_changes(shots["wink", person]).values()]
        untaught = [read(shots[c, person]) for c in UNTAUGHT if (c, person) in shots]
        for key, found in (("wink_changes", changed), ("untaught_photos", untaught)):
            counts[key] += len(found)
        for who, rule in (("rule", lambda e: e.is_wink()),
                          ("mine", lambda e: e.is_wink() or (mine is not None and mine.matches(e)))):
            counts[f"{who}_wink_changes"] += sum(bool(e and rule(e)) for e in changed)
            counts[f"{who}_false"] += sum(bool(e and rule(e)) for e in untaught)
        if verbose and mine is not None:
            print(f"{person}: {mine}")
    print(f"people whose wink was taught: {counts['taught']}/{len(people)}")
    print(f"their wink under camera changes read as a wink: rule "
          f"{counts['rule_wink_changes']}/{counts['wink_changes']}, taught "
          f"{counts['mine_wink_changes']}/{counts['wink_changes']}")
    print(f"their untaught photos read as a wink: rule {counts['rule_false']}/"
          f"{counts['untaught_photos']}, taught {counts['mine_false']}/{counts['untaught_photos']}")
    return counts


def per_set(finder: FaceFinder, eyes: EyeReader, verbose: bool = False) -> dict:
    """The rule for everyone: photos read as a wink, per set."""
    report = {}
    for name, (path, prefix, wink) in SETS.items():
        readings = read_set(finder, eyes, path, prefix)
        hits = sum(bool(e and e.is_wink()) for _, e in readings)
        report[name] = {"photos": len(readings), "read_as_wink": hits,
                        "no_face": sum(e is None for _, e in readings), "is_wink": wink}
        print(f"{name:<12} read as a wink {hits}/{len(readings)}  (no face: "
              f"{report[name]['no_face']})", flush=True)
        if verbose:
            for n, e in readings:
                print(f"   {n:<40} " + ("no face" if e is None else
                      f"p_closed {e.closed[0]:.2f} {e.closed[1]:.2f}  "
                      f"ear {e.openness[0]:.3f} {e.openness[1]:.3f}"))
    return report


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="each photo's readings")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--personal", action="store_true", help="a person's own wink, taught")
    args = ap.parse_args(argv)
    with FaceFinder(InputSpec()) as finder:
        measure = personal if args.personal else per_set
        report = measure(finder, EyeReader(), args.verbose)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
