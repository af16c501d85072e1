"""Train and export the eye-state model (open/closed) on CEW eye patches.

    python -m training.train_eyes          # → models/eyes.onnx, prints held-out accuracy

A small CNN is plenty for 24x24 patches; it trains in about a minute on two cores. Patches
go through the same `to_input` as at run time; augmentation mirrors (a left eye mirrored is
a right eye), shifts, rotates and relights them.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from face2emoji_tray.classifier import EYE_MODEL, file_sha256
from face2emoji_tray.face import EYE_PATCH
from face2emoji_tray.preprocess import InputSpec
from training.data import CEW, Augment, cew_face, cew_label, read_zip, split, to_batch
from training.export import export_onnx, write_checksums

CLASSES = ("open", "closed")
SPEC = InputSpec(size=EYE_PATCH, color="gray", equalize=True)
EPOCHS, BATCH, LR, HELD_OUT, SEED = 30, 64, 3e-3, 0.2, 0


def build() -> nn.Module:
    def block(cin: int, cout: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                             nn.ReLU(inplace=True), nn.MaxPool2d(2))
    return nn.Sequential(block(1, 16), block(16, 32), block(32, 64), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Dropout(0.2), nn.Linear(64, len(CLASSES)))


def accuracy(net: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    net.eval()
    with torch.no_grad():
        pred = net(torch.from_numpy(to_batch(x, SPEC))).argmax(1).numpy()
    return float((pred == y).mean())


def main(argv: list[str] | None = None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=EYE_MODEL)
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    args = ap.parse_args(argv)
    torch.manual_seed(SEED)
    data = read_zip(CEW, cew_label)
    tr, te = split(data.y, HELD_OUT, SEED, groups=[cew_face(n) for n in data.names])
    rng = np.random.default_rng(SEED)
    augment = Augment(rotate=10, scale=(0.9, 1.1), shift=0.06, lowres=0.2)
    net = build()
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    for epoch in range(args.epochs):
        net.train()
        order = rng.permutation(tr)
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            xb = torch.from_numpy(to_batch(np.stack([augment(i, rng) for i in data.x[idx]]), SPEC))
            loss = nn.functional.cross_entropy(net(xb), torch.from_numpy(data.y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    acc = accuracy(net, data.x[te], data.y[te])
    print(json.dumps({"held_out": len(te), "accuracy": acc}))
    meta = {"architecture": "cnn3", "held_out_accuracy": acc, "held_out_images": int(len(te)),
            "data_sha256": {"cew/eyes.zip": file_sha256(CEW)}}
    export_onnx(nn.Sequential(net, nn.Softmax(dim=1)), SPEC, CLASSES, args.out, meta)
    write_checksums(args.out.parent)
    return acc


if __name__ == "__main__":
    main()
