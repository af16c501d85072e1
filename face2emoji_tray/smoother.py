"""From per-frame readings to a steady state: a window, a threshold, hysteresis, eyes held.

A single frame is noisy (a blink, motion blur, a half-turned head); the emoji a user gets
comes from the mean of the class probabilities over the last `window` seconds. The label
changes only when another class beats it by `margin`, so it does not flicker between two
close classes. "No face" and "unsure" are states of their own, and a wink counts only when
held for `wink_hold` seconds with the other eye open (a blink closes both, and is shorter).
Both eyes shut (not in a laugh) count as sleepy only when held for `sleep_hold` seconds:
a blink lasts 0.1–0.4 s, and a glance at the keyboard is over before that.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from face2emoji_tray.eyes import SleepRule
from face2emoji_tray.recognizer import Reading

NO_FACE, UNSURE, EXPRESSION = "no_face", "unsure", "expression"


@dataclass(frozen=True)
class State:
    kind: str  # NO_FACE, UNSURE or EXPRESSION
    label: str | None = None  # a class when kind is EXPRESSION
    confidence: float = 0.0
    probs: dict[str, float] | None = None
    faces: int = 0

    def describe(self, confidence: bool = True) -> str:
        """One line for people. The tray leaves out the confidence (`confidence=False`): it
        changes with every frame and tells a user nothing the emoji does not."""
        if self.kind == NO_FACE:
            return "no face"
        notes = [f"{self.confidence:.0%}"] if confidence else []
        if self.kind == EXPRESSION and self.faces > 1:
            notes.append(f"{self.faces} faces: using the largest")
        name = self.label if self.kind == EXPRESSION else "unsure"
        return f"{name} ({', '.join(notes)})" if notes else name


class Smoother:
    def __init__(self, window: float = 1.0, threshold: float = 0.45, margin: float = 0.1,
                 wink_hold: float = 0.4, min_face_share: float = 0.5,
                 sleep_hold: float = 1.5, sleep_rule: SleepRule = SleepRule()) -> None:
        self.window, self.threshold, self.margin = window, threshold, margin
        self.wink_hold, self.min_face_share = wink_hold, min_face_share
        self.sleep_hold, self.sleep_rule = sleep_hold, sleep_rule
        self._frames: deque[tuple[float, Reading]] = deque()
        self._label: str | None = None
        self._wink_since: float | None = None
        self._shut_since: float | None = None
        self._voted: State | None = None  # the last state the frames voted for

    def reset(self) -> None:
        self._frames.clear()
        self._label, self._wink_since, self._shut_since, self._voted = None, None, None, None

    def add(self, t: float, reading: Reading) -> State:
        """One more frame at time `t` (seconds, monotonic); returns the state at `t`."""
        self._frames.append((t, reading))
        # Any other frame (open eyes, a blink, a laugh, no face) ends a wink or a sleep.
        self._wink_since = _since(self._wink_since, t, reading.wink)
        self._shut_since = _since(self._shut_since, t, reading.asleep(self.sleep_rule))
        return self.state(t)

    def state(self, now: float) -> State:
        """The state at `now`; frames older than the window no longer count (a stalled
        camera gives "no face", never a stale emoji)."""
        while self._frames and self._frames[0][0] < now - self.window:
            self._frames.popleft()
        with_face = [r for _, r in self._frames if r.probs is not None]
        if not self._frames or len(with_face) < self.min_face_share * len(self._frames):
            self._label, self._voted = None, None
            return State(NO_FACE, faces=0)
        faces = with_face[-1].faces
        if _held(self._wink_since, self.wink_hold, now):
            return State(EXPRESSION, "wink", 1.0, None, faces)
        if _held(self._shut_since, self.sleep_hold, now):
            return State(EXPRESSION, "sleepy", 1.0, None, faces)
        # A winking or sleeping face's expression is unreliable (one eye shut reads as sad or
        # angry, both often as sad): such frames do not vote. While the eyes are shut but not
        # yet for sleep_hold (longer than the window), the emoji stays what it was.
        votes = [r for r in with_face if not (r.wink or r.asleep(self.sleep_rule))]
        if not votes and self._voted is not None:
            return replace(self._voted, faces=faces)
        self._voted = self._vote(votes or with_face, faces)
        return self._voted

    def _vote(self, votes: list[Reading], faces: int) -> State:
        """The frames' mean probabilities → a label, with the threshold and hysteresis."""
        # By name, over every name in the window: a profile saved meanwhile adds taught faces.
        names = dict.fromkeys(c for r in votes for c in r.probs)
        mean = {c: sum(r.probs.get(c, 0.0) for r in votes) / len(votes) for c in names}
        best = max(mean, key=mean.get)
        keep = self._label in mean and mean[self._label] >= self.threshold
        if keep and mean[best] < mean[self._label] + self.margin:
            best = self._label
        self._label = best if mean[best] >= self.threshold else None
        if self._label is None:
            return State(UNSURE, None, mean[best], mean, faces)
        return State(EXPRESSION, best, mean[best], mean, faces)


def _since(since: float | None, t: float, still: bool) -> float | None:
    """When a held state began: kept while it goes on, set at `t` when it starts, None after."""
    if not still:
        return None
    return t if since is None else since


def _held(since: float | None, hold: float, now: float) -> bool:
    return since is not None and now - since >= hold
