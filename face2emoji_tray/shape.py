"""The face's shape beside its pixels: MediaPipe's blendshapes, landmarks and head pose, read
by a small network and fused with the expression network's probabilities.

The expression network sees 64 gray pixels; the mesh measures where the brows, lids and lips
are. Posed faces (made on purpose, frontal) are where the shape tells most: a slight smile,
raised inner brows. ``models/shape.onnx`` holds the whole fusion in one graph: a multilayer
perceptron on the shape (averaged with its mirror image), and the mix with the expression
probabilities, whose weight, turn and temperature were chosen on validation faces
(training/fusion.py). A face turned or nodding away is read by its pixels alone, as the
mesh's shape is least sure there.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from face2emoji_tray.classifier import MODELS, open_session, read_meta
from face2emoji_tray.face import LEFT_EYE, RIGHT_EYE, Face, Pose
from face2emoji_tray.shipped import ModelError

SHAPE_MODEL = MODELS / "shape.onnx"
LANDMARKS = 478
BLENDSHAPES = 52
POSE_SCALE = 30.0  # degrees: the pose enters the network as yaw/30, pitch/30, roll/30
SIZE = BLENDSHAPES + 2 * LANDMARKS + 3


def aligned(landmarks: np.ndarray) -> np.ndarray:
    """(478, 2) landmarks in pixels → the same with the eyes level, their midpoint at the
    origin and one unit between them: where the image was taken, how large the face was and
    how the head leant no longer count."""
    pts = np.asarray(landmarks, np.float64)
    right, left = pts[list(RIGHT_EYE)].mean(axis=0), pts[list(LEFT_EYE)].mean(axis=0)
    dx, dy = left - right
    dist = math.hypot(dx, dy) or 1.0
    c, s = dx / dist, dy / dist
    rot = np.array([[c, s], [-s, c]]) / dist  # rotates the eye line onto +x and scales
    return ((pts - (left + right) / 2) @ rot.T).astype(np.float32)


def shape_input(blendshapes: np.ndarray, landmarks: np.ndarray, pose: Pose | np.ndarray) -> np.ndarray:
    """One face's shape as the network reads it: 52 blendshape scores (MediaPipe's order),
    the aligned landmarks flattened, and the pose in units of POSE_SCALE degrees."""
    if isinstance(pose, Pose):
        pose = (pose.yaw, pose.pitch, pose.roll)
    parts = (np.asarray(blendshapes, np.float32).reshape(-1),
             aligned(landmarks).reshape(-1),
             np.asarray(pose, np.float32).reshape(-1) / POSE_SCALE)
    vector = np.concatenate(parts)
    if vector.size != SIZE:
        raise ValueError(f"a shape of {vector.size} values, expected {SIZE}")
    return vector


class ShapeFusion:
    """The expression probabilities of a face, given its pixels' reading and its shape."""

    def __init__(self, path: Path | str = SHAPE_MODEL, classes: tuple[str, ...] | None = None,
                 threads: int = 1) -> None:
        self.path = Path(path)
        self._session = open_session(self.path, threads)
        self.meta = read_meta(self.path, self._session)
        self.classes, self.blendshapes = self._names()
        self._known = frozenset(self.blendshapes)
        if classes is not None and tuple(classes) != self.classes:
            raise ModelError(f"{self.path}: made for classes {self.classes}, "
                             f"the expression model has {tuple(classes)}")
        self._check_graph()

    def _names(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(classes, blendshape names in input order) from the metadata, checked."""
        classes, names = self.meta.get("classes"), self.meta.get("blendshapes")
        for what, value, size in (("classes", classes, None), ("blendshapes", names, BLENDSHAPES)):
            if (not isinstance(value, list) or not value or len(set(value)) != len(value)
                    or not all(isinstance(v, str) for v in value)
                    or size is not None and len(value) != size):
                raise ModelError(f"{self.path}: not a Face2Emoji shape model (its {what} are "
                                 f"not a list of {size or 'distinct'} names)")
        if self.meta.get("input_size") != SIZE:
            raise ModelError(f"{self.path}: not a Face2Emoji shape model (input of "
                             f"{self.meta.get('input_size')!r} values, expected {SIZE})")
        return tuple(classes), tuple(names)

    def _check_graph(self) -> None:
        """Inputs `shape` (N, SIZE) and `probs` (N, classes), one output (N, classes), and a
        first run that gives probabilities: a foreign graph is refused here, not per frame."""
        n = len(self.classes)
        inputs = [(i.name, i.shape[-1]) for i in self._session.get_inputs()]
        outputs = [o.shape[-1] for o in self._session.get_outputs()]
        if inputs != [("shape", SIZE), ("probs", n)] or outputs != [n]:
            raise ModelError(f"{self.path}: wrong architecture: inputs {inputs}, outputs {outputs}")
        uniform = np.full((1, n), 1 / n, np.float32)
        try:
            out = self._session.run(None, {"shape": np.zeros((1, SIZE), np.float32),
                                           "probs": uniform})[0]
        except Exception as exc:  # ORT's own errors, many lines
            raise ModelError(f"{self.path}: cannot be run ({str(exc).splitlines()[0][:160]})") from None
        if out.shape != (1, n) or not np.isfinite(out).all() or abs(float(out.sum()) - 1) > 1e-3:
            raise ModelError(f"{self.path}: gives no probabilities on a first run")

    def input(self, face: Face) -> np.ndarray | None:
        """A face found by the face stage → its shape input; None for a whole-image crop (no
        mesh was run) or blendshapes other than the model's (the pixels alone then)."""
        if face.landmarks is None or face.blendshapes is None or face.pose is None:
            return None
        if face.blendshapes.keys() != self._known:  # a set view: no set built per frame
            return None
        scores = np.array([face.blendshapes[n] for n in self.blendshapes], np.float32)
        return shape_input(scores, face.landmarks, face.pose)

    def read(self, probs: np.ndarray, face: Face) -> np.ndarray:
        """One face's (classes,) expression probabilities with its shape fused; as given where
        the face has no shape this model reads (see input)."""
        shape = self.input(face)
        return probs if shape is None else self.fuse(probs[None], shape[None])[0]

    def fuse(self, probs: np.ndarray, shapes: np.ndarray) -> np.ndarray:
        """(N, classes) expression probabilities and (N, SIZE) shape inputs → (N, classes);
        the probabilities as they were where the model gives no finite answer."""
        probs = np.asarray(probs, np.float32).reshape(-1, len(self.classes))
        feeds = {"shape": np.asarray(shapes, np.float32).reshape(-1, SIZE), "probs": probs}
        fused = self._session.run(None, feeds)[0]
        return fused if np.isfinite(fused).all() else probs
