"""Read the shared datasets straight from their zip archives, and augment for the real world.

Every image goes through the face stage's own preprocessing (`whole_image_crop` + `to_input`),
so training sees exactly what the app feeds the network. Augmentation acts on the raw pixels
before that, imitating webcams: lighting (brightness, contrast, gamma, a shadow across the
face), pose (rotation, scale, shift, mirror) and image quality (blur, noise, low resolution).
"""
from __future__ import annotations

import hashlib
import math
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from face2emoji_tray.emoji import FACE_CLASSES, our_class
from face2emoji_tray.preprocess import InputSpec, to_input, whole_image_crop

# ../shared/data beside the project root; FACE2EMOJI_DATA points elsewhere (training.pack's
# compact copy, on a machine that lacks ../shared).
DATA = Path(os.environ.get("FACE2EMOJI_DATA")
            or Path(__file__).resolve().parent.parent.parent / "shared" / "data")
FER_TRAIN = DATA / "fer2013" / "train.zip"
FER_TEST = DATA / "fer2013" / "public_test.zip"
RAFDB = DATA / "rafdb" / "rafdb.zip"  # train/<fer class>/, test/<fer class>/; no neutral
SFEW = DATA / "sfew" / "sfew.zip"  # train/<fer class>/, val/<fer class>/
POSED = DATA / "posed" / "posed.zip"
TCCE = DATA / "posed" / "tcce.zip"  # tcce/PPTVXNN.jpg, performer PP; see tcce_label
AFFECTNET = DATA / "affectnet" / "affectnet.zip"  # <class>/<id>_<class>.jpg, labels.csv
FERPLUS = DATA / "fer2013" / "ferplus_train.csv"  # ten annotators' votes per FER2013 face
FERPLUS_TEST = DATA / "fer2013" / "ferplus_public_test.csv"  # the same for public_test
TCCE_CHECK = range(21, 31)  # TCCE performers kept out of training: the per-person check
PHOTO_CROP_SCALE = 1.0  # the face stage's framing that matches the training crops (crossdata)
CEW = DATA / "cew" / "eyes.zip"
IMAGE_EXT = (".png", ".jpg", ".jpeg")
VAL_FRACTION = 0.1  # of train.zip, held out by train.py for model choice (seed 0 for every run)


@dataclass
class Images:
    """Decoded 8-bit grayscale images of one size, with integer labels."""

    x: np.ndarray  # (N, H, W) uint8
    y: np.ndarray  # (N,) int64
    names: list[str]
    soft: np.ndarray | None = None  # (N, classes) float32 targets where votes exist (FER+)


def read_zip(path: Path, label_of, limit: int | None = None, seed: int = 0, prefix: str = "",
             size: int | None = None) -> Images:
    """Decode every image under `prefix` in a zip whose folder `label_of` maps to a label
    (None: skip); `size` squares each image (centre crop) and scales it to size² pixels."""
    xs, ys, names = [], [], []
    with zipfile.ZipFile(path) as z:
        entries = sorted(n for n in z.namelist()
                         if n.startswith(prefix) and n.lower().endswith(IMAGE_EXT))
        if limit is not None:
            rng = np.random.default_rng(seed)
            entries = sorted(rng.choice(entries, size=min(limit, len(entries)), replace=False))
        for name in entries:
            label = label_of(name)
            if label is None:
                continue
            img = cv2.imdecode(np.frombuffer(z.read(name), np.uint8), cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise ValueError(f"{path}:{name}: not a readable image")
            xs.append(img if size is None else square(img, size))
            ys.append(label)
            names.append(name)
    return Images(np.stack(xs), np.array(ys, dtype=np.int64), names)


def photo_names(path: Path, prefix: str = "") -> list[str]:
    """The image entries under `prefix` in a zip, in name order."""
    with zipfile.ZipFile(path) as z:
        return sorted(n for n in z.namelist()
                      if n.startswith(prefix) and n.lower().endswith(IMAGE_EXT))


def photos(path: Path, names: list[str]) -> list[np.ndarray]:
    """Those entries as BGR colour images, each its own size (read_zip stacks one size)."""
    with zipfile.ZipFile(path) as z:
        return [cv2.imdecode(np.frombuffer(z.read(n), np.uint8), cv2.IMREAD_COLOR)
                for n in names]


def square(img: np.ndarray, size: int) -> np.ndarray:
    """Centre square of a face crop, scaled to size x size (area averaging when shrinking)."""
    h, w = img.shape[:2]
    side = min(h, w)
    img = img[(h - side) // 2 : (h - side) // 2 + side, (w - side) // 2 : (w - side) // 2 + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(img, (size, size), interpolation=interp)


def concat(parts: list[Images]) -> Images:
    soft = (np.concatenate([targets(p) for p in parts])
            if any(p.soft is not None for p in parts) else None)
    return Images(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]),
                  [n for p in parts for n in p.names], soft)


def targets(images: Images) -> np.ndarray:
    """Soft targets where a set has votes, one-hot labels elsewhere."""
    if images.soft is not None:
        return images.soft
    return np.eye(len(FACE_CLASSES), dtype=np.float32)[images.y]


def clean(images: Images) -> Images:
    """Drop flat images (no face) and pixel-identical duplicates (FER2013 has ~1,200)."""
    seen: dict[bytes, int] = {}
    keep = []
    for i, img in enumerate(images.x):
        key = hashlib.sha1(img.tobytes()).digest()
        if img.std() < 5 or key in seen:
            continue
        seen[key] = i
        keep.append(i)
    soft = None if images.soft is None else images.soft[keep]
    return Images(images.x[keep], images.y[keep], [images.names[i] for i in keep], soft)


def fer_label(name: str) -> int | None:
    """'fear/x.png' → index in FACE_CLASSES; disgust (not ours) → None."""
    cls = our_class(name.split("/")[-2])
    return FACE_CLASSES.index(cls) if cls in FACE_CLASSES else None


def fer_label_disgust_angry(name: str) -> int | None:
    """As fer_label, with disgust counted as angry (the plain recipe's choice: a disgusted
    face gets 😠 rather than being left out of training)."""
    return FACE_CLASSES.index("angry") if name.split("/")[-2] == "disgust" else fer_label(name)


# Training sets of face crops: (zip, folder prefix). Every one names its class folders as
# FER2013 does, but AffectNet (affectnet_labels). "tcce" (posed photos, read through the face
# stage) and FER+ votes (soft=True) are added by training_faces.
SOURCES = {"fer": (FER_TRAIN, ""), "rafdb": (RAFDB, "train/"), "sfew": (SFEW, "train/"),
           "affectnet": (AFFECTNET, "")}
AFFECTNET_NAMES = {"anger": "angry", "disgust": "disgust", "fear": "fear", "happy": "happy",
                   "happiness": "happy", "sad": "sad", "sadness": "sad", "surprise": "surprise"}
# FER+ vote columns → our classes (disgust folded into angry as in training; contempt,
# unknown and not-a-face votes go to none of them)
FERPLUS_VOTES = {"anger": "angry", "disgust": "angry", "happiness": "happy",
                 "neutral": "neutral", "sadness": "sad", "fear": "scared", "surprise": "surprised"}


def affectnet_labels(root: Path = DATA) -> dict[str, str]:
    """AffectNet image id → label, for the images whose folder and labels.csv agree.

    labels.csv disagrees with the folder for 29% of the subset's rows (mostly fear/surprise,
    anger/disgust, sad/neutral pairs: looked at in grids), and the 5,620 FFHQ files have no
    row at all (a source's own labelling, 4,999 of them 'happiness'): both are left out."""
    import csv
    import io

    with zipfile.ZipFile(root / AFFECTNET.relative_to(DATA)) as z:
        rows = csv.DictReader(io.StringIO(z.read("labels.csv").decode()))
        listed = {r["pth"].split("/")[-1].split(".")[0]: r["label"] for r in rows}
    return {i: AFFECTNET_NAMES[c] for i, c in listed.items() if c in AFFECTNET_NAMES}


def affectnet_label_of(root: Path, disgust_as_angry: bool):
    """label_of for read_zip: the folder's class where labels.csv agrees with it, else None."""
    agreed = affectnet_labels(root)

    def label_of(name: str) -> int | None:
        folder, file = name.split("/")[-2:]
        folder_class = AFFECTNET_NAMES.get(folder)
        if folder_class is None or agreed.get(file.rsplit("_", 1)[0]) != folder_class:
            return None
        fer_name = f"{folder_class}/{file}"
        return (fer_label_disgust_angry if disgust_as_angry else fer_label)(fer_name)
    return label_of


def ferplus_votes(path: Path = FERPLUS) -> dict[str, np.ndarray]:
    """FER2013 member name (without extension) → soft target over our classes from the ten
    FER+ votes; faces most annotators called unknown or not a face get no entry."""
    import csv

    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            votes = np.zeros(len(FACE_CLASSES), np.float32)
            for column, cls in FERPLUS_VOTES.items():
                votes[FACE_CLASSES.index(cls)] += float(row[column])
            if votes.sum() > float(row["unknown"]) + float(row["NF"]):
                out[row["file"].rsplit(".", 1)[0]] = votes / votes.sum()
    return out


def with_ferplus(fer: Images, prefix: str = "fer:") -> Images:
    """FER2013 faces with FER+'s soft targets and its majority as the label; the faces FER+
    dropped, and those its annotators mostly called unknown or not a face, are left out."""
    votes = ferplus_votes()
    keep = [i for i, n in enumerate(fer.names) if n[len(prefix):].rsplit(".", 1)[0] in votes]
    soft = np.stack([votes[fer.names[i][len(prefix):].rsplit(".", 1)[0]] for i in keep])
    return Images(fer.x[keep], soft.argmax(1).astype(np.int64), [fer.names[i] for i in keep], soft)


# TCCE's expression letter X of tcce/PPTVXNN.jpg: a neutral, b happy, c sad, d angry,
# e disgusted, f fearful, g surprised; '0' marks the neutral photos of performers 12, 13, 18.
TCCE_EXPRESSIONS = {"0": "neutral", "a": "neutral", "b": "happy", "c": "sad", "d": "angry",
                    "e": "disgust", "f": "scared", "g": "surprised"}


def tcce_expression(name: str) -> str | None:
    """'tcce/PPTVXNN.jpg' → the expression acted, disgust included (a taught face's data)."""
    return TCCE_EXPRESSIONS.get(name.split("/")[-1][4])


def tcce_label(name: str, disgust_as_angry: bool = True) -> str | None:
    """'tcce/PPTVXNN.jpg' → our class of the expression acted (disgust: angry, or None)."""
    cls = tcce_expression(name)
    if cls == "disgust":
        return "angry" if disgust_as_angry else None
    return cls


def tcce_performer(name: str) -> int:
    return int(name.split("/")[-1][:2])


def tcce_faces(performers, spec: InputSpec, disgust_as_angry: bool = True,
               root: Path = DATA) -> Images:
    """TCCE photos of these performers as the app sees them: through the face stage
    (detection, landmarks, aligned crop at the model's framing), grayscale."""
    from face2emoji_tray.face import FaceFinder

    path = root / TCCE.relative_to(DATA)
    names = [n for n in photo_names(path, "tcce/")
             if tcce_performer(n) in performers and tcce_label(n, disgust_as_angry)]
    xs, ys, kept = [], [], []
    with FaceFinder(spec) as finder:
        for name, img in zip(names, photos(path, names)):
            face = finder.prepare(img).face
            if face is not None:
                xs.append(face.crop)
                ys.append(FACE_CLASSES.index(tcce_label(name, disgust_as_angry)))
                kept.append(f"tcce:{name}")
    return Images(np.stack(xs), np.array(ys, dtype=np.int64), kept)


def training_faces(sources: tuple[str, ...], size: int, disgust_as_angry: bool,
                   limit: int | None = None, seed: int = 0, root: Path = DATA,
                   soft: bool = False, crop_scale: float = PHOTO_CROP_SCALE) -> Images:
    """The named training sets, cleaned, as size² grayscale faces; `names` keep the source.
    `root` is a folder laid out as DATA (training.pack's copy). With `soft`, FER2013's faces
    carry FER+'s vote shares (and its majority as the label). "tcce" is TCCE performers
    01–20 through the face stage at `crop_scale` (never TCCE_CHECK)."""
    label = fer_label_disgust_angry if disgust_as_angry else fer_label
    parts = []
    for src in sources:
        if src == "tcce":
            parts.append(tcce_faces(set(range(1, 31)) - set(TCCE_CHECK),
                                    InputSpec(size=size, crop_scale=crop_scale),
                                    disgust_as_angry, root))
            continue
        path, prefix = SOURCES[src]
        label_of = affectnet_label_of(root, disgust_as_angry) if src == "affectnet" else label
        part = read_zip(root / path.relative_to(DATA), label_of, limit=limit, seed=seed,
                        prefix=prefix, size=size)
        part.names = [f"{src}:{n}" for n in part.names]
        parts.append(with_ferplus(part) if soft and src == "fer" else part)
    return clean(concat(parts))


def source_zip(src: str) -> Path:
    """The archive a training source is read from (the model's metadata records its hash)."""
    return TCCE if src == "tcce" else SOURCES[src][0]


def name_split(names: list[str], frac: float) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices chosen by a hash of each image's name, not its position:
    the split stays the same when a source is added, removed or relabelled."""
    held = np.array([int(hashlib.sha1(n.encode()).hexdigest()[:8], 16) % 1000 < frac * 1000
                     for n in names])
    return np.flatnonzero(~held), np.flatnonzero(held)


def cew_face(name: str) -> str:
    """CEW patch name → the face it was cut from (its left and right eye share it)."""
    return re.sub(r"_[LR]\.jpg$", "", name.split("/")[-1])


def cew_label(name: str) -> int:
    """CEW folder → 1 for a closed eye, 0 for an open one."""
    return 1 if "/closed" in name else 0


def split(y: np.ndarray, frac: float, seed: int,
          groups: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split into (train, held-out) indices.

    With `groups`, images of one group (the two eyes of one face in CEW) stay on one side,
    so held-out accuracy is measured on faces the model never saw.
    """
    keys = np.array(groups) if groups is not None else np.arange(len(y))
    rng = np.random.default_rng(seed)
    held_keys = set()
    for c in np.unique(y):
        uniq = np.unique(keys[y == c])
        held_keys.update(rng.permutation(uniq)[: int(round(len(uniq) * frac))])
    held = np.isin(keys, list(held_keys))
    return np.flatnonzero(~held), np.flatnonzero(held)


@dataclass
class Augment:
    """Random real-world changes to one uint8 grayscale face crop."""

    rotate: float = 15.0
    scale: tuple[float, float] = (0.85, 1.15)
    shift: float = 0.08
    flip: bool = True
    light: float = 0.8  # probability of a lighting change
    blur: float = 0.25
    noise: float = 0.25
    lowres: float = 0.15
    sharpen: float = 0.25  # train crops are softer than test ones (see inspect_data)
    strength: float = 1.0  # scales the chance of each lighting/quality change (pose stays)

    def __call__(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        h, w = img.shape
        if self.flip and rng.random() < 0.5:
            img = img[:, ::-1]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-self.rotate, self.rotate),
                                    rng.uniform(*self.scale))
        m[:, 2] += rng.uniform(-self.shift, self.shift, 2) * (w, h)
        img = cv2.warpAffine(np.ascontiguousarray(img), m, (w, h), borderMode=cv2.BORDER_REFLECT)
        f = img.astype(np.float32) / 255.0
        if rng.random() < self.light * self.strength:
            f = f ** math.exp(rng.uniform(-0.7, 0.7))  # gamma 0.5 … 2
            f = f * rng.uniform(0.5, 1.3) + rng.uniform(-0.2, 0.2)  # contrast, brightness
            if rng.random() < 0.4:  # a soft shadow from one side
                ang = rng.uniform(0, 2 * math.pi)
                yy, xx = np.mgrid[0:h, 0:w] / max(h, w) - 0.5
                ramp = np.clip(0.5 + (xx * math.cos(ang) + yy * math.sin(ang)) * 2, 0, 1)
                f = f * (1 - rng.uniform(0.3, 0.7) * ramp)
        if rng.random() < self.blur * self.strength:
            f = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.5, 1.5))
        if rng.random() < self.lowres * self.strength:
            k = rng.uniform(0.4, 0.7)
            small = cv2.resize(f, (max(8, int(w * k)), max(8, int(h * k))), interpolation=cv2.INTER_AREA)
            f = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        if rng.random() < self.sharpen * self.strength:  # unsharp mask
            f = f + rng.uniform(0.5, 1.5) * (f - cv2.GaussianBlur(f, (0, 0), 1.0))
        if rng.random() < self.noise * self.strength:
            f = f + rng.normal(0, rng.uniform(0.01, 0.05), f.shape)
        return (np.clip(f, 0, 1) * 255).astype(np.uint8)


def to_batch(images: np.ndarray, spec: InputSpec) -> np.ndarray:
    """The app's preprocessing applied to a stack of raw crops → float32 NCHW."""
    return np.stack([to_input(whole_image_crop(img, spec), spec) for img in images])
