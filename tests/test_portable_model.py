"""The shipped int8 model gives the same answers on every x86 CPU.

ONNX Runtime's optimised U8S8 kernels add pairs of u8×s8 products in 16 bits on CPUs with AVX2
but no VNNI (most AMD Zen 2/3 and pre-2019 Intel laptops), which saturates with full 8-bit
weights. No session option forces those kernels on a VNNI machine, so two checks together
catch it anywhere: the weights fit in 7 bits (then no pair can overflow), and the optimised
session agrees with the unoptimised one (the QDQ graph run as float: the exact int8 arithmetic).
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, numpy_helper

from face2emoji_tray.classifier import EXPRESSION_MODEL, Classifier
from face2emoji_tray.preprocess import to_input, whole_image_crop
from tests.conftest import fer_faces


def test_every_int8_weight_of_the_shipped_model_fits_in_seven_bits():
    weights = [numpy_helper.to_array(t) for t in onnx.load(str(EXPRESSION_MODEL)).graph.initializer
               if t.data_type == TensorProto.INT8]
    assert len(weights) >= 40  # every convolution and the classifier of both networks
    assert max(int(np.abs(w.astype(np.int32)).max()) for w in weights) <= 64


def _session(level: ort.GraphOptimizationLevel) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = level
    return ort.InferenceSession(str(EXPRESSION_MODEL), opts, providers=["CPUExecutionProvider"])


def test_the_optimised_model_computes_what_its_int8_arithmetic_says_on_real_faces():
    spec = Classifier(EXPRESSION_MODEL).spec
    faces = [f for cls in ("happy", "sad", "surprise", "angry", "fear", "neutral")
             for f in fer_faces(cls, 10)]
    batch = np.stack([to_input(whole_image_crop(f, spec), spec) for f in faces]).astype(np.float32)
    fast = _session(ort.GraphOptimizationLevel.ORT_ENABLE_ALL).run(None, {"input": batch})[0]
    exact = _session(ort.GraphOptimizationLevel.ORT_DISABLE_ALL).run(None, {"input": batch})[0]
    assert np.abs(fast - exact).max() <= 0.01
    assert (fast.argmax(1) == exact.argmax(1)).all()
