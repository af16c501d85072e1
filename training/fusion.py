"""Train the shape network and its mix with the expression network: one script, config on top.

    python -m training.shapes ...                    # first: every image through the face stage
    python -m training.fusion                        # train, choose the mix, report
    python -m training.fusion --export               # … and write models/shape.onnx

Data (runs/shapes/<set>.npz, see training.shapes): FER2013 train with FER+'s vote shares,
RAF-DB train, AffectNet (agreed labels), SFEW train, TCCE performers 01–20, and the posed
people of TFEID, Yale and London, where the mesh found the face. A third of each posed set's
people (by a hash of the person id) and the faces `data.name_split` holds out stay out of
training: that is the validation the epoch, the mix and its temperature are chosen on. The
posed faces carry `posed_share` of each class's weight. Disgust is folded into angry.

Checks, never trained on or chosen by: TCCE performers 21–30, RAF-DB test, SFEW val and FER2013
public_test (FER2013 labels and FER+ majority). Also reported: the posed sets whole
(bench.compare's sets: two thirds of their people are in the shape network's training) and
their held third (the validation people: chosen on, so not a clean figure either).

The mix: log p = (log p_cnn + w · frontal · log p_shape) / (1 + (T − 1) · frontal),
renormalised, where `frontal` falls from 1 to 0 as the head turns from TURN to TURN + 10
degrees (yaw or pitch). w, TURN and then T (by log-loss) are chosen on the validation faces the
expression network never saw (the posed people, and the held-out wild faces neither of the
shipped networks trained on).
"""
from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from face2emoji_tray.emoji import FACE_CLASSES, our_class
from face2emoji_tray.shape import BLENDSHAPES, LANDMARKS, POSE_SCALE, SIZE, shape_input
from training.crossdata import YALE, mix_held_out_names
from training.data import (AFFECTNET_NAMES, FERPLUS_TEST, TCCE_CHECK, TCCE_EXPRESSIONS, VAL_FRACTION,
                           ferplus_votes, name_split)


@dataclass
class Config:
    hidden: int = 256
    dropout: float = 0.3
    epochs: int = 30
    batch: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-3
    posed_share: float = 0.3  # of each class's training weight, on the posed photos
    parts: tuple[str, ...] = ("blend", "landmarks", "pose")  # what of the shape is read
    members: int = 1  # networks averaged, each from its own seed (seed, seed + 1, …)
    wild_alike: bool = False  # the mix's wild figure: each wild source alike, not pooled
    held_third: int = 0  # posed people whose id hashes to this (mod 3) are validation
    seed: int = 0
    threads: int = 2


SHAPES = Path("runs/shapes")
WILD_TRAIN = ("fer", "rafdb-train", "affectnet", "sfew-train")
POSED = ("tcce", "tfeid", "yale", "london")
CHECKS = ("rafdb-test", "sfew-val", "public-test")
YALE_NEUTRAL = ("normal", "centerlight", "glasses", "leftlight", "noglasses", "rightlight")
YALE_CLASSES = {"happy": "happy", "sad": "sad", "surprised": "surprised",
                **{c: "neutral" for c in YALE_NEUTRAL}}
WEIGHTS = np.linspace(0, 2.0, 21)  # w, the shape's weight in the mix
TURNS = (10.0, 15.0, 20.0, 30.0, 90.0)  # degrees of yaw or pitch where the shape fades out
TEMPERATURES = np.round(np.arange(0.8, 3.01, 0.1), 2)  # 1.0 among them: the mix as it is


def raw_class(set_name: str, raw: str) -> str | None:
    """A set's raw label (folder, Yale condition, TCCE letter) → our class, disgust as
    'disgust' (folded into angry for training, left out of the checks)."""
    if set_name == "tcce":
        return TCCE_EXPRESSIONS.get(raw)
    if set_name == "yale":
        return YALE_CLASSES.get(raw)
    if set_name == "affectnet":
        raw = AFFECTNET_NAMES.get(raw, raw)
    return "disgust" if raw == "disgust" else our_class(raw) if our_class(raw) in FACE_CLASSES else None


def blend_names(folder: Path = SHAPES) -> list[str]:
    """MediaPipe's blendshape names in the order the shape inputs hold them (the model's
    metadata keeps them: the app reads a face's scores by name)."""
    return [str(n) for n in np.load(folder / "tfeid.npz")["blend_names"]]


def held_person(person: str, third: int) -> bool:
    return int(hashlib.sha1(person.encode()).hexdigest()[:8], 16) % 3 == third


def held_third(f: Faces, third: int) -> np.ndarray:
    """Which of a posed set's faces are of its validation people (held_person)."""
    return np.array([held_person(p, third) for p in f.person], bool)


@dataclass
class Faces:
    """One set's labelled faces, ready for the networks."""

    name: str
    x: np.ndarray  # (N, SIZE) shape inputs; zeros where the mesh found no face
    cnn: np.ndarray  # (N, 6) the expression network's probabilities
    y: np.ndarray  # (N,) class index; -1 for disgust
    soft: np.ndarray  # (N, 6) training targets
    person: np.ndarray
    names: np.ndarray
    found: np.ndarray  # (N,) whether the mesh found the face (else the pixels alone)


def load_set(name: str, folder: Path = SHAPES) -> Faces:
    with np.load(folder / f"{name}.npz") as z:
        d = {k: z[k] for k in z.files}  # an NpzFile reads an array anew at every lookup
    if list(d["blend_names"]) != blend_names(folder):
        raise ValueError(f"{name}: blendshapes in another order than the other sets'")
    classes = [raw_class(name, r) for r in d["raw"]]
    idx = np.flatnonzero([c is not None for c in classes])
    y = np.array([-1 if classes[i] == "disgust" else FACE_CLASSES.index(classes[i]) for i in idx])
    soft = np.eye(len(FACE_CLASSES), dtype=np.float32)[np.maximum(y, 0)]  # disgust: fold_disgust
    found = d["found"][idx]
    x = np.zeros((len(idx), SIZE), np.float32)
    for row, i in enumerate(idx):
        if found[row]:
            x[row] = shape_input(d["blend"][i], d["lm"][i], d["pose"][i])
    faces = Faces(name, x, d["probs"][idx], y, soft, d["person"][idx], d["names"][idx], found)
    return with_votes(faces, ferplus_votes()) if name == "fer" else faces


def with_votes(fer: Faces, votes: dict[str, np.ndarray]) -> Faces:
    """FER2013 faces with FER+'s vote shares as targets and majority as label; faces FER+
    dropped or called unknown / not a face are left out (as in the posed fine-tune)."""
    keys = [n.rsplit(".", 1)[0] for n in fer.names]
    keep = np.array([k in votes for k in keys])
    faces = subset(fer, keep)
    faces.soft = np.stack([votes[k] for k, ok in zip(keys, keep) if ok])
    faces.y = faces.soft.argmax(1)
    return faces


def subset(f: Faces, keep: np.ndarray, name: str | None = None) -> Faces:
    return Faces(name or f.name, f.x[keep], f.cnn[keep], f.y[keep], f.soft[keep],
                 f.person[keep], f.names[keep], f.found[keep])


def training_split(cfg: Config) -> tuple[list[Faces], list[Faces]]:
    """(training sets, validation sets) as described in the module docstring."""
    train, val = [], []
    for name in WILD_TRAIN:
        f = load_set(name)
        prefixed = [f"{name.split('-')[0]}:{n}" for n in f.names]
        tr, va = name_split(prefixed, VAL_FRACTION)
        train.append(subset(f, tr))
        val.append(subset(f, va, f"{name} held"))
    for name in POSED:
        f = load_set(name)
        if name == "tcce":
            performer = f.person.astype(int)
            train.append(subset(f, ~np.isin(performer, list(TCCE_CHECK))))
            continue
        held = held_third(f, cfg.held_third)
        train.append(subset(f, ~held))
        val.append(subset(f, held, f"{name} held"))
    train = [subset(f, f.found) for f in train]  # the shape network learns from found faces
    val = [subset(f, f.found) for f in val]
    for f in train:
        fold_disgust(f)
    return train, val


def fold_disgust(f: Faces) -> None:
    """Disgust is angry for training: its label and its one-hot target (FER+'s vote shares,
    which count disgust votes as angry already, are kept as they are)."""
    angry = FACE_CLASSES.index("angry")
    disgust = f.y < 0
    f.y = np.where(disgust, angry, f.y)
    f.soft[disgust] = np.eye(len(FACE_CLASSES), dtype=np.float32)[angry]


def sample_weights(train: list[Faces], posed_share: float) -> np.ndarray:
    """Every class the same total weight; within it the posed photos `posed_share`."""
    y = np.concatenate([f.y for f in train])
    posed = np.concatenate([np.full(len(f.y), f.name in POSED) for f in train])
    w = np.zeros(len(y))
    for c in range(len(FACE_CLASSES)):
        for group, share in ((posed, posed_share), (~posed, 1 - posed_share)):
            sel = (y == c) & group
            if sel.any():
                w[sel] = share / sel.sum()
    return w / w.mean()


def mirror_index(x: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(index, sign) such that x[:, index] * sign is the mirror image of a shape input:
    left and right blendshapes swapped, each landmark traded for its mirror twin (found on
    the mean frontal face: the canonical mesh is symmetric) with x negated, yaw and roll
    negated."""
    blend = [names.index(n.replace("Left", "#").replace("Right", "Left").replace("#", "Right"))
             for n in names]
    mean = x[:, BLENDSHAPES : BLENDSHAPES + 2 * LANDMARKS].reshape(len(x), LANDMARKS, 2).mean(0)
    mean[:, 0] -= mean[:, 0].mean()  # the mesh's own midline (the mean face leans a little)
    flipped = mean * np.array([-1.0, 1.0], np.float32)
    dist = np.sqrt(((mean[:, None] - flipped[None]) ** 2).sum(-1))
    dist = (dist + dist.T) / 2
    twin = np.full(LANDMARKS, -1)
    for flat in np.argsort(dist, axis=None):  # closest pairs first, each point once
        i, j = divmod(int(flat), LANDMARKS)
        if twin[i] < 0 and twin[j] < 0:
            twin[i], twin[j] = j, i
    # 99% of twins lie within 0.06 of the eyes' distance; a few points of the cheeks'
    # outline (which moves with the head's turn) up to 0.21: more means a broken mesh
    if dist[np.arange(LANDMARKS), twin].max() > 0.25:
        raise ValueError("the mean face's landmarks do not pair up as mirror twins")
    lm = np.stack([2 * twin, 2 * twin + 1], 1).reshape(-1) + BLENDSHAPES
    index = np.concatenate([blend, lm, SIZE - 3 + np.arange(3)])
    sign = np.ones(SIZE, np.float32)
    sign[BLENDSHAPES : BLENDSHAPES + 2 * LANDMARKS : 2] = -1
    sign[SIZE - 3], sign[SIZE - 1] = -1, -1  # yaw, roll
    return index, sign


def part_mask(parts: tuple[str, ...]) -> np.ndarray:
    """1 for the inputs of the named parts of the shape, 0 for the others."""
    mask = np.zeros(SIZE, np.float32)
    spans = {"blend": (0, BLENDSHAPES), "landmarks": (BLENDSHAPES, SIZE - 3), "pose": (SIZE - 3, SIZE)}
    for part in parts:
        mask[slice(*spans[part])] = 1
    return mask


class ShapeNet(nn.Module):
    """Standardised shape → MLP → class probabilities, averaged over the face and its mirror
    image; and the mix with the expression network's probabilities."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, index: np.ndarray, sign: np.ndarray,
                 cfg: Config) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean))
        self.register_buffer("std", torch.tensor(std))
        self.register_buffer("index", torch.tensor(index, dtype=torch.long))
        self.register_buffer("sign", torch.tensor(sign))
        self.register_buffer("weight", torch.tensor(0.0))  # w of the mix (chosen later)
        self.register_buffer("turn", torch.tensor(90.0))
        self.register_buffer("temperature", torch.tensor(1.0))
        self.register_buffer("parts", torch.tensor(part_mask(cfg.parts)))
        self.mlps = nn.ModuleList(
            nn.Sequential(nn.Linear(SIZE, cfg.hidden), nn.GELU(), nn.Dropout(cfg.dropout),
                          nn.Linear(cfg.hidden, cfg.hidden), nn.GELU(), nn.Dropout(cfg.dropout),
                          nn.Linear(cfg.hidden, len(FACE_CLASSES)))
            for _ in range(cfg.members))

    def logits(self, x: torch.Tensor, member: int) -> torch.Tensor:
        return self.mlps[member]((x - self.mean) / self.std * self.parts)

    def shape_probs(self, x: torch.Tensor, members: range | None = None) -> torch.Tensor:
        """The members' mean probabilities over the shape and its mirror image."""
        mirrored = x[:, self.index] * self.sign
        members = members or range(len(self.mlps))
        return sum(torch.softmax(self.logits(x, m), 1) + torch.softmax(self.logits(mirrored, m), 1)
                   for m in members) / (2 * len(members))

    def forward(self, shape: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
        return mix(probs, self.shape_probs(shape), shape[:, SIZE - 3 : SIZE - 1] * POSE_SCALE,
                   self.weight, self.turn, self.temperature)


def mix(cnn: torch.Tensor, shape: torch.Tensor, yaw_pitch: torch.Tensor, weight, turn,
        temperature=1.0) -> torch.Tensor:
    """log p = (log p_cnn + weight · frontal · log p_shape) / (1 + (temperature − 1) · frontal),
    renormalised. `frontal` is 1 for a face within `turn` degrees of the camera, 0 beyond
    turn + 10°: a turned face keeps the pixels' reading as it is. Two experts multiplied are
    surer than either; the temperature brings the result back to how often it is right (the
    smoother's threshold reads it)."""
    turned = yaw_pitch.abs().amax(1, keepdim=True)
    frontal = ((turn + 10.0 - turned) / 10.0).clamp(0.0, 1.0)
    z = ((torch.log(cnn + 1e-6) + weight * frontal * torch.log(shape + 1e-6))
         / (1 + (temperature - 1) * frontal))
    return torch.softmax(z, 1)


def mixed(f: Faces, shape: np.ndarray, weight: float, turn: float,
          temperature: float = 1.0) -> np.ndarray:
    """mix() on one set: its pixels' probabilities, `shape`'s and its faces' pose."""
    pose = torch.from_numpy(f.x[:, SIZE - 3 : SIZE - 1] * POSE_SCALE)
    return mix(torch.from_numpy(f.cnn), torch.from_numpy(shape), pose, weight, turn,
               temperature).numpy()


def train_shape(train: list[Faces], val: list[Faces], cfg: Config, log) -> ShapeNet:
    """The shape network: each member at the epoch whose validation score (of that member
    alone) was best."""
    torch.set_num_threads(cfg.threads)
    x = np.concatenate([f.x for f in train])
    t = torch.tensor(np.concatenate([f.soft for f in train]))
    w = torch.tensor(sample_weights(train, cfg.posed_share), dtype=torch.float32)
    names = blend_names()
    frontal = np.abs(x[:, -3:-1] * POSE_SCALE).max(1) < 5
    index, sign = mirror_index(x[frontal], names)
    torch.manual_seed(cfg.seed)
    net = ShapeNet(x.mean(0), x.std(0) + 1e-3, index, sign, cfg)
    for member in range(cfg.members):
        train_member(net, member, torch.tensor(x), t, w, val, cfg, log)
    return net.eval()


def train_member(net: ShapeNet, member: int, x: torch.Tensor, t: torch.Tensor, w: torch.Tensor,
                 val: list[Faces], cfg: Config, log) -> None:
    seed = cfg.seed + member
    torch.manual_seed(seed)
    mlp = net.mlps[member]
    opt = torch.optim.AdamW(mlp.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * -(-len(x) // cfg.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=steps, pct_start=0.1)
    rng = np.random.default_rng(seed)
    best, best_state = -1.0, None
    for epoch in range(cfg.epochs):
        net.train()
        order = torch.tensor(rng.permutation(len(x)))
        total = 0.0
        for start in range(0, len(x), cfg.batch):
            idx = order[start : start + cfg.batch]
            xb = x[idx]
            flip = torch.rand(len(idx)) < 0.5
            xb = torch.where(flip[:, None], xb[:, net.index] * net.sign, xb)
            loss = (-(t[idx] * torch.log_softmax(net.logits(xb, member), 1)).sum(1) * w[idx]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        probs = [shape_probs(net, f.x, range(member, member + 1)) for f in val]
        score = validation_score(val, probs)
        log(f"member {member} epoch {epoch + 1}: loss {total / len(x):.3f}  validation {score:.3f}  "
            + "  ".join(f"{f.name} {accuracy(p, f.y):.3f}" for f, p in zip(val, probs)))
        if score > best:
            best, best_state = score, {k: v.clone() for k, v in mlp.state_dict().items()}
    mlp.load_state_dict(best_state)


@torch.no_grad()
def shape_probs(net: ShapeNet, x: np.ndarray, members: range | None = None) -> np.ndarray:
    net.eval()
    return net.shape_probs(torch.tensor(x), members).numpy()


def validation_score(val: list[Faces], probs: list[np.ndarray], wild_alike: bool = False) -> float:
    """The mean of two pooled accuracies: the posed people's faces, and the wild faces (the
    small posed sets alone are too few for a figure of their own). With `wild_alike`, the
    wild figure is the mean of each wild source's with at least 50 faces (AffectNet holds
    most of the pooled ones)."""
    hits = {True: [], False: []}
    for f, p in zip(val, probs):
        ok = f.y >= 0
        hits[f.name.split()[0] in POSED].append(p[ok].argmax(1) == f.y[ok])
    posed, wild = (np.concatenate(hits[True]).mean(), np.concatenate(hits[False]).mean())
    if wild_alike:
        wild = np.mean([h.mean() for h in hits[False] if len(h) >= 50])
    return float((posed + wild) / 2)


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    ok = y >= 0  # disgust is left out of every figure
    return float((p[ok].argmax(1) == y[ok]).mean()) if ok.any() else float("nan")


def honest(val: list[Faces]) -> list[Faces]:
    """The validation faces neither shipped expression network trained on: the posed
    people, and the held-out wild faces that the mix networks' index split also held out
    (AffectNet: the mix networks never saw it)."""
    held_by_mix = mix_held_out_names()
    out = []
    for f in val:
        if f.name.split()[0] in ("fer", "rafdb-train", "sfew-train"):
            prefix = f.name.split()[0].split("-")[0]
            keep = np.array([f"{prefix}:{n}" in held_by_mix for n in f.names])
            f = subset(f, keep)
        out.append(f)
    return out


def choose_mix(net: ShapeNet, val: list[Faces], log, wild_alike: bool = False) -> tuple[float, float]:
    """(weight, turn) with the best mean validation accuracy over the honest sets."""
    best = (-1.0, 0.0, 90.0)
    probs = {f.name: shape_probs(net, f.x) for f in val}
    for turn in TURNS:
        for weight in WEIGHTS:
            score = validation_score(val, [mixed(f, probs[f.name], weight, turn) for f in val],
                                     wild_alike)
            if score > best[0] + 1e-9:
                best = (score, float(weight), turn)
    log(f"mix chosen: weight {best[1]:.2f}, turn {best[2]:.0f}°, validation {best[0]:.3f}")
    return best[1], best[2]


def choose_temperature(net: ShapeNet, val: list[Faces], log) -> dict:
    """The temperature whose fused probabilities have the least negative log-likelihood on
    the validation faces (it changes no argmax, only how sure the reading says it is)."""
    parts = [(f, shape_probs(net, f.x)) for f in val]
    loss = {}
    for temperature in TEMPERATURES:
        loss[float(temperature)] = float(np.concatenate([
            -np.log(mixed(f, sp, float(net.weight), float(net.turn), temperature)
                    [np.flatnonzero(f.y >= 0), f.y[f.y >= 0]] + 1e-9)
            for f, sp in parts]).mean())
    best = min(loss, key=loss.get)
    log(f"temperature chosen: {best:.2f} (validation log-loss {loss[best]:.3f}, at 1: {loss[1.0]:.3f})")
    return {"temperature": best, "log_loss": loss[best], "log_loss_at_1": loss[1.0]}


def report(net: ShapeNet, sets: list[Faces], log) -> dict:
    """CNN alone, shape alone (faces the mesh found) and fused, per set and class; a face
    the mesh missed keeps the CNN's reading in the fused figure, as in the app."""
    out = {}
    for f in sets:
        sp = shape_probs(net, f.x)
        fused = mixed(f, sp, float(net.weight), float(net.turn), float(net.temperature))
        fused = np.where(f.found[:, None], fused, f.cnn)
        row = {}
        for what, p, sel in (("cnn", f.cnn, f.y >= 0), ("shape", sp, (f.y >= 0) & f.found),
                             ("fused", fused, f.y >= 0)):
            hit = p[sel].argmax(1) == f.y[sel]
            row[what] = {"accuracy": float(hit.mean()), "correct": int(hit.sum()),
                         "faces": int(sel.sum()),
                         "per_class": {c: f"{int(hit[f.y[sel] == i].sum())}/{int((f.y[sel] == i).sum())}"
                                       for i, c in enumerate(FACE_CLASSES) if (f.y[sel] == i).any()}}
        row["mesh missed"] = int((~f.found & (f.y >= 0)).sum())
        out[f.name] = row
        log(f"{f.name:<22} cnn {row['cnn']['accuracy']:.3f}  shape {row['shape']['accuracy']:.3f}  "
            f"fused {row['fused']['accuracy']:.3f} ({row['fused']['correct']}/{row['fused']['faces']}, "
            f"mesh missed {row['mesh missed']})  {row['fused']['per_class']}")
    return out


def check_sets(cfg: Config) -> list[Faces]:
    """The sets the figures are reported on: the checks, never trained on or chosen by, and
    the posed sets whole and their validation third (see the module docstring)."""
    tcce = load_set("tcce")
    sets = [subset(tcce, np.isin(tcce.person.astype(int), list(TCCE_CHECK)), "tcce 21-30")]
    for name in ("tfeid", "yale", "london"):
        f = load_set(name)
        if name == "yale":  # the crossdata conditions only
            f = subset(f, np.array([n.split("/")[1] in YALE for n in f.names]))
        sets.append(subset(f, held_third(f, cfg.held_third), f"{name} held third (validation)"))
        sets.append(subset(f, np.ones(len(f.y), bool), f"{name} whole"))
    sets += [load_set(name) for name in CHECKS]
    ferplus = with_votes(load_set("public-test"), ferplus_votes(FERPLUS_TEST))
    ferplus.name = "public-test FER+"
    return sets + [ferplus]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--export", action="store_true", help="write models/shape.onnx")
    ap.add_argument("--json", type=Path, help="write the report here")
    ap.add_argument("--save", type=Path, help="write the trained network (torch) here")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--posed-share", type=float)
    ap.add_argument("--hidden", type=int)
    ap.add_argument("--parts", nargs="+", choices=("blend", "landmarks", "pose"))
    ap.add_argument("--members", type=int)
    ap.add_argument("--wild-alike", action="store_true", default=None,
                    help="choose the mix with each wild source alike (Config.wild_alike)")
    args = ap.parse_args(argv)
    chosen = {"epochs": args.epochs, "posed_share": args.posed_share, "hidden": args.hidden,
              "parts": tuple(args.parts) if args.parts else None, "members": args.members,
              "wild_alike": args.wild_alike}
    cfg = Config(**{k: v for k, v in chosen.items() if v is not None})
    log = lambda line: print(line, flush=True)  # noqa: E731
    train, val = training_split(cfg)
    log(f"training {sum(len(f.y) for f in train)} faces, validation "
        + ", ".join(f"{f.name} {len(f.y)}" for f in val) + f"  config {asdict(cfg)}")
    net = train_shape(train, val, cfg, log)
    fair = honest(val)
    weight, turn = choose_mix(net, fair, log, cfg.wild_alike)
    net.weight.fill_(weight)
    net.turn.fill_(turn)
    calibrated = choose_temperature(net, fair, log)
    net.temperature.fill_(calibrated["temperature"])
    result = {"config": asdict(cfg), "blendshapes": blend_names(),
              "mix": {"weight": weight, "turn": turn, **calibrated},
              "validation": report(net, fair, log), "checks": report(net, check_sets(cfg), log)}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    if args.save:
        torch.save({"model": net.state_dict(), "config": asdict(cfg)}, args.save)
    if args.export:
        from training.export import export_shape
        export_shape(net, result)


if __name__ == "__main__":
    main()
