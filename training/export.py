"""Export a trained network to ONNX for the app, with its metadata inside the file.

    python -m training.export runs/cpu/best.pt      # → models/expression.onnx + .pt + SHA256SUMS

    python -m training.export runs/a/best.pt runs/b/best.pt --int8   # ensemble, int8

Weights are stored as float16 in the file (half the size) and cast back to float32 when
ONNX Runtime loads it (constant folding), so the model computes in float32 as trained.
With `--int8` the graph is quantized instead (ONNX Runtime static quantization, int8 weights
per channel and uint8 activations calibrated on training faces): a quarter of the float32
size and several times faster on CPUs with int8 dot-product instructions.

The weights are quantized to 7 bits (``reduce_range``): on x86 CPUs with AVX2 but no VNNI,
ONNX Runtime's U8S8 kernels add pairs of u8×s8 products in 16 bits, which saturate with 8-bit
weights (the earlier model changed 15% of its labels there); a pair of u8×s7 products cannot
overflow, so AVX2, AVX-512 and VNNI machines compute the same integers.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from face2emoji_tray.classifier import EXPRESSION_MODEL, META_KEY, MODELS, file_sha256
from face2emoji_tray.emoji import FACE_CLASSES
from face2emoji_tray.preprocess import InputSpec
from training.data import DATA, FER_TRAIN, fer_label, read_zip, source_zip, to_batch
from training.model import Probabilities, build


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def store_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """float32 initializers → float16 + a Cast node back to float32 (folded at load)."""
    graph = model.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or init.dims == [] or np.prod(init.dims) < 16:
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16),
                                       init.name + "_fp16")
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT))
        init.CopyFrom(half)
    for node in reversed(casts):
        graph.node.insert(0, node)
    return model


CALIBRATION_FACES = 300  # training faces whose activations set the int8 ranges


def _from_softmax_on(graph: onnx.GraphProto) -> list[str]:
    """Names of the Softmax nodes and everything computed from them: probabilities stay
    float32 (quantized to uint8 they would no longer sum to one)."""
    names, tainted = [], set()
    for node in graph.node:  # ONNX graphs are topologically sorted
        if node.op_type == "Softmax" or tainted.intersection(node.input):
            names.append(node.name)
            tainted.update(node.output)
    return names


def quantize(path: Path, spec: InputSpec) -> onnx.ModelProto:
    """The float32 ONNX file at `path` → a statically quantized (QDQ, int8) model."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    faces = to_batch(read_zip(FER_TRAIN, fer_label, limit=CALIBRATION_FACES, seed=1).x, spec)

    class Faces(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([{"input": faces[i : i + 1]} for i in range(len(faces))])

        def get_next(self) -> dict | None:
            return next(self.batches, None)

    prepared, quantized = path.with_suffix(".pre.onnx"), path.with_suffix(".int8.onnx")
    try:
        quant_pre_process(str(path), str(prepared))
        quantize_static(str(prepared), str(quantized), Faces(), quant_format=QuantFormat.QDQ,
                        per_channel=True, reduce_range=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8,
                        nodes_to_exclude=_from_softmax_on(onnx.load(str(prepared)).graph))
        return onnx.load(str(quantized))
    finally:
        prepared.unlink(missing_ok=True)
        quantized.unlink(missing_ok=True)


def export_onnx(net: nn.Module, spec: InputSpec, classes: tuple[str, ...], path: Path,
                meta: dict, int8: bool = False) -> Path:
    """`net` maps NCHW float input → (N, classes) probabilities, and (N, F) features too
    where it returns a pair (the expression model: a profile's second input)."""
    net = net.eval().float().to(memory_format=torch.contiguous_format)
    dummy = torch.zeros(1, spec.channels, spec.size, spec.size)
    with torch.no_grad():
        outputs = ["probs", "features"] if isinstance(net(dummy), tuple) else ["probs"]
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(net, (dummy,), str(path), input_names=["input"], output_names=outputs,
                      dynamic_axes={name: {0: "n"} for name in ["input", *outputs]},
                      opset_version=17, dynamo=False)
    model = quantize(path, spec) if int8 else store_fp16(onnx.load(str(path)))
    info = {"classes": list(classes), "input": spec.__dict__, "commit": git_commit(), **meta}
    helper.set_model_props(model, {META_KEY: json.dumps(info)})
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def export_shape(net: nn.Module, result: dict, path: Path = MODELS / "shape.onnx") -> Path:
    """The shape network with its mix (training.fusion.ShapeNet) → models/shape.onnx: inputs
    `shape` (N, SIZE) and `probs` (N, classes), output the fused probabilities; weights as
    float16, the training report in the metadata."""
    from face2emoji_tray.shape import SIZE
    from training.shapes import SETS, source_zip as shape_source

    net = net.eval().float()
    dummy = (torch.zeros(1, SIZE), torch.full((1, len(FACE_CLASSES)), 1 / len(FACE_CLASSES)))
    torch.onnx.export(net, dummy, str(path), input_names=["shape", "probs"],
                      output_names=["fused"], opset_version=17, dynamo=False,
                      dynamic_axes={"shape": {0: "n"}, "probs": {0: "n"}, "fused": {0: "n"}})
    model = store_fp16(onnx.load(str(path)))
    zips = sorted({str(shape_source(s).relative_to(DATA)) for s in SETS})
    info = {"classes": list(FACE_CLASSES), "input_size": SIZE, "commit": git_commit(), **result,
            "data_sha256": {z: file_sha256(DATA / z) for z in zips}}
    helper.set_model_props(model, {META_KEY: json.dumps(info)})
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    write_checksums(path.parent)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return path


def write_checksums(folder: Path = MODELS) -> None:
    """models/SHA256SUMS, which `face2emoji doctor` checks."""
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}"
             for p in sorted(folder.glob("*")) if p.suffix in (".onnx", ".pt", ".task")]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def pack(state: dict) -> tuple[dict, dict]:
    """A state dict in few bytes, for models/expression.pt: conv and linear kernels as int8
    with one scale per output channel, the rest float16 (int8 cost no validation accuracy).
    Returns (tensors, scales)."""
    tensors, scales = {}, {}
    for k, v in state.items():
        if v.is_floating_point() and v.ndim >= 2:
            scale = v.abs().flatten(1).amax(1).clamp(min=1e-12) / 127
            scales[k] = scale.view(-1, *[1] * (v.ndim - 1))
            tensors[k] = torch.round(v / scales[k]).to(torch.int8)
        else:
            tensors[k] = v.half() if v.is_floating_point() else v
    return tensors, scales


def unpack(tensors: dict, scales: dict) -> dict:
    """`pack` undone, as float32 (the int8 rounding stays)."""
    return {k: v.float() * scales[k] if k in scales else v for k, v in tensors.items()}


def _net(state: dict, cfg: dict) -> tuple[nn.Module, InputSpec]:
    spec = InputSpec(size=cfg["size"], color="gray", equalize=cfg.get("equalize", True))
    net = build(len(FACE_CLASSES), spec.channels, cfg["stem"])
    net.load_state_dict(state)  # copied (and cast) into the fp32 network
    return net.eval(), spec


def load_checkpoint(path: Path) -> tuple[nn.Module, InputSpec, dict]:
    """A training checkpoint (last.pt / best.pt) → network, input spec, the checkpoint."""
    ck = torch.load(path, map_location="cpu")
    net, spec = _net(ck["model"], ck["config"])
    return net, spec, ck


def _member_net(member: dict) -> tuple[nn.Module, InputSpec]:
    """One packed network of models/expression.pt (int8 kernels with scales) → fp32 network."""
    return _net(unpack(member["model"], member["scales"]), member["config"])


def load_shipped(path: Path = EXPRESSION_MODEL.with_suffix(".pt")) -> tuple[nn.Module, InputSpec]:
    """models/expression.pt → the same probabilities as models/expression.onnx, in torch."""
    ck = torch.load(path, map_location="cpu")
    nets, specs = zip(*(_member_net(m) for m in ck["members"]))
    return (Probabilities(list(nets), ck["flip"]).eval(),
            replace(specs[0], crop_scale=ck.get("crop_scale", InputSpec.crop_scale)))


def shipped_member(n: int, path: Path = EXPRESSION_MODEL.with_suffix(".pt")) -> tuple:
    """Network n of the shipped ensemble, as load_checkpoint gives a run's: a new ensemble may
    keep a shipped member beside a fine-tuned one (its int8 kernels pack back unchanged)."""
    m = torch.load(path, map_location="cpu")["members"][n]
    return *_member_net(m), {"config": m["config"], "state": {"history": []}}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", type=Path, nargs="+", help="one, or several for an ensemble")
    ap.add_argument("--keep-member", type=int, action="append", default=[], metavar="N",
                    help="also network N of the shipped models/expression.pt (repeatable)")
    ap.add_argument("--out", type=Path, default=EXPRESSION_MODEL)
    ap.add_argument("--no-flip", action="store_true", help="do not bake the test-time mirror in")
    ap.add_argument("--int8", action="store_true", help="quantize (int8 weights and activations)")
    ap.add_argument("--crop-scale", type=float, default=InputSpec.crop_scale,
                    help="the face stage's crop framing for this model (training.crossdata)")
    args = ap.parse_args(argv)
    loaded = ([load_checkpoint(p) for p in args.checkpoints]
              + [shipped_member(n) for n in args.keep_member])
    specs = {replace(spec, crop_scale=args.crop_scale) for _, spec, _ in loaded}
    if len(specs) != 1:
        raise SystemExit(f"ensemble members need one input spec, got {specs}")
    flip = not args.no_flip
    configs = [ck["config"] for _, _, ck in loaded]
    cfg = configs[0]
    sources = sorted({s for c in configs for s in c.get("sources", ["fer"])})
    meta = {"architecture": f"{len(loaded)}x resnet18/{cfg['stem']}-stem", "test_time_flip": flip,
            "train_config": cfg, "member_configs": configs, "members": len(loaded),
            "int8": args.int8,
            "validation": [ck["state"]["history"][-1] for _, _, ck in loaded if ck["state"]["history"]],
            "data_sha256": {str(source_zip(s).relative_to(DATA)): file_sha256(source_zip(s))
                            for s in sources}}
    export_onnx(Probabilities([net for net, _, _ in loaded], flip, features=True), specs.pop(),
                FACE_CLASSES, args.out, meta, args.int8)
    members = []
    for net, _, ck in loaded:
        tensors, scales = pack(net.state_dict())
        members.append({"model": tensors, "scales": scales, "config": ck["config"]})
    torch.save({"members": members, "flip": flip, "crop_scale": args.crop_scale},
               args.out.with_suffix(".pt"))
    write_checksums(args.out.parent)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) and "
          f"{args.out.with_suffix('.pt').name}")


if __name__ == "__main__":
    main()
