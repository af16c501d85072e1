"""Eye state and the wink rule.

No dataset here has winks, so a wink is read from the eyes: a small CNN trained on CEW eye
patches gives p(closed) per eye, and a wink is one eye clearly closed while the other is
clearly open: p(closed) differs by at least 0.8 between the eyes. A blink
or a laugh that squeezes both eyes closes both, a broad smile narrows both alike, and neither
is a wink. Over time, the smoother also asks that a wink be held longer than a blink.

The face mesh's eye aspect ratio (EAR) is not part of the rule: measured on real winks
(`python -m training.winks -v`), mediapipe's mesh hardly closes a winking eye (its two EARs
stay within 20% of each other on most of them), so requiring an EAR difference rejected
21 of 21 real winks while the eye model already saw the closed eye. The difference of 0.8
was chosen on real photos (training.winks) against smiles (training.evaluate's false winks):
"one eye ≥ 0.6, the other ≤ 0.4" found 17/21 winks but read 4.2% of FER2013 smiles as winks;
a difference of 0.8 finds 14/21 (Yale 7/15) and reads 0.5% (3/551) of the smiles as winks.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from face2emoji_tray.classifier import EYE_MODEL, Classifier, loaded
from face2emoji_tray.face import Face


@dataclass(frozen=True)
class WinkRule:
    closed: float = 0.6  # p(closed) at or above: that eye is closed (both: a blink)
    difference: float = 0.8  # p(closed) of one eye at least this much above the other's


@dataclass(frozen=True)
class Eyes:
    closed: tuple[float, float]  # p(closed), (left, right)
    openness: tuple[float, float]  # EAR, (left, right): reported, not used by the rule

    def is_wink(self, rule: WinkRule = WinkRule()) -> bool:
        lo, hi = sorted(self.closed)
        return hi - lo >= rule.difference

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
