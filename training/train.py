"""Train the expression ResNet18 (FER2013, RAF-DB, SFEW): one script, configuration at the top.

    python -m training.train                      # default preset "cpu": fits a 2-core CPU
    python -m training.train --preset mix --seed 0        # FER2013 + RAF-DB + SFEW (a GPU run)
    python -m training.train --preset seed --device cuda   # the original recipe (160 px)
    python -m training.train --resume runs/cpu    # go on from the last checkpoint
    python -m training.train --preset mix --init runs/mix-s0/best.pt --epochs 20 --lr 0.05
                                                  # a second cycle from a run's weights
    python -m training.train --preset posed --init models/expression.pt --member 0
                                                  # fine-tune a shipped network on the posed mix

A checkpoint is written after every epoch (last.pt, and best.pt by validation accuracy);
the validation split is carved from train (public_test is for the final report only).
"""
from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from face2emoji_tray.emoji import FACE_CLASSES
from face2emoji_tray.preprocess import InputSpec
from training.data import (PHOTO_CROP_SCALE, TCCE_CHECK, VAL_FRACTION, Augment, name_split, split, targets,
                           tcce_faces, to_batch, training_faces)
from training.model import build


@dataclass
class Config:
    size: int = 40  # input pixels; FER2013 crops are 48 px, so more adds no detail
    stem: str = "small"  # see model.build
    epochs: int = 20
    batch: int = 128
    lr: float = 0.1
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    class_weight_power: float = 0.5  # loss weight ∝ 1/frequency**power: helps scared, sad
    augment: float = 1.0  # strength of the lighting/quality augmentation (data.Augment)
    equalize: bool = True  # histogram equalisation in the preprocessing (face.to_input)
    sources: tuple[str, ...] = ("fer",)  # training sets, see data.SOURCES (+ "tcce")
    disgust_as_angry: bool = False  # else disgust faces are left out
    soft: bool = False  # FER2013 faces learn FER+'s vote shares instead of FER2013's label
    epoch_samples: int | None = None  # draw this many faces an epoch, classes balanced
    posed_share: float = 0.0  # of those, this share from the posed photos (TCCE 01–20)
    split_by_name: bool = False  # validation chosen by image name (data.name_split)
    frozen_stages: int = 0  # keep the stem and this many residual stages as they are (see split_at)
    val_fraction: float = VAL_FRACTION
    limit: int | None = None  # read only this many training images (tests)
    max_batches: int | None = None  # stop each epoch early (tests)
    seed: int = 0
    threads: int = 2
    workers: int = 0  # threads that augment batches ahead of a fast (GPU) training step
    device: str = "cpu"

    @property
    def spec(self) -> InputSpec:
        return InputSpec(size=self.size, color="gray", equalize=self.equalize)


PRESETS = {
    "cpu": Config(),
    "wide": Config(size=64, stem="imagenet"),  # 4x fewer pixels per stage than "cpu": faster
    # "wide" underfit (train loss ≈ validation loss): half the lighting/quality augmentation
    "fast": Config(size=64, stem="imagenet", epochs=22, augment=0.5),
    "seed": Config(size=160, stem="imagenet", epochs=24, batch=64, lr=0.05, device="cuda"),
    # The plain recipe that beat "fast" on FER2013 (no equalisation, class weights or label
    # smoothing, disgust as angry, light augmentation), on FER2013 + RAF-DB + SFEW train.
    "mix": Config(size=64, stem="imagenet", epochs=40, augment=0.3, equalize=False,
                  label_smoothing=0.0, class_weight_power=0.0, disgust_as_angry=True,
                  sources=("fer", "rafdb", "sfew"), workers=6, device="cuda"),
    # Fine-tuning "mix" on the faces users make on purpose (TCCE performers 01–20, a fixed
    # share of every epoch), AffectNet, and FER+'s votes, each class drawn equally often.
    "posed": Config(size=64, stem="imagenet", epochs=4, lr=0.01, augment=0.3, equalize=False,
                    label_smoothing=0.0, class_weight_power=0.0, disgust_as_angry=True,
                    sources=("fer", "rafdb", "sfew", "affectnet", "tcce"), soft=True,
                    epoch_samples=12000, posed_share=0.15, split_by_name=True, frozen_stages=2),
    "tiny": Config(epochs=2, batch=16, lr=0.01, limit=400, max_batches=4, threads=1),
}


def epoch_order(y: np.ndarray, posed: np.ndarray, cfg: Config, epoch: int) -> np.ndarray:
    """Which faces an epoch sees, in order: all of them shuffled, or `epoch_samples` drawn
    with every class equally likely and `posed_share` of the draws from the posed photos
    (a few hundred faces that would otherwise be 1% of an epoch)."""
    rng = np.random.default_rng([cfg.seed, epoch])
    if cfg.epoch_samples is None:
        return rng.permutation(len(y))
    p = np.zeros(len(y))
    for group, share in ((posed, cfg.posed_share), (~posed, 1 - cfg.posed_share)):
        if not group.any():
            continue
        counts = np.bincount(y[group], minlength=len(FACE_CLASSES))
        present = counts > 0
        p[group] = share / present.sum() / counts[y[group]]
    return rng.choice(len(y), size=cfg.epoch_samples, p=p / p.sum())


def batches(x: np.ndarray, t: np.ndarray, order: np.ndarray, cfg: Config, epoch: int, augment):
    """Augmented, preprocessed mini-batches (faces, targets) as tensors. Each batch has its own
    random stream, so the result is the same whether `cfg.workers` threads make them or not."""
    chunks = [(n, order[s : s + cfg.batch]) for n, s in enumerate(range(0, len(order), cfg.batch))]
    chunks = chunks[: cfg.max_batches]

    def make(chunk):
        n, idx = chunk
        rng = np.random.default_rng([cfg.seed, epoch, n])
        raw = np.stack([augment(img, rng) for img in x[idx]])
        return torch.from_numpy(to_batch(raw, cfg.spec)), torch.from_numpy(t[idx])

    if cfg.workers == 0:
        yield from map(make, chunks)
        return
    with ThreadPoolExecutor(cfg.workers) as pool:  # OpenCV releases the GIL
        yield from pool.map(make, chunks)


def split_at(net: nn.Module, frozen: int) -> tuple[nn.Module, nn.Module]:
    """(trunk, head) of a ResNet: the stem plus the first `frozen` residual stages, and the
    rest, sharing the network's parameters. Fine-tuning on two CPU cores: a frozen trunk runs
    once per face (`cached`), and each step trains only the head (layer3, layer4 and fc for
    frozen=2: half the work of a step on the whole network, measured on this VM)."""
    parts = list(net.children())  # conv1 bn1 relu maxpool layer1..layer4 avgpool fc
    cut = 4 + frozen
    return nn.Sequential(*parts[:cut]), nn.Sequential(*parts[cut:-1], nn.Flatten(1), parts[-1])


@torch.no_grad()
def cached(trunk: nn.Module, x: np.ndarray, needed: np.ndarray, cfg: Config) -> torch.Tensor:
    """The frozen trunk's output for the faces an epoch will draw (zeros for the others),
    float16. Without augmentation: the lighting, pose and mirror changes act on pixels, so
    a frozen run learns from each face as it is (the mirror is still averaged at test time)."""
    trunk.eval()
    out = None
    for start in range(0, len(needed), 256):
        idx = needed[start : start + 256]
        f = trunk(torch.from_numpy(to_batch(x[idx], cfg.spec))).half()
        if out is None:
            out = torch.zeros((len(x), *f.shape[1:]), dtype=torch.float16)
        out[idx] = f
    return out


def cached_batches(cache: torch.Tensor, t: np.ndarray, order: np.ndarray, cfg: Config):
    """Mini-batches of cached trunk outputs with their targets."""
    for start in range(0, len(order), cfg.batch):
        idx = order[start : start + cfg.batch]
        yield cache[idx].float(), torch.from_numpy(t[idx])


@torch.no_grad()
def evaluate(net: nn.Module, x: np.ndarray, y: np.ndarray, cfg: Config,
             source: np.ndarray) -> dict:
    """Accuracy with and without the test-time mirror, on unaugmented crops, and with the
    mirror per training source (FER2013 accuracy stays comparable with FER-only runs)."""
    net.eval()
    probs, flipped = [], []
    for start in range(0, len(x), 256):
        t = torch.from_numpy(to_batch(x[start : start + 256], cfg.spec)).to(cfg.device)
        probs.append(torch.softmax(net(t), 1).cpu())
        flipped.append(torch.softmax(net(torch.flip(t, dims=[3])), 1).cpu())
    p, pf = torch.cat(probs), torch.cat(flipped)
    hit = (p.argmax(1) == torch.from_numpy(y)).numpy()
    hit_flip = (((p + pf) / 2).argmax(1) == torch.from_numpy(y)).numpy()
    per_source = {f"acc_flip_{s}": float(hit_flip[source == s].mean()) for s in np.unique(source)}
    return {"acc": float(hit.mean()), "acc_flip": float(hit_flip.mean()), **per_source}


def initial_weights(path: Path, member: int = 0) -> dict:
    """A run's weights to start a new cycle from: a training checkpoint (best.pt), a packed
    model (training.export.pack: int8 kernels with scales, what a GPU machine sends back), or
    one network of a shipped ensemble (models/expression.pt)."""
    from training.export import unpack

    ck = torch.load(path, map_location="cpu")
    ck = ck["members"][member] if "members" in ck else ck
    return unpack(ck["model"], ck["scales"]) if "scales" in ck else ck["model"]


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    ap.add_argument("--out", type=Path, help="run folder (default runs/<preset>)")
    ap.add_argument("--resume", type=Path, help="run folder whose last.pt to continue")
    ap.add_argument("--init", type=Path, help="start from these weights (a checkpoint, or a "
                                              "packed model) with a fresh schedule")
    ap.add_argument("--member", type=int, default=0,
                    help="with --init of a shipped ensemble: which of its networks")
    ap.add_argument("--lr", type=float, help="overrides the preset (peak of the one-cycle)")
    ap.add_argument("--device", help="cpu or cuda (overrides the preset)")
    ap.add_argument("--epochs", type=int, help="overrides the preset")
    ap.add_argument("--seed", type=int, help="overrides the preset (ensemble members differ by seed)")
    ap.add_argument("--epoch-samples", type=int, help="overrides the preset (faces per epoch)")
    ap.add_argument("--frozen-stages", type=int, help="overrides the preset (0: train it all)")
    ap.add_argument("--posed-share", type=float, help="overrides the preset")
    ap.add_argument("--threads", type=int, help="overrides the preset (two runs side by side: 1)")
    ap.add_argument("--stop-after", type=int, metavar="N",
                    help="stop after N epochs of this invocation (go on later with --resume)")
    args = ap.parse_args(argv)

    cfg = PRESETS[args.preset]
    overrides = {"device": args.device, "epochs": args.epochs, "seed": args.seed,
                 "threads": args.threads, "lr": args.lr, "epoch_samples": args.epoch_samples,
                 "frozen_stages": args.frozen_stages, "posed_share": args.posed_share}
    cfg = replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
    ck = torch.load(args.resume / "last.pt", map_location="cpu") if args.resume else None
    if ck:  # a run goes on with the configuration it started with (the schedule depends on it)
        cfg = Config(**ck["config"])
    out = args.resume or args.out or Path("runs") / args.preset
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)

    data = training_faces(tuple(cfg.sources), cfg.size, cfg.disgust_as_angry, cfg.limit,
                          cfg.seed, soft=cfg.soft)
    source = np.array([n.split(":")[0] for n in data.names])
    # one split for all seeds: ensembles stay honest
    tr, va = (name_split(data.names, cfg.val_fraction) if cfg.split_by_name
              else split(data.y, cfg.val_fraction, seed=0))
    xtr, ytr, xva, yva = data.x[tr], data.y[tr], data.x[va], data.y[va]
    ttr = targets(data)[tr]
    # the posed per-person check, never trained on: reported each epoch, beside validation
    check = (tcce_faces(TCCE_CHECK, replace(cfg.spec, crop_scale=PHOTO_CROP_SCALE),
                        cfg.disgust_as_angry) if "tcce" in cfg.sources else None)
    counts = np.bincount(ytr, minlength=len(FACE_CLASSES)).clip(min=1)
    weight = torch.tensor((counts.max() / counts) ** cfg.class_weight_power, dtype=torch.float32)

    net = build(len(FACE_CLASSES), cfg.spec.channels, cfg.stem).to(cfg.device)
    net = net.to(memory_format=torch.channels_last)
    trunk, head = split_at(net, cfg.frozen_stages)
    trunk.requires_grad_(cfg.frozen_stages == 0)
    opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=cfg.lr, momentum=0.9, nesterov=True,
                          weight_decay=cfg.weight_decay)
    per_epoch = cfg.epoch_samples or len(xtr)
    steps = cfg.epochs * min(-(-per_epoch // cfg.batch), cfg.max_batches or 10**9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=steps, pct_start=0.15)
    loss_fn = nn.CrossEntropyLoss(weight=weight.to(cfg.device), label_smoothing=cfg.label_smoothing)
    state = {"epoch": 0, "best": 0.0, "history": []}
    if args.init:
        net.load_state_dict(initial_weights(args.init, args.member))
    if ck:
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        state = ck["state"]
    print(f"train {len(xtr)}  val {len(xva)}  config {asdict(cfg)}", flush=True)
    orders = [epoch_order(ytr, source[tr] == "tcce", cfg, e) for e in range(cfg.epochs)]
    cache = (cached(trunk, xtr, np.unique(np.concatenate(orders[state["epoch"]:])), cfg)
             if cfg.frozen_stages else None)

    augment = Augment(strength=cfg.augment)
    # bfloat16 on a GPU (about twice the speed, same accuracy); float32 on the CPU
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if cfg.device.startswith("cuda")
                else nullcontext())
    last = cfg.epochs if args.stop_after is None else min(cfg.epochs, state["epoch"] + args.stop_after)
    for epoch in range(state["epoch"], last):
        net.train()
        t0, total, seen = time.time(), 0.0, 0
        order = orders[epoch]
        if cache is None:
            model, made = net, batches(xtr, ttr, order, cfg, epoch, augment)
        else:
            trunk.eval()  # its batch-norm statistics stay those it was trained with
            model, made = head, cached_batches(cache, ttr, order, cfg)
        bar = tqdm(made, desc=f"epoch {epoch + 1}/{cfg.epochs}", total=steps // cfg.epochs,
                   mininterval=10, disable=None)
        for xb, yb in bar:
            xb = xb.to(cfg.device).to(memory_format=torch.channels_last)
            with autocast:
                loss = loss_fn(model(xb), yb.to(cfg.device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total, seen = total + loss.item() * len(yb), seen + len(yb)
            bar.set_postfix(loss=f"{total / seen:.3f}", refresh=False)
        metrics = {"epoch": epoch + 1, "loss": total / max(seen, 1),
                   **evaluate(net, xva, yva, cfg, source[va]), "minutes": (time.time() - t0) / 60}
        if check is not None:
            metrics["acc_flip_tcce_check"] = evaluate(net, check.x, check.y, cfg,
                                                      np.zeros(len(check.y)))["acc_flip"]
        state["history"].append(metrics)
        state["epoch"] = epoch + 1
        print(json.dumps(metrics), flush=True)
        improved = metrics["acc"] >= state["best"]
        if improved:  # before last.pt is written, so a resumed run knows the best score
            state["best"] = metrics["acc"]
        ck = {"model": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
              "state": state, "config": asdict(cfg)}
        torch.save(ck, out / "last.pt")
        if improved:
            torch.save(ck, out / "best.pt")
        if cfg.epoch_samples:  # short epochs: every one is a candidate for the cross-dataset sets
            torch.save({k: ck[k] for k in ("model", "state", "config")}, out / f"epoch{epoch + 1}.pt")
    return out


if __name__ == "__main__":
    main()
