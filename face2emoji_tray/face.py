"""The face stage: find, align and measure a face; THE preprocessing for the classifier.

Training, evaluation, the tray and the web page all call :func:`prepare` (through a
:class:`FaceFinder`), so the pixels the network sees at run time are made exactly as the
pixels it was trained on. Histogram equalisation in :func:`to_input` makes the input
invariant to any monotonic change of brightness (dark, bright, gamma), the failure the
original web prototype met on real webcams.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

# Face-mesh landmark indices (mediapipe's canonical mesh; refined, it has 478 points: the
# 468 with the eyes' and lips' contours refined, then 10 for the irises).
# "right" is the subject's right eye, which appears on the left of an unmirrored image.
RIGHT_EYE = (33, 160, 158, 133, 153, 144)  # corner, top, top, corner, bottom, bottom
LEFT_EYE = (362, 385, 387, 263, 373, 380)
EYE_PATCH = 24  # CEW eye patches are 24x24 grayscale
EYE_SCALE = 1.3  # eye patch side / eye width (corner to corner)


class FaceError(ValueError):
    """The input is not an image the face stage can read."""


@dataclass(frozen=True)
class InputSpec:
    """What the classifier wants: from the model's metadata."""

    size: int = 64
    color: str = "gray"  # "gray" or "rgb"
    equalize: bool = True
    mean: float = 0.5
    std: float = 0.5
    crop_scale: float = 1.3  # face crop side / landmark extent: the training crops' framing

    @property
    def channels(self) -> int:
        return 1 if self.color == "gray" else 3


@dataclass
class Face:
    """The largest face of a frame, aligned and measured."""

    box: tuple[int, int, int, int]  # x, y, w, h in frame pixels
    crop: np.ndarray  # uint8, spec.size square, gray (H, W) or RGB (H, W, 3), eyes level
    landmarks: np.ndarray | None = None  # (478, 2) frame pixels, None in whole-image mode
    eye_patches: tuple[np.ndarray, np.ndarray] | None = None  # (left, right) 24x24 gray
    eye_openness: tuple[float, float] | None = None  # (left, right) eye aspect ratio
    eye_widths: tuple[float, float] | None = None  # (left, right) corner to corner, pixels


@dataclass
class FaceResult:
    """What the face stage saw in one frame: how many faces, and the largest one."""

    count: int
    face: Face | None = None
    notes: list[str] = field(default_factory=list)


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Any gray/BGR/BGRA, 8- or 16-bit array → 8-bit BGR; a clear FaceError otherwise."""
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise FaceError("not an image: empty or not an array")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise FaceError(f"not an image: array of shape {image.shape}")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype in (np.float32, np.float64):
        image = np.clip(image * 255.0, 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise FaceError(f"not an image: unsupported pixel type {image.dtype}")
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _color(bgr: np.ndarray, spec: InputSpec) -> np.ndarray:
    if spec.color == "gray":
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def to_input(crop: np.ndarray, spec: InputSpec) -> np.ndarray:
    """uint8 crop (spec size and colour) → float32 CHW tensor the network reads."""
    img = crop
    if spec.equalize:
        if img.ndim == 2:
            img = cv2.equalizeHist(img)
        else:  # equalise luminance only, keep the colours
            ycc = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)
            ycc[..., 0] = cv2.equalizeHist(ycc[..., 0])
            img = cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
    x = (img.astype(np.float32) / 255.0 - spec.mean) / spec.std
    return x[None] if x.ndim == 2 else x.transpose(2, 0, 1)


def whole_image_crop(image: np.ndarray, spec: InputSpec) -> np.ndarray:
    """Treat the whole image as an already cropped face (FER2013-style 48x48 crops)."""
    bgr = as_bgr(image)
    h, w = bgr.shape[:2]
    side = min(h, w)  # centre square: a face crop is square in all our datasets
    y0, x0 = (h - side) // 2, (w - side) // 2
    square = bgr[y0 : y0 + side, x0 : x0 + side]
    interp = cv2.INTER_AREA if side > spec.size else cv2.INTER_LINEAR
    return _color(cv2.resize(square, (spec.size, spec.size), interpolation=interp), spec)


def _square_warp(angle_deg: float, pivot: tuple[float, float], center: tuple[float, float],
                 side: float, out: int) -> np.ndarray:
    """Affine map: rotate the frame about `pivot`, then cut a `side` square at `center` → out²."""
    rot = np.vstack([cv2.getRotationMatrix2D(pivot, angle_deg, 1.0), [0, 0, 1]])
    k = out / side
    crop = np.array([[k, 0, -k * (center[0] - side / 2)], [0, k, -k * (center[1] - side / 2)],
                     [0, 0, 1]])
    return (crop @ rot)[:2]


def _transform(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    return points @ m[:, :2].T + m[:, 2]


def eye_aspect_ratio(landmarks: np.ndarray, idx: tuple[int, ...]) -> float:
    """Soukupová & Čech's EAR: eyelid gap over eye width; ≈0.3 open, < 0.15 closed."""
    p = landmarks[list(idx)]
    gap = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
    width = np.linalg.norm(p[0] - p[3])
    return float(gap / (2.0 * width)) if width > 0 else 0.0


def align_face(bgr: np.ndarray, landmarks: np.ndarray, spec: InputSpec) -> Face:
    """Rotate so the eyes are level and cut a FER-like square (forehead to chin)."""
    right_c = landmarks[list(RIGHT_EYE)].mean(axis=0)
    left_c = landmarks[list(LEFT_EYE)].mean(axis=0)
    dx, dy = left_c - right_c
    angle = math.degrees(math.atan2(dy, dx))
    pivot = tuple(((left_c + right_c) / 2).tolist())
    rot = cv2.getRotationMatrix2D(pivot, angle, 1.0)
    level = _transform(landmarks, rot)
    lo, hi = level.min(axis=0), level.max(axis=0)
    side = spec.crop_scale * max(hi - lo)
    center = ((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2 + 0.02 * side)
    m = _square_warp(angle, pivot, center, side, spec.size)
    crop = _color(cv2.warpAffine(bgr, m, (spec.size, spec.size), flags=cv2.INTER_AREA,
                                 borderMode=cv2.BORDER_REPLICATE), spec)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    patches = []
    # Both eyes at one scale (their mean width): a winking eye's corners move, and a patch
    # scaled by its own width would magnify the closed eye and hide the difference.
    widths = tuple(float(np.linalg.norm(level[i[0]] - level[i[3]])) for i in (LEFT_EYE, RIGHT_EYE))
    width = np.mean(widths)
    for idx in (LEFT_EYE, RIGHT_EYE):
        pts = level[list(idx)]
        em = _square_warp(angle, pivot, tuple(pts.mean(axis=0).tolist()), EYE_SCALE * width, EYE_PATCH)
        patches.append(cv2.warpAffine(gray, em, (EYE_PATCH, EYE_PATCH), flags=cv2.INTER_AREA,
                                      borderMode=cv2.BORDER_REPLICATE))
    x, y = landmarks.min(axis=0)
    w, h = landmarks.max(axis=0) - (x, y)
    return Face(box=(int(x), int(y), int(w), int(h)), crop=crop, landmarks=landmarks,
                eye_patches=(patches[0], patches[1]),
                eye_openness=(eye_aspect_ratio(landmarks, LEFT_EYE),
                              eye_aspect_ratio(landmarks, RIGHT_EYE)),
                eye_widths=widths)


DETECT_EVERY = 5  # video mode: the detector's check, every 5th frame (once a second at 5 fps)
FOLLOWED_PRESENCE = 0.8  # video mode, following: the least face-presence score (the mesh's own,
#                          mediapipe's min_tracking_confidence) that keeps a face followed; at
#                          its default, 0.5, the mesh went on following an empty room for a frame
EDGE = 0.1  # video mode: a followed face this near its square's edge (share of the side) is
#             looked for again by the detector on the next frame


Square = tuple[int, int, int, int]  # x0, y0, x1, y1 in frame pixels


def mesh_square(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> Square:
    """The generous square (x0, y0, x1, y1, clipped to the frame) around a detector box that
    the mesh looks at, so it measures that face only."""
    x, y, w, h = box
    side = int(1.8 * max(w, h))
    cx, cy = x + w // 2, y + h // 2
    return (max(cx - side // 2, 0), max(cy - side // 2, 0),
            min(cx + side // 2, shape[1]), min(cy + side // 2, shape[0]))


def near_edge(landmarks: np.ndarray, square: Square, shape: tuple[int, ...]) -> bool:
    """Whether a face has moved near an edge of its square that is not the frame's own (the
    face can go on beyond it, where the mesh does not look)."""
    x0, y0, x1, y1 = square
    m = EDGE * max(x1 - x0, y1 - y0)
    (lx, ly), (hx, hy) = landmarks.min(axis=0), landmarks.max(axis=0)
    return ((x0 > 0 and lx < x0 + m) or (y0 > 0 and ly < y0 + m)
            or (x1 < shape[1] and hx > x1 - m) or (y1 < shape[0] and hy > y1 - m))


@dataclass
class Followed:
    """Video mode: the face the mesh follows, and what the last detection said."""

    square: Square  # where the mesh looks
    count: int  # the faces the detector counted
    frames: int = 1  # frames read since that detection, it included


class FaceFinder:
    """mediapipe face detection + face mesh, with the models shipped in the mediapipe wheel.

    The detector (full range: it also finds small, distant faces) finds and counts the faces
    of each image; the mesh then measures the largest, on a square around it. On a still the
    mesh must find that face again by itself (its own detector). With `video=True` — one
    camera's frames, in order — the mesh tracks instead (the landmarks of the last frame tell
    it where the face is), and the detector, the stage's dearest part, runs only when needed:
    when no face is followed, when the mesh has lost it, when it nears the edge of its square,
    and every `detect_every`-th frame as a check, which notices a second face (the count) or
    a larger one (then followed instead). In between, the mesh looks at the same square as
    on the last detection, and the count is that detection's; a face entering is thus
    noticed up to `detect_every - 1` frames late (0.8 s at 5 fps). `detect_every=1` detects
    on every frame.

    Not thread-safe (mediapipe graphs are not): make one per thread, and in video mode one
    per camera.
    """

    def __init__(self, spec: InputSpec, min_confidence: float = 0.5, video: bool = False,
                 detect_every: int = DETECT_EVERY) -> None:
        import mediapipe as mp  # heavy: imported only when a finder is made

        if detect_every < 1:
            raise ValueError(f"detect_every must be 1 or more, not {detect_every}")
        self.spec, self.video, self.detect_every = spec, video, detect_every
        self._followed: Followed | None = None
        self.detections = 0  # how often the detector ran: what following the face saves
        self._detector = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_confidence)
        following = video and detect_every > 1  # else the detector vouches for every face
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=not video, max_num_faces=1, min_detection_confidence=0.3,
            min_tracking_confidence=FOLLOWED_PRESENCE if following else 0.5,
            refine_landmarks=True)  # eyelids that close on a wink (eyes.py); +0.3 ms

    def close(self) -> None:
        self._detector.close()
        self._mesh.close()

    def __enter__(self) -> "FaceFinder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def prepare(self, image: np.ndarray, whole_image: bool = False) -> FaceResult:
        """Frame → the largest face, aligned and measured, ready for the classifier.

        `whole_image=True` is for images that already are a tight face crop; it is an
        explicit choice, never a fallback for camera frames.
        """
        bgr = as_bgr(image)
        if whole_image:
            h, w = bgr.shape[:2]
            return FaceResult(1, Face(box=(0, 0, w, h), crop=whole_image_crop(bgr, self.spec)))
        followed = self._followed
        if followed is not None and followed.frames < self.detect_every:
            found = self._follow(bgr, followed)
            if found is not None:
                return found
        return self._find(bgr)

    def forget(self) -> None:
        """Stop following: the next frame is searched afresh (after a pause or a camera fault
        the scene may have changed, and the old face count must not be reported)."""
        self._followed = None

    def _find(self, bgr: np.ndarray) -> FaceResult:
        """Detect, then measure the largest face (in video mode: and follow it from now on)."""
        self._followed = None
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)  # once, for the detector and the mesh
        boxes = self.detect(rgb)
        if not boxes:
            return FaceResult(0)
        square = mesh_square(max(boxes, key=lambda b: b[2] * b[3]), rgb.shape)
        x0, y0, x1, y1 = square
        landmarks = self.landmarks(rgb[y0:y1, x0:x1], (x0, y0))
        if landmarks is None:
            return FaceResult(len(boxes), notes=["a face was detected but its landmarks were not"])
        if self.video:
            self._followed = Followed(square, len(boxes))
        return FaceResult(len(boxes), align_face(bgr, landmarks, self.spec))

    def _follow(self, bgr: np.ndarray, followed: Followed) -> FaceResult | None:
        """The followed face, measured by the mesh alone in its square; None when lost."""
        x0, y0, x1, y1 = followed.square
        landmarks = self.landmarks(cv2.cvtColor(bgr[y0:y1, x0:x1], cv2.COLOR_BGR2RGB), (x0, y0))
        if landmarks is None:
            return None
        followed.frames = (self.detect_every if near_edge(landmarks, followed.square, bgr.shape)
                           else followed.frames + 1)
        return FaceResult(followed.count, align_face(bgr, landmarks, self.spec))

    def detect(self, rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
        """All face boxes (x, y, w, h) in frame pixels, in an RGB frame."""
        h, w = rgb.shape[:2]
        self.detections += 1
        found = self._detector.process(rgb).detections or []
        boxes = []
        for det in found:
            r = det.location_data.relative_bounding_box
            boxes.append((int(r.xmin * w), int(r.ymin * h), int(r.width * w), int(r.height * h)))
        return boxes

    def landmarks(self, rgb_square: np.ndarray, origin: tuple[int, int]) -> np.ndarray | None:
        """The mesh's landmarks in frame pixels, measured in an RGB square cut at `origin`."""
        if rgb_square.size == 0:
            return None
        res = self._mesh.process(rgb_square)
        if not res.multi_face_landmarks:
            return None
        rh, rw = rgb_square.shape[:2]
        x0, y0 = origin
        points = res.multi_face_landmarks[0].landmark
        return np.array([(p.x * rw + x0, p.y * rh + y0) for p in points], dtype=np.float32)
