"""Eye state and the wink rule.

No dataset here has winks, so a wink is read from the eyes: a small CNN trained on CEW eye
patches gives p(closed) per eye, and the eye aspect ratio (EAR) from the landmarks says how
differently the two eyes are open. A wink is one eye closed while the other is open AND a
clear difference in EAR: a broad smile narrows both eyes alike (high EAR ratio), a blink
closes both (both p(closed) high), and neither is a wink. Over time, the smoother also asks
that a wink be held longer than a blink.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from face2emoji_tray.classifier import EYE_MODEL, Classifier, loaded
from face2emoji_tray.face import Face


@dataclass(frozen=True)
class WinkRule:
    closed: float = 0.6  # p(closed) at or above: that eye is closed
    open: float = 0.4  # p(closed) at or below: that eye is open
    ratio: float = 0.75  # EAR of the narrower eye over the wider one must be below this


@dataclass(frozen=True)
class Eyes:
    closed: tuple[float, float]  # p(closed), (left, right)
    openness: tuple[float, float]  # EAR, (left, right)

    def is_wink(self, rule: WinkRule = WinkRule()) -> bool:
        lo, hi = sorted(self.closed)
        narrow, wide = sorted(self.openness)
        asymmetric = wide > 0 and narrow / wide < rule.ratio
        return hi >= rule.closed and lo <= rule.open and asymmetric

    def both_closed(self, rule: WinkRule = WinkRule()) -> bool:
        return min(self.closed) >= rule.closed


class EyeReader:
    """p(closed) for both eyes of an aligned face."""

    def __init__(self, model: Path | str | Classifier = EYE_MODEL) -> None:
        self.model = loaded(model)
        self._closed = self.model.classes.index("closed")

    def read(self, face: Face) -> Eyes | None:
        """None when the face has no eye measurements (whole-image mode)."""
        if face.eye_patches is None or face.eye_openness is None:
            return None
        p = self.model.probs(list(face.eye_patches))[:, self._closed]
        return Eyes(closed=(float(p[0]), float(p[1])), openness=face.eye_openness)
