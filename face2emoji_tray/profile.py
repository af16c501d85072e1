"""A person's own faces: a profile that adapts the expression model to one user.

A model trained on strangers reads one person imperfectly; that person can show each face
once. A profile keeps, per class the user showed, the mean direction of the model's
penultimate features (never an image or a frame), the SHA-256 of the model those features
came from, and a format version. At run time a face is compared with the user's own
prototypes by cosine similarity, and the result is blended with the global model:

    p'(c) = P_cal * ((1 - BLEND) * p(c) / P_cal + BLEND * softmax(sim / TEMPERATURE)(c))

for the calibrated classes c, where P_cal is the global probability of all calibrated classes
together; classes the user did not calibrate keep the global model's reading exactly.
BLEND and TEMPERATURE were chosen on the posed sets (`python -m training.calibration --grid`):
the strongest blend whose cost to a class left out of the profile stays within 2 points
(TFEID, leave one class out), while the person's own calibration photos are read as what they
show (233 of 249, against 184 without a profile). Centring the similarities on the person's
mean prototype was tried and did no better.

A profile may also hold taught faces: faces the model has no class for (a tongue out 😛,
disgust 🤢), each a prototype like the built-in ones, with its name and the emoji it types. A
taught face takes probability only when the frame is clearly closer to it than to the person's
own built-in faces: its share is

    gate = sigmoid((max sim(taught) - max sim(built-in) - MARGIN) / TEMPERATURE) * P_cal

(the global model's mass on the calibrated classes, so a face the global model reads as a class
the person did not calibrate does not become a taught one), split among the taught faces by the
same softmax, and the built-in reading is scaled by 1 - gate. MARGIN was chosen on TCCE
performers 01–20 (`python -m training.calibration --grid`): the smallest margin that reads at
most 5% of a person's other faces as their taught disgust.

A profile may also hold the person's own wink (eyes.PersonalWink: which eye, and thresholds
between their wink and their other faces), learned from the eye readings of the frames they
showed; a wink is then theirs or the everyone-rule's (`python -m training.winks --personal`).
"""
from __future__ import annotations

import base64
import json
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import platformdirs

from face2emoji_tray import files
from face2emoji_tray.classifier import EYE_MODEL, file_sha256
from face2emoji_tray.emoji import FACE_CLASSES, name_problem, nfc, text_problem
from face2emoji_tray.eyes import Eyes, PersonalWink

if TYPE_CHECKING:
    from face2emoji_tray.classifier import Classifier

try:
    import fcntl
except ImportError:  # Windows: saves in two processes at once are not kept apart there
    fcntl = None

FORMAT = 2  # 2: taught faces; a format 1 file (none) still loads
FORMATS = (1, 2)
BLEND = 0.7  # weight of the person's prototypes against the global model
TEMPERATURE = 0.05  # softmax temperature over cosine similarities
MIN_CLASSES = 2  # one calibrated class cannot be told from anything: no effect
MARGIN = 0.04  # cosine similarity a taught face must win by over the nearest built-in face
MAX_TAUGHT = 20  # taught faces in one profile: more is a damaged or foreign file
MAX_BYTES = 1 << 20  # a profile of all seven faces is about 25 KB; anything near 1 MB is not one

# What a profile file edited by hand, cut short or made hostile raises while it is read:
# refused in one line. json raises RecursionError for deep nesting ("[" * 100_000), and
# UnicodeDecodeError is a ValueError.
DAMAGED = (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError)


class ProfileError(ValueError):
    """A profile file is unreadable or made for another model, or a path is no profile to
    replace or delete; the message says which."""


def default_path() -> Path:
    """The user's own profile, in the platform's data folder (read at call time, so a
    changed XDG_DATA_HOME applies)."""
    return Path(platformdirs.user_data_dir("face2emoji")) / "profile.json"


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float32)
    return v / max(float(np.linalg.norm(v)), 1e-12)


WINK = "wink"  # read from the eyes: taught from eye readings, never a prototype


@lru_cache(maxsize=1)
def eye_model_sha256() -> str:
    """The shipped eye model's: a taught wink's thresholds hold for this model's readings."""
    return file_sha256(EYE_MODEL)


@dataclass
class Taught:
    """A face the model has no class for, as the person showed it."""

    prototype: np.ndarray  # unit-length mean feature direction
    emoji: str  # what it types unless the settings' [emoji] names it
    photos: int


def _mean_direction(features: list[np.ndarray]) -> np.ndarray:
    return _unit(np.mean([_unit(f) for f in features], axis=0))


def _taught_checked(name: str, emoji: str) -> str:
    """A taught face's name (NFC: emoji.nfc), checked with what it types; ValueError in one
    line otherwise."""
    name = nfc(name)
    if why := name_problem(name):
        raise ValueError(f"a taught face with {why}")
    if why := text_problem(emoji):
        raise ValueError(f"a taught face that types {why}")
    return name


@dataclass
class Profile:
    model_sha256: str
    prototypes: dict[str, np.ndarray]  # class → unit-length mean feature direction
    photos: dict[str, int]  # class → how many faces made its prototype (wink included)
    wink: PersonalWink | None = None
    eyes_sha256: str = ""  # the eye model the wink was taught with
    unlearned: str = ""  # why the wink shown was not learned (not saved)
    taught: dict[str, Taught] = field(default_factory=dict)  # name → a face of their own

    @classmethod
    def build(cls, model_sha256: str, features: dict[str, list[np.ndarray]],
              eyes: dict[str, list[Eyes]] | None = None,
              emoji: dict[str, str] | None = None) -> "Profile":
        """Per face, its features (any number ≥ 1) → one prototype each: a model class is a
        built-in face, any other name a taught one (typing `emoji[name]`, else the name);
        with the frames' eye readings, the wink (`eyes["wink"]`) against all the other faces.
        A bad taught name or emoji raises ValueError."""
        protos = {c: _mean_direction(fs) for c, fs in features.items()
                  if fs and c in FACE_CLASSES}
        taught = {}
        for name, fs in features.items():
            if fs and name not in FACE_CLASSES and name != WINK:
                text = (emoji or {}).get(name, name)
                taught[_taught_checked(name, text)] = Taught(_mean_direction(fs), text, len(fs))
        if len(taught) > MAX_TAUGHT:
            raise ValueError(f"{len(taught)} taught faces (at most {MAX_TAUGHT})")
        made = cls(model_sha256, protos, {c: len(features[c]) for c in protos}, taught=taught)
        winks = (eyes or {}).get(WINK, [])
        if winks:
            others = [e for c, es in eyes.items() if c != WINK for e in es]
            try:
                made.wink = PersonalWink.learn(winks, others)
                made.photos[WINK] = sum(e.frontal() for e in winks)
                made.eyes_sha256 = eye_model_sha256()
            except ValueError as exc:
                made.unlearned = f"wink not learned: {exc}"
        return made

    @property
    def active(self) -> bool:
        """Whether it changes the expressions (a wink alone does not)."""
        return len(self.prototypes) >= MIN_CLASSES

    @property
    def useful(self) -> bool:
        """Worth saving: it changes the expressions, or it knows the person's wink."""
        return self.active or self.wink is not None

    @property
    def taught_alone(self) -> str:
        """Why it must not be saved although useful, or "": taught faces without enough of the
        person's own faces to tell them from (from_json refuses such a file, so a saved one
        would be set aside as damaged at its first reading)."""
        if self.taught and not self.active:
            return (f"a taught face is told from your own faces: take at least {MIN_CLASSES} "
                    "of them")
        return ""

    @cached_property
    def _rows(self) -> tuple[list[str], np.ndarray]:
        """The calibrated classes, then the taught faces, and their prototypes stacked: one
        matrix product per frame."""
        names = [*self.prototypes, *self.taught] if self.active else []
        rows = [*self.prototypes.values(), *(t.prototype for t in self.taught.values())]
        return names, (np.stack(rows) if names else np.zeros((0, 0), np.float32))

    def apply(self, classes: tuple[str, ...], probs: np.ndarray,
              features: np.ndarray) -> dict[str, float]:
        """Global probabilities (classes order) and one face's features → the person's
        reading by name: the model's classes, then their taught faces."""
        out = np.array(probs, np.float32, copy=True)
        names, matrix = self._rows
        if not names:
            return dict(zip(classes, map(float, out)))
        sims = matrix @ _unit(features)
        mine = len(self.prototypes)
        idx = [classes.index(c) for c in names[:mine]]
        mass = float(out[idx].sum())
        out[idx] = (1 - BLEND) * out[idx] + BLEND * mass * _softmax(sims[:mine])
        reading = dict(zip(classes, map(float, out)))
        if self.taught:
            lead = (sims[mine:].max() - sims[:mine].max() - MARGIN) / TEMPERATURE
            gate = mass / (1.0 + float(np.exp(-np.clip(lead, -50, 50))))
            reading = {c: p * (1 - gate) for c, p in reading.items()}
            reading.update(zip(names[mine:], map(float, gate * _softmax(sims[mine:]))))
        return reading

    def to_json(self) -> dict:
        data = {"format": FORMAT, "model_sha256": self.model_sha256, "created": int(time.time()),
                "classes": {c: {"photos": self.photos[c],
                                "prototype": _b64(p)}
                            for c, p in self.prototypes.items()}}
        if self.wink is not None:
            data[WINK] = {"photos": self.photos[WINK], "eye_model_sha256": self.eyes_sha256,
                          **self.wink.to_json()}
        data["taught"] = {n: {"emoji": t.emoji, "photos": t.photos, "prototype": _b64(t.prototype)}
                          for n, t in self.taught.items()}
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Profile":
        """A profile file's content, checked: a file edited by hand or cut short must be
        refused here, in one line, rather than fail at every frame."""
        if data.get("format") not in FORMATS:
            raise ValueError(f"format {data.get('format')!r}, expected one of {FORMATS}")
        protos, photos = {}, {}
        for c, entry in data["classes"].items():
            if c not in FACE_CLASSES:
                raise ValueError(f"unknown class {c!r}")
            protos[c] = _from_b64(entry["prototype"])
            photos[c] = int(entry["photos"])
        taught = _taught_from_json(data.get("taught", {}) if data["format"] >= 2 else {})
        if taught and len(protos) < MIN_CLASSES:
            raise ValueError(f"taught faces with {len(protos)} of your own faces to tell them "
                             f"from (at least {MIN_CLASSES})")
        every = [*protos.values(), *(t.prototype for t in taught.values())]
        sizes = {p.size for p in every}
        if len(sizes) > 1 or 0 in sizes:
            raise ValueError(f"prototypes of {sorted(sizes)} values")
        if not all(np.isfinite(p).all() for p in every):
            raise ValueError("prototypes that are not numbers")
        wink, eyes_sha256 = None, ""
        if WINK in data:
            wink = PersonalWink.from_json(data[WINK])
            photos[WINK] = int(data[WINK]["photos"])
            eyes_sha256 = data[WINK]["eye_model_sha256"]
            if not isinstance(eyes_sha256, str):
                raise ValueError(f"a wink of eye model {eyes_sha256!r}")
        elif not protos:
            raise ValueError("no faces and no wink")
        for t in taught.values():
            t.prototype = _unit(t.prototype)
        return cls(str(data["model_sha256"]), {c: _unit(p) for c, p in protos.items()}, photos,
                   wink, eyes_sha256, taught=taught)


def typed(name: str, settings: dict[str, str], mine: Profile | None) -> str:
    """What a face types: the settings' [emoji] entry for it, else the emoji of a taught face
    of `mine` (its name when none was given: a folder `🤢/` types 🤢); nothing ("") for a
    name that is neither, as a face of a profile no longer in use."""
    if name in settings:
        return settings[name]
    return mine.taught[name].emoji if mine is not None and name in mine.taught else ""


def _softmax(sims: np.ndarray) -> np.ndarray:
    q = np.exp((sims - sims.max()) / TEMPERATURE)
    return q / q.sum()


def _b64(prototype: np.ndarray) -> str:
    return base64.b64encode(prototype.astype(np.float16).tobytes()).decode("ascii")


def _from_b64(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), np.float16)


def _taught_from_json(entries: dict) -> dict[str, Taught]:
    """A file's taught faces, each checked (name, emoji, photos); sizes are checked with the
    built-in prototypes."""
    if not isinstance(entries, dict) or len(entries) > MAX_TAUGHT:
        raise ValueError(f"taught faces that are not a table of at most {MAX_TAUGHT}")
    out = {}
    for key, entry in entries.items():
        name = _taught_checked(key, entry["emoji"])
        if name in out:
            raise ValueError(f"two taught faces named {name!r}")
        photos = int(entry["photos"])
        if photos < 1:
            raise ValueError(f"taught face {name!r} from {photos} photos")
        out[name] = Taught(_from_b64(entry["prototype"]), entry["emoji"], photos)
    return out


def _parse(path: Path) -> Profile:
    """The profile file's content, checked; OSError or one of DAMAGED otherwise. Never read
    through a symbolic link: one in the data folder could point at another user's file."""
    data = files.read_bounded(path, MAX_BYTES, follow_links=False)
    return Profile.from_json(json.loads(data.decode("utf-8")))


def load(path: Path, model: "Classifier") -> Profile:
    """The profile at `path`, checked against the model in use (its SHA-256 and its number
    of features); ProfileError otherwise."""
    try:
        profile = _parse(path)
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc.strerror})") from None
    except DAMAGED as exc:
        raise ProfileError(f"{path}: not a readable Face2Emoji profile ({exc}); "
                           "teach your faces again to replace it") from None
    if profile.model_sha256 != model.sha256:
        raise ProfileError(f"{path}: made for another expression model; teach your faces again "
                           "(the profile is kept until then)")
    if profile.wink is not None and profile.eyes_sha256 != eye_model_sha256():
        raise ProfileError(f"{path}: its wink was taught with another eye model; teach your faces "
                           "again (the profile is kept until then)")
    size = next(iter(profile.prototypes.values())).size if profile.prototypes else None
    if size not in (None, model.feature_size):
        raise ProfileError(f"{path}: not a readable Face2Emoji profile ({size} features per "
                           f"face, the model has {model.feature_size}); teach your faces again")
    return profile


def load_default(model: "Classifier") -> tuple[Profile | None, str]:
    """The user's own profile if there is one: (profile or None, a one-line note)."""
    path = default_path()
    if not os.path.lexists(path):
        return None, ""
    try:
        return load(path, model), f"your faces ({path.name})"
    except ProfileError as exc:
        return None, str(exc)


_SAVING = threading.Lock()  # this process's saves, one at a time (_saving)


@contextmanager
def _saving(folder: Path) -> Iterator[None]:
    """Held around setting aside, writing and replacing the profile in `folder`: by this
    process's threads one at a time and, where the platform has flock, by one process at a
    time (the page's Save and `calibrate` may write at once). Otherwise two saves each find a
    damaged file and both move it, and one fails after the other's faces are on disk."""
    with _SAVING:
        if fcntl is None:
            yield
            return
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # and the lock with it


def not_a_profile(path: Path) -> str:
    """Why what is at `path` is no profile to replace or delete ('' when nothing is there,
    or a readable profile of any model). A path the user names may be any file of theirs
    (`--profile ~/.bashrc`), or a folder of theirs."""
    if not os.path.lexists(path):
        return ""
    if _folder(path):
        return "a folder, not a profile"
    try:
        _parse(path)
    except OSError as exc:
        return f"cannot be read ({files.reason(exc)})"
    except DAMAGED as exc:
        return f"not a Face2Emoji profile ({exc})"
    return ""


def _folder(path: Path) -> bool:
    """A folder at `path` (not a link to one): never moved, never deleted."""
    return stat.S_ISDIR(os.lstat(path).st_mode)


def set_aside(path: Path) -> Path | None:
    """Move a file at `path` that is not a readable profile (damaged, too large, a symbolic
    link, a FIFO…) beside it as <name>.broken-<time>, so that saving replaces it without
    losing it; the name it now has, or None when there was nothing to keep. For the user's
    own profile only (a path the user named is refused instead: save's `named`); a folder is
    never moved (saving then fails on it, in one line)."""
    path = Path(path)
    if not os.path.lexists(path):  # nothing to keep (its folder may not be there either)
        return None
    with _saving(path.parent):
        return _set_aside(path)


def _set_aside(path: Path) -> Path | None:
    if not os.path.lexists(path) or _folder(path):
        return None
    try:
        _parse(path)
        return None
    except (OSError, *DAMAGED):
        kept = path.with_name(f"{path.name}.broken-{time.time_ns()}")
        os.replace(path, kept)  # renames a symbolic link itself, never what it points to
        return kept


def save(profile: Profile, path: Path, named: bool = False) -> Path:
    """Write atomically with mode 0600 (it describes a person's face): a temporary file of its
    own in the same folder (mkstemp: a new name, never a link someone left there), then
    replaced in one step. A file at `path` that is not a readable profile is kept beside it
    (set_aside), never overwritten; at a path the user `named`, anything but a profile is
    refused (ProfileError) and left as it is. Saves at once take turns (_saving)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _saving(path.parent):
        if named and (why := not_a_profile(path)):
            raise ProfileError(f"{path}: {why}; not replaced (name a new file or a profile)")
        _set_aside(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(profile.to_json(), f)
                f.flush()
                os.fsync(f.fileno())  # the bytes are on disk before the name points at them
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    return path


def forget(path: Path | None = None) -> bool:
    """Delete the profile (the user's own, or the one at the `path` they named); True if there
    was one. A folder is never deleted, nor a named file that is not a profile (ProfileError,
    one line); the user's own file goes even when broken: forgetting is a way to be rid of it."""
    named, path = path is not None, Path(path or default_path())
    if not os.path.lexists(path):
        return False
    with _saving(path.parent):
        why = not_a_profile(path)
        if why and (named or _folder(path)):
            raise ProfileError(f"{path}: {why}; not deleted")
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise ProfileError(f"{path}: cannot delete the profile ({files.reason(exc)})") from None
    return True


class Watcher:
    """The user's own profile as it is on disk now, for a long-running app: re-read when the
    file appears, changes or goes (the page saved one, or the user chose "Forget my faces"),
    so a new profile is used without a restart. Checks the file at most every `every` s."""

    def __init__(self, model: "Classifier", path: Path | None = None, every: float = 1.0) -> None:
        self.model, self.path, self.every = model, path, every
        self._seen: tuple | None = ()  # the file's (mtime, size, inode) last read; None: no file
        self._checked = float("-inf")
        self._profile: Profile | None = None
        self.note = ""  # one line: "your faces" in use, or why a file is not used

    def current(self) -> Profile | None:
        now = time.monotonic()
        if now - self._checked < self.every:
            return self._profile
        self._checked = now
        path = self.path or default_path()
        try:
            st = path.lstat()  # a link is not followed: load refuses it
            seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            self._seen = seen
            self._reload(path, seen is not None)
        return self._profile

    def _reload(self, path: Path, exists: bool) -> None:
        self._profile, self.note = None, ""
        if not exists:
            return
        try:
            self._profile = load(path, self.model)
            self.note = "your faces" if self._profile.useful else ""
        except ProfileError as exc:
            self.note = str(exc)
