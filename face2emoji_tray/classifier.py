"""Load a model file with its metadata and turn face (or eye) crops into class probabilities.

Models are ONNX files run by ONNX Runtime: the app never imports torch (681 MB resident
against 54 MB). Each file carries its own metadata (classes, input size, colour, normalisation,
provenance) under the ONNX metadata key ``face2emoji``, so a model and its preprocessing can
never drift apart.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from face2emoji_tray.preprocess import InputSpec, to_input
from face2emoji_tray.shipped import ModelError, shipped_dir

MODELS = shipped_dir("models")
EXPRESSION_MODEL = MODELS / "expression.onnx"
EYE_MODEL = MODELS / "eyes.onnx"
META_KEY = "face2emoji"


def file_sha256(path: Path) -> str:
    """A file's SHA-256: what a model (or the data a model was trained on) is named by."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class ModelInfo:
    classes: tuple[str, ...]
    spec: InputSpec
    meta: dict


def open_session(path: Path, threads: int = 1):
    """An ONNX Runtime session on one of our model files, on `threads` threads; ModelError in
    one line naming the file when it is missing or not a loadable model."""
    import onnxruntime as ort

    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own types for truncated/corrupt files
        first = str(exc).strip().splitlines()[0][:160]
        raise ModelError(f"{path}: not a loadable ONNX model ({first})") from None


def read_meta(path: Path, session) -> dict:
    """The file's own metadata (key META_KEY) as a JSON object; ModelError otherwise."""
    raw = session.get_modelmeta().custom_metadata_map.get(META_KEY)
    if raw is None:
        raise ModelError(f"{path}: not a Face2Emoji model (no '{META_KEY}' metadata)")
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise ModelError(f"{path}: unreadable model metadata ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelError(f"{path}: unreadable model metadata (not a JSON object)")
    return meta


def _read_meta(path: Path, session) -> ModelInfo:
    meta = read_meta(path, session)
    try:
        spec = InputSpec(**meta["input"])
        classes = tuple(meta["classes"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: unreadable model metadata ({exc})") from None
    return ModelInfo(classes, spec, meta)


def _check_shapes(path: Path, session, info: ModelInfo) -> None:
    """The graph must take the input the metadata describes and give one score per class
    (and, for the expression model, its features as a second output)."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or len(outputs) not in (1, 2):
        raise ModelError(f"{path}: wrong architecture: {len(inputs)} inputs, {len(outputs)} outputs")
    inp, out = inputs[0], outputs[0]
    want = [info.spec.channels, info.spec.size, info.spec.size]
    if list(inp.shape[1:]) != want:
        raise ModelError(f"{path}: wrong architecture: input {inp.shape}, metadata says {want}")
    if out.shape[-1] != len(info.classes):
        raise ModelError(f"{path}: wrong architecture: {out.shape[-1]} outputs "
                         f"for {len(info.classes)} classes")


class Classifier:
    """Probabilities over a model's classes for preprocessed crops."""

    def __init__(self, path: Path | str = EXPRESSION_MODEL, threads: int = 1) -> None:
        self.path = Path(path)
        self._session = open_session(self.path, threads)
        self.info = _read_meta(self.path, self._session)
        _check_shapes(self.path, self._session, self.info)
        self._input = self._session.get_inputs()[0].name

    @property
    def classes(self) -> tuple[str, ...]:
        return self.info.classes

    @property
    def spec(self) -> InputSpec:
        return self.info.spec

    @cached_property
    def sha256(self) -> str:
        """The model file's SHA-256: a profile is valid for this exact model only."""
        return file_sha256(self.path)

    @property
    def has_features(self) -> bool:
        """Whether the model also gives penultimate features (what a profile needs)."""
        return len(self._session.get_outputs()) == 2

    @property
    def feature_size(self) -> int:
        """How many features per face (0 without a features output)."""
        return int(self._session.get_outputs()[1].shape[-1]) if self.has_features else 0

    def run(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        """uint8 crops (the face stage's output) → [(N, classes) probabilities, and
        (N, F) features where the model has them]."""
        batch = np.stack([to_input(c, self.spec) for c in crops]).astype(np.float32)
        return self._session.run(None, {self._input: batch})

    def probs(self, crops: list[np.ndarray]) -> np.ndarray:
        """uint8 crops → (N, classes) probabilities."""
        return self.run(crops)[0]

    def predict(self, crop: np.ndarray) -> dict[str, float]:
        """One crop → {class: probability}."""
        return dict(zip(self.classes, map(float, self.probs([crop])[0])))


def loaded(model: Path | str | Classifier) -> Classifier:
    """A model file → its Classifier; an already loaded one is shared as it is (ONNX Runtime
    sessions may be used from several threads), so the tray loads each file once."""
    return model if isinstance(model, Classifier) else Classifier(model)
