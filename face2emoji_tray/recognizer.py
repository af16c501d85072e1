"""One frame → one Reading: the face stage, the expression model and the eye model together.

Used per frame by the engine (camera), and per image by `predict`, `eval` and the web page.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from face2emoji_tray.classifier import EXPRESSION_MODEL, EYE_MODEL, Classifier, loaded
from face2emoji_tray.emoji import FACE_CLASSES
from face2emoji_tray.eyes import EyeReader, Eyes, SleepRule, laughing, mouth_opening
from face2emoji_tray.face import FaceFinder, Pose
from face2emoji_tray.profile import Profile
from face2emoji_tray.shape import SHAPE_MODEL, ShapeFusion


@dataclass
class Reading:
    """What one frame says: how many faces and, for the largest, the expression."""

    faces: int
    probs: dict[str, float] | None = None  # by name: the model's classes, then taught faces
    eyes: Eyes | None = None
    box: tuple[int, int, int, int] | None = None
    note: str = ""
    features: np.ndarray | None = None  # the model's penultimate features (a profile's input)
    personal_wink: bool = False  # the person's own wink, as their profile taught it
    mouth: float | None = None  # the lips' gap over the mouth's width (eyes.mouth_opening)
    blendshapes: dict[str, float] | None = None  # the face's shape: MediaPipe's 52 scores
    pose: Pose | None = None  # the head's yaw, pitch and roll in degrees

    @property
    def wink(self) -> bool:
        """One eye shut, the other open: by the rule for everyone, or the person's own."""
        return (self.probs is not None and self.eyes is not None
                and (self.personal_wink or self.eyes.is_wink()))

    def asleep(self, rule: SleepRule = SleepRule()) -> bool:
        """Both eyes shut, and not in a laugh (eyes.py); the smoother asks it to be held. A
        face the person taught (their own, maybe made with the eyes shut) wins when it leads."""
        return (self.probs is not None and self.eyes is not None and self.eyes.shut(rule)
                and max(self.probs, key=self.probs.get) in FACE_CLASSES
                and not laughing(self.probs.get("happy", 0.0), self.mouth, rule))

    def label(self) -> str | None:
        """The still-image decision: a clear wink or shut eyes win, else the most likely
        expression."""
        if self.probs is None:
            return None
        if self.wink:
            return "wink"
        if self.asleep():
            return "sleepy"
        return max(self.probs, key=self.probs.get)


class Recognizer:
    """Not thread-safe (mediapipe): one per thread. `video=True` for one camera's frames,
    in order (the face stage follows the face, see FaceFinder); stills — photos, uploads,
    datasets — need the default."""

    def __init__(self, model: Path | str | Classifier = EXPRESSION_MODEL,
                 eye_model: Path | str | Classifier = EYE_MODEL, video: bool = False,
                 profile: Profile | None = None,
                 shape_model: Path | str | ShapeFusion | None = SHAPE_MODEL) -> None:
        self.classifier = loaded(model)
        self.eyes = EyeReader(eye_model)
        # the face's shape fused with its pixels; None reads the pixels alone (measurements)
        self.shape = (shape_model if shape_model is None or isinstance(shape_model, ShapeFusion)
                      else ShapeFusion(shape_model, classes=self.classifier.classes))
        self.finder = FaceFinder(self.classifier.spec, video=video)
        self.profile = profile  # the user's own faces; may be swapped while running

    def close(self) -> None:
        self.finder.close()

    def read(self, frame: np.ndarray, whole_image: bool = False) -> Reading:
        found = self.finder.prepare(frame, whole_image=whole_image)
        if found.face is None:
            return Reading(found.count, note="; ".join(found.notes))
        face = found.face
        outputs = self.classifier.run([face.crop])
        probs = outputs[0][0] if self.shape is None else self.shape.read(outputs[0][0], face)
        reading = Reading(found.count, dict(zip(self.classifier.classes, map(float, probs))),
                          self.eyes.read(face), face.box,
                          features=outputs[1][0] if len(outputs) > 1 else None,
                          mouth=None if face.landmarks is None else mouth_opening(face.landmarks),
                          blendshapes=face.blendshapes, pose=face.pose)
        return calibrated(reading, self.classifier.classes, self.profile)


def calibrated(reading: Reading, classes: tuple[str, ...], mine: Profile | None) -> Reading:
    """The reading as it is with the person's profile `mine`: their expressions (given the
    model's features) and their wink (given the eyes); unchanged without a profile or a face."""
    if mine is None or reading.probs is None:
        return reading
    if reading.features is not None:
        probs = mine.apply(classes, np.array([reading.probs[c] for c in classes], np.float32),
                           reading.features)
        reading = replace(reading, probs=probs)
    if mine.wink is not None and reading.eyes is not None:
        reading = replace(reading, personal_wink=mine.wink.matches(reading.eyes))
    return reading
