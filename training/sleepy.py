"""😴 measured as the live app sees it: each face held as a video, per set.

    python -m training.sleepy [-v] [--json models/report/sleepy.json]
    python -m training.sleepy --closed 0.75 --sets london/shut look-down yale/open  # a trade-off

Each photo is held as a 2 s video: the same frame 10 times at the app's 5 frames a second,
through the recognizer in video mode (a fresh one per video: the mesh tracks the face from
frame to frame, as live) and the smoother with the default settings (sleep_hold 1.5 s). A
video "gives 😴" when the smoother's state is sleepy on any of its frames (for the faces that
should give it, that can only be after the hold).

Sets (../shared/data), with what they should give:
- london/shut: the London Set's 102 neutral faces with both upper lids lowered fully
  (training.closure): 😴.
- dev/sleeping: winks/dev.zip closed/ photos with the eyes shut calmly (a man with pressed
  lips, a sleeping baby, a woman having her eyelids made up): 😴.
- dev/laughing: closed/ photos laughing or smiling with the eyes shut (a man laughing with
  his mouth wide open, a woman singing with a smile): not 😴.
- dev/open, dev/wink, yale/<condition> (every open-eyed Yale photo; Yale's sleepy, half-closed
  eyes, and wink apart): not 😴.
- blink: each London neutral face open 2 s, then its lids lowered fully for one frame (0.2 s),
  open 1 s, lowered for two frames (0.4 s), open 2 s: not 😴.
- look-down/<c>: a glance at the keyboard, synthesised: the London neutral faces with both
  upper lids lowered by c (the lid follows the gaze down; seen from a camera above the screen
  the eye narrows by about half or more) and the face plane bowed 15° (a planar perspective
  warp). Limits: the iris does not move down, the head is a plane (the nose does not come
  forward), the lid is closure.py's stretched skin; measured, not a target.
- london/smiling-shut: the London smiling faces with both lids lowered fully: where the laugh
  thresholds (eyes.SleepRule.happy, .mouth) were chosen, with Yale's sleepy and happy photos;
  development, not a test.
- tcce/disgust, tcce/sad: TCCE's posed disgust and sad photos (all performers), many with the
  eyes squeezed shut: a grimace is not sleep, but no cue here tells it apart; measured.

yale/rightlight/subject15 is left out of the open-eyed faces: its eyes are shut (looked at).
"""
from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from face2emoji_tray.classifier import EXPRESSION_MODEL, EYE_MODEL, Classifier
from face2emoji_tray.config import Config
from face2emoji_tray.eyes import SleepRule
from face2emoji_tray.face import FaceFinder
from face2emoji_tray.preprocess import InputSpec
from face2emoji_tray.recognizer import Recognizer
from face2emoji_tray.smoother import Smoother
from training.closure import lowered
from training.data import POSED, TCCE, photo_names, photos
from training.winks import WINKS_DEV

HOLD_S = 2.0
SHUT_EYES = ("yale/rightlight/subject15.png",)  # an "open-eyed" condition, eyes shut
DEV_LAUGHING = ("closed/35971552684408_.pic_hd.jpg", "closed/nowink3.jpg")
YALE_OPEN = ("normal", "glasses", "noglasses", "centerlight", "leftlight", "rightlight",
             "happy", "sad", "surprised")
LOOK_DOWN = (0.5, 0.6, 0.7)  # lid fractions
BOW = 15.0  # degrees
# What each set should give: True 😴, False never.
SHOULD = {"london/shut": True, "dev/sleeping": True, "dev/laughing": False, "dev/open": False,
          "dev/wink": False, "yale/open": False, "yale/wink": False, "yale/sleepy": None,
          "yale/eyes-shut": None, "blink": False, "london/smiling-shut": None,
          "tcce/disgust": None, "tcce/sad": None, **{f"look-down/{c}": False for c in LOOK_DOWN}}
TCCE_SQUEEZED = {"e": "disgust", "c": "sad"}  # expression letters whose faces often shut the eyes


def bowed(img: np.ndarray, degrees: float) -> np.ndarray:
    """The photo as if its plane (the face) were bowed forward by `degrees` about its middle:
    the top comes nearer the camera, the bottom goes away (focal length: the photo's width)."""
    h, w = img.shape[:2]
    a, f = math.radians(degrees), float(w)
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    x, y = corners[:, 0] - w / 2, corners[:, 1] - h / 2
    depth = f + y * math.sin(a)
    seen = np.stack([f * x / depth + w / 2, f * y * math.cos(a) / depth + h / 2], 1)
    m = cv2.getPerspectiveTransform(corners, seen.astype(np.float32))
    return cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


class Holder:
    """Frames → the smoother's labels, as the engine would give them, one video at a time."""

    def __init__(self, config: Config = Config(), rule: SleepRule = SleepRule()) -> None:
        self.models = Classifier(EXPRESSION_MODEL), Classifier(EYE_MODEL)
        self.config, self.rule = config, rule

    def labels(self, frames: list[np.ndarray]) -> list[str | None]:
        """The smoother's label after each frame (None: no face or unsure)."""
        recognizer = Recognizer(*self.models, video=True)  # fresh: no tracking across videos
        smoother = Smoother(self.config.window, self.config.threshold,
                            wink_hold=self.config.wink_hold, sleep_hold=self.config.sleep_hold,
                            sleep_rule=self.rule)
        try:
            return [smoother.add(i / self.config.fps, recognizer.read(f)).label
                    for i, f in enumerate(frames)]
        finally:
            recognizer.close()

    def held(self, frame: np.ndarray, seconds: float = HOLD_S) -> list[str | None]:
        return self.labels([frame] * round(seconds * self.config.fps))


def blinking(open_eyes: np.ndarray, shut: np.ndarray, fps: float) -> list[np.ndarray]:
    """Open 2 s, shut one frame, open 1 s, shut two frames, open 2 s (blinks of 0.2, 0.4 s)."""
    second = round(fps)
    return ([open_eyes] * 2 * second + [shut] + [open_eyes] * second + [shut] * 2
            + [open_eyes] * 2 * second)


def london(finder: FaceFinder, condition: str) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(name, photo, its landmarks) of the London faces of a condition the face stage finds."""
    names = photo_names(POSED, f"london/{condition}/")
    for name, img in zip(names, photos(POSED, names)):
        face = finder.prepare(img).face
        if face is not None:
            yield name, img, face.landmarks


def videos(finder: FaceFinder, fps: float) -> Iterator[tuple[str, str, list[np.ndarray]]]:
    """(set, name, frames) of every video measured."""
    hold = round(HOLD_S * fps)
    for name, img in zip(names := photo_names(WINKS_DEV), photos(WINKS_DEV, names)):
        kind = name.split("/")[0]
        if kind == "closed":
            kind = "laughing" if name in DEV_LAUGHING else "sleeping"
        yield f"dev/{kind}", name, [img] * hold
    for name, img in zip(names := photo_names(POSED, "yale/"), photos(POSED, names)):
        condition = name.split("/")[1]
        kind = ("eyes-shut" if name in SHUT_EYES else "open" if condition in YALE_OPEN
                else condition)
        yield f"yale/{kind}", name, [img] * hold
    for name, img, lm in london(finder, "neutral"):
        shut = lowered(img, lm, (1.0, 1.0))
        yield "london/shut", name, [shut] * hold
        yield "blink", name, blinking(lowered(img, lm, (0.0, 0.0)), shut, fps)
        for c in LOOK_DOWN:
            yield f"look-down/{c}", name, [bowed(lowered(img, lm, (c, c)), BOW)] * hold
    for name, img, lm in london(finder, "happy"):
        yield "london/smiling-shut", name, [lowered(img, lm, (1.0, 1.0))] * hold
    for name, img in zip(names := photo_names(TCCE, "tcce/"), photos(TCCE, names)):
        if (kind := TCCE_SQUEEZED.get(name.split("/")[1][4])) is not None:
            yield f"tcce/{kind}", name, [img] * hold


def measure(holder: Holder, verbose: bool = False,
            only: Callable[[str], bool] = lambda s: True) -> dict:
    report = {}
    with FaceFinder(InputSpec()) as finder:  # stills: the landmarks the lids are lowered on
        for group, name, frames in videos(finder, holder.config.fps):
            if not only(group):
                continue
            labels = holder.labels(frames)
            row = report.setdefault(group, {"videos": 0, "sleepy": 0, "no_face_at_end": 0,
                                            "should_give_sleepy": SHOULD[group]})
            row["videos"] += 1
            row["sleepy"] += "sleepy" in labels
            row["no_face_at_end"] += labels[-1] is None
            if verbose:
                print(f"   {group:<20} {name:<45} {' '.join(str(x) for x in labels)}", flush=True)
    for group, row in report.items():
        print(f"{group:<20} 😴 {row['sleepy']}/{row['videos']}  (should: "
              f"{ {True: 'all', False: 'none', None: '-'}[row['should_give_sleepy']]})")
    return report


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="each video's labels")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--sets", nargs="*", help="only the sets starting with these names")
    ap.add_argument("--closed", type=float, default=SleepRule().closed,
                    help="the eyes' mean p(closed) that counts as shut (the rule's: %(default)s)")
    args = ap.parse_args(argv)
    holder = Holder(rule=SleepRule(closed=args.closed))
    report = {"rule": asdict(holder.rule), "sleep_hold": holder.config.sleep_hold,
              "fps": holder.config.fps, "hold_s": HOLD_S,
              "sets": measure(holder, args.verbose,
                              lambda g: not args.sets or g.startswith(tuple(args.sets)))}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
