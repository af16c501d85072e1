"""The face's shape beside its pixels: MediaPipe's blendshapes, landmarks and head pose, read
by a small network and fused with the expression network's probabilities.

The expression network sees 64 gray pixels; the mesh measures where the brows, lids and lips
are. Posed faces (made on purpose, frontal) are where the shape tells most: a closed-mouth
smile, raised inner brows. ``models/shape.onnx`` holds the whole fusion in one graph: a
multilayer perceptron on the shape (averaged with its mirror image), and the mix with the
expression probabilities, whose weights were measured on held-out people
(training/fusion.py). A face seen from the side is read by its pixels alone, as the mesh's
shape is least sure there.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from face2emoji_tray.classifier import META_KEY, MODELS
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


def face_input(face: Face) -> np.ndarray | None:
    """A face found by the face stage → its shape input; None for a whole-image crop (no
    mesh was run)."""
    if face.landmarks is None or face.blendshapes is None or face.pose is None:
        return None
    return shape_input(np.fromiter(face.blendshapes.values(), np.float32, BLENDSHAPES),
                       face.landmarks, face.pose)


class ShapeFusion:
    """The expression probabilities of a face, given its pixels' reading and its shape."""

    def __init__(self, path: Path | str = SHAPE_MODEL, classes: tuple[str, ...] | None = None,
                 threads: int = 1) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"{self.path}: model file not found")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(self.path), opts,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT raises its own types for truncated/corrupt files
            first = str(exc).strip().splitlines()[0][:160]
            raise ModelError(f"{self.path}: not a loadable ONNX model ({first})") from None
        self.meta = self._read_meta()
        self.classes = tuple(self.meta["classes"])
        if classes is not None and tuple(classes) != self.classes:
            raise ModelError(f"{self.path}: made for classes {self.classes}, "
                             f"the expression model has {tuple(classes)}")
        names = [i.name for i in self._session.get_inputs()]
        if names != ["shape", "probs"]:
            raise ModelError(f"{self.path}: wrong architecture: inputs {names}")

    def _read_meta(self) -> dict:
        raw = self._session.get_modelmeta().custom_metadata_map.get(META_KEY)
        try:
            meta = json.loads(raw)
            if meta["input_size"] != SIZE or not isinstance(meta["classes"], list):
                raise ValueError(f"input of {meta['input_size']} values, expected {SIZE}")
            return meta
        except (TypeError, ValueError, KeyError) as exc:
            raise ModelError(f"{self.path}: not a Face2Emoji shape model ({exc})") from None

    def fuse(self, probs: np.ndarray, shapes: np.ndarray) -> np.ndarray:
        """(N, classes) expression probabilities and (N, SIZE) shape inputs → (N, classes)."""
        feeds = {"shape": np.asarray(shapes, np.float32).reshape(-1, SIZE),
                 "probs": np.asarray(probs, np.float32).reshape(-1, len(self.classes))}
        return self._session.run(None, feeds)[0]
