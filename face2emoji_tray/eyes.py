"""Eye state and the wink rule.

No dataset here has winks, so a wink is read from the eyes, with cues measured on real
winking photos (`python -m training.winks -v`):
- a small CNN trained on CEW eye patches gives p(closed) per eye;
- the face mesh (MediaPipe's 478 landmarks) gives each eye's aspect ratio (EAR:
  eyelid gap over eye width). Without the refinement the mesh hardly closes a winking eye
  (the two EARs stayed within 20% on most real winks); with it, the narrower eye's EAR is
  under half the wider one's on 19 of 21 real winks and on none of 30 open-eyed faces.
A wink is any of three cues:
- the eye model sees one eye closed and the other open (p(closed) differs by ≥ 0.85), or
- the mesh sees one eye shut and the other open (the narrower eye's EAR under half the wider
  one's), the eye model does not call the open one closed (p(closed) < 0.8: it is unsure on
  squinting eyes, 0.78 on one real wink's open eye) and leans towards the shut one (its
  p(closed) ≥ 0.2 above the other's); an open eye the eye model doubts (p ≥ 0.5) must look
  clearly open to the mesh (EAR ≥ 0.25): on closed eyes the mesh sometimes leaves one lid half
  open (training.closure: both lids lowered 90% read as a wink on 7 of 102 faces, 2 with this).
- MediaPipe's blendshapes see one eye blink and not the other (eyeBlink ≥ 0.3 against ≤ 0.15),
  the mesh agrees that eye is the narrower (EAR ratio under 0.6) and the eye model does not
  call the other closed (p(closed) < 0.8). With the Face
  Landmarker's landmarks the first two cues found 18 of the 21 real winks; with this one 21
  (Yale 11 → 12 of 15), still none of the open-eyed or shut-eyed dev and Yale photos, and
  13 instead of 10 of the 884 FER2013 public_test smiles the stage measures (one frame each;
  live, a wink must also be held).
A blink, or a laugh that squeezes both eyes, closes both alike: the eye model calls both
closed and the mesh sees no eye open beside a shut one; a broad smile narrows both alike;
half-closed sleepy eyes are both closed to the eye model: none of them is a wink. Nor is a
turned head, whose far eye only looks narrower: both cues need the eyes' widths (corner to
corner) within 0.65 of each other; real winks measured 0.70–1.00, while two of FER2013's
smiles read as winks were turned heads at 0.50 and 0.56. Over time, the smoother also asks
that a wink be held 0.4 s, longer than a blink.
Chosen on dev.zip and Yale against FER2013 smiles (training.evaluate's false winks):
the eye model alone (difference 0.8) found 14/21 and 7/15 and read 0.5% of smiles as winks;
with the EAR cue 19/21 and 9/15, 1.5% of smiles; with the frontal-face check 1.1% (6/551);
with the eye model's difference raised to 0.85 (the EAR cue finds the winks it then misses)
0.7% (4/551), the same 19/21 and 9/15.

Some people's winks are slight (Yale's: the winking eye half shut, the other squinting): no
threshold finds them without reading a laughing stranger's squint as a wink. A person can
teach their own wink instead (`PersonalWink`, kept in their profile): which eye they close,
and how far their wink sits from their other faces on each cue.

Both eyes shut (`Eyes.shut`, the 😴 rule; the smoother asks that they stay shut 1.5 s, far
longer than a blink): the eye model calls both closed, p(closed) ≥ 0.93 on average (so each
≥ 0.86), and the mesh sees neither eye clearly open (EAR < 0.25, as for the wink). Real shut
eyes read 0.93–1.00 (winks/dev's sleeping and laughing photos, Yale's sleepy ones; with the Face
Landmarker's landmarks 0.85 read 12 of 102 synthetic look-downs as shut, 0.93 reads 7); a real
downward gaze with the lids low (Yale's sad subject05) 0.74–0.80 and, live, an EAR as low as
shut eyes': the threshold sits between them. A laugh also shuts both eyes: it is told apart by
the expression model (happy ≥ 0.5) or the mouth (open by ≥ 0.15 of its width; on every
sleeping or sleepy real photo here ≤ 0.06). `python -m training.sleepy`, models/README.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from face2emoji_tray.classifier import EYE_MODEL, Classifier, loaded
from face2emoji_tray.face import Face


@dataclass(frozen=True)
class WinkRule:
    difference: float = 0.85  # p(closed) of one eye at least this much above the other's
    ear_ratio: float = 0.5  # narrower eye's EAR under this fraction of the wider one's...
    open_eye: float = 0.8  # ...while the wider eye's p(closed) is below this...
    lean: float = 0.2  # ...and the narrower eye's p(closed) at least this much above it;
    doubted: float = 0.5  # a wider eye the eye model doubts this much (p(closed) ≥ this)...
    open_ear: float = 0.25  # ...must look clearly open to the mesh (EAR ≥ this)
    blink: float = 0.3  # the blendshapes' cue: one eye's eyeBlink at least this...
    blink_open: float = 0.15  # ...the other's at most this...
    blink_ear: float = 0.6  # ...and the blinking eye the narrower to the mesh (EAR ratio)
    frontal: float = 0.65  # every cue: the eyes' widths within this ratio (not a turned head)


@dataclass(frozen=True)
class SleepRule:
    closed: float = 0.93  # both eyes' mean p(closed) at least this...
    open_ear: float = 0.25  # ...while the mesh sees neither eye open (EAR under this);
    happy: float = 0.5  # but a face this happy to the expression model is laughing...
    mouth: float = 0.15  # ...and so is a mouth open this much (gap over width)


# Inner lip contour of the face mesh: the middle of the upper and lower lip, the two corners.
MOUTH = (13, 14, 78, 308)


def mouth_opening(landmarks: np.ndarray) -> float:
    """The lips' gap over the mouth's width: about 0 closed, 0.2–0.5 laughing, more agape."""
    top, bottom, left, right = (landmarks[i] for i in MOUTH)
    width = float(np.linalg.norm(right - left))
    return float(np.linalg.norm(bottom - top)) / width if width > 0 else 0.0


def laughing(happy: float, mouth: float | None, rule: SleepRule = SleepRule()) -> bool:
    """A laugh that squeezes both eyes shut is not sleep: the expression model or the mouth
    (None: not measured) tells it."""
    return happy >= rule.happy or (mouth is not None and mouth >= rule.mouth)


@dataclass(frozen=True)
class Eyes:
    closed: tuple[float, float]  # p(closed), (left, right)
    openness: tuple[float, float]  # EAR, (left, right), from the refined face mesh
    widths: tuple[float, float] = (1.0, 1.0)  # corner to corner, (left, right)
    blinks: tuple[float, float] | None = None  # MediaPipe's eyeBlinkLeft/Right, 0–1

    def frontal(self, rule: WinkRule = WinkRule()) -> bool:
        """False for a turned head: its far eye only looks narrower and less open."""
        return min(self.widths) >= rule.frontal * max(self.widths)

    def lean(self, side: int) -> float:
        """How much more closed eye `side` is than the other to the eye model."""
        return self.closed[side] - self.closed[1 - side]

    def ratio(self, side: int) -> float:
        """Eye `side`'s EAR over the other's: under 1 when it is the narrower."""
        return max(self.openness[side], 1e-6) / max(self.openness[1 - side], 1e-6)

    def shut(self, rule: SleepRule = SleepRule()) -> bool:
        """Both eyes closed to the eye model, and neither open to the mesh. Never a wink too:
        each eye's p(closed) is then ≥ 0.86, and a wink needs one under 0.15, or one under 0.8
        that the mesh sees clearly open."""
        return sum(self.closed) / 2 >= rule.closed and max(self.openness) < rule.open_ear

    def is_wink(self, rule: WinkRule = WinkRule()) -> bool:
        if not self.frontal(rule):
            return False
        lo, hi = sorted(self.closed)
        if hi - lo >= rule.difference:
            return True
        wide = 0 if self.openness[0] >= self.openness[1] else 1
        narrow = 1 - wide
        if (self.openness[narrow] < rule.ear_ratio * self.openness[wide]
                and self.closed[wide] < rule.open_eye
                and (self.closed[wide] < rule.doubted or self.openness[wide] >= rule.open_ear)
                and self.closed[narrow] - self.closed[wide] >= rule.lean):
            return True
        return self.blinks is not None and self.blinking(narrow, rule)

    def blinking(self, side: int, rule: WinkRule = WinkRule()) -> bool:
        """The blendshapes' cue: eye `side` blinks and the other does not, the mesh agrees it
        is the narrower one, and the eye model does not call the other closed."""
        shut, other = self.blinks[side], self.blinks[1 - side]
        return (shut >= rule.blink and other <= rule.blink_open
                and self.openness[side] < rule.blink_ear * self.openness[1 - side]
                and self.closed[1 - side] < rule.open_eye)


@dataclass(frozen=True)
class PersonalWink:
    """One person's wink: the eye they close, and the least lean (eye model) and the largest
    EAR ratio (mesh) that still count as their wink. A cue that did not tell their wink from
    their other faces is left out (lean -1, ratio inf); at least one cue is always in use."""

    side: int  # 0: their left eye, 1: their right (as in Eyes)
    lean: float
    ratio: float
    floor: ClassVar[float] = 0.1  # a cue must part wink and other faces by this much...
    open_eye: ClassVar[float] = 0.8  # ...and the other eye must not read as closed
    # Before any other face is seen, an open-eyed face's usual readings (Yale's normal
    # faces: lean under 0.05, ratio over 0.85) stand for them.
    usual_lean: ClassVar[float] = 0.0
    usual_ratio: ClassVar[float] = 0.9

    def matches(self, eyes: Eyes) -> bool:
        """Their wink: the taught eye shut as far as taught, the other open, facing us."""
        return (eyes.frontal() and eyes.closed[1 - self.side] < self.open_eye
                and eyes.lean(self.side) >= self.lean and eyes.ratio(self.side) <= self.ratio)

    @staticmethod
    def _side(winks: list[Eyes]) -> int:
        """The eye both cues call more closed over the wink's frames: the eye model's lean
        (-1 … 1) plus the mesh's log EAR ratio (about -2 … 2 once clamped) — each is 0 for
        two alike eyes, so they add up when they agree and cancel when they do not."""
        def shut(e: Eyes, s: int) -> float:
            return e.lean(s) - math.log(min(max(e.ratio(s), 0.1), 10.0))
        return max((0, 1), key=lambda s: float(np.median([shut(e, s) for e in winks])))

    @classmethod
    def learn(cls, winks: list[Eyes], others: list[Eyes]) -> "PersonalWink":
        """From the frames of a person's wink and of their other faces: thresholds halfway
        between their wink (median) and the most wink-like of their other faces, per cue.
        ValueError (one line) when neither cue tells the wink apart."""
        winks = [e for e in winks if e.frontal()]
        if not winks:
            raise ValueError("no frame showed both eyes, facing the camera")
        others = [e for e in others if e.frontal()]  # matches() never sees turned heads either
        side = cls._side(winks)
        lean = float(np.median([e.lean(side) for e in winks]))
        ratio = float(np.median([e.ratio(side) for e in winks]))
        lean_other = max([e.lean(side) for e in others] + [cls.usual_lean])
        ratio_other = min([e.ratio(side) for e in others] + [cls.usual_ratio])
        use_lean = lean - lean_other >= cls.floor
        use_ratio = ratio_other - ratio >= cls.floor
        if not (use_lean or use_ratio) or min(e.closed[1 - side] for e in winks) >= cls.open_eye:
            raise ValueError("this wink looks like your other faces to the eye readings: "
                             "shut one eye fully and keep the other open")
        return cls(side,
                   max((lean + lean_other) / 2, cls.floor) if use_lean else -1.0,
                   min((ratio + ratio_other) / 2, 1 - cls.floor) if use_ratio else math.inf)

    def to_json(self) -> dict:
        return {"side": self.side, "lean": self.lean,
                "ratio": None if math.isinf(self.ratio) else self.ratio}

    @classmethod
    def from_json(cls, data: dict) -> "PersonalWink":
        """Only what `learn` can make: a file edited into a wink that matches every face (no
        cue in use) or into values learn never gives is refused."""
        side, lean, ratio = data["side"], data["lean"], data["ratio"]
        lean_ok = lean == -1 or (isinstance(lean, (int, float)) and cls.floor <= lean <= 1)
        ratio_ok = ratio is None or (isinstance(ratio, (int, float))
                                     and 0 < ratio <= 1 - cls.floor)
        if (type(side) is not int or side not in (0, 1) or not lean_ok or not ratio_ok
                or (lean == -1 and ratio is None)):
            raise ValueError(f"a wink of side {side!r}, lean {lean!r}, ratio {ratio!r}")
        return cls(side, float(lean), math.inf if ratio is None else float(ratio))


class EyeReader:
    """p(closed) for both eyes of an aligned face."""

    def __init__(self, model: Path | str | Classifier = EYE_MODEL) -> None:
        self.model = loaded(model)
        self._closed = self.model.classes.index("closed")

    def read(self, face: Face) -> Eyes | None:
        """None when the face has no eye measurements (whole-image mode)."""
        if face.eye_patches is None or face.eye_openness is None or face.eye_widths is None:
            return None
        p = self.model.probs(list(face.eye_patches))[:, self._closed]
        blinks = None if face.blendshapes is None else (face.blendshapes["eyeBlinkLeft"],
                                                        face.blendshapes["eyeBlinkRight"])
        return Eyes(closed=(float(p[0]), float(p[1])), openness=face.eye_openness,
                    widths=face.eye_widths, blinks=blinks)
