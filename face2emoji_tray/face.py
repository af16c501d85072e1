"""The face stage: find, align and measure a face.

MediaPipe's Face Landmarker task (landmarker.py) finds the faces of a frame and measures each:
478 landmarks (irises included), 52 blendshape scores (browDownLeft, eyeBlinkRight,
mouthSmileLeft, jawOpen, …) and the head's pose. On a camera's frames (VIDEO mode) it follows
the faces from frame to frame by itself. The largest face is cut out level (align_face) at the
classifier's framing, with both eye patches and openness for the wink rule.

Training, evaluation, the tray and the web page all call :meth:`FaceFinder.prepare`, so the
pixels the network sees at run time are made exactly as the pixels it was trained on
(preprocess.py holds the rest of that preprocessing).
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from face2emoji_tray import landmarker
from face2emoji_tray.preprocess import InputSpec, as_bgr, color, whole_image_crop

# Face-mesh landmark indices (mediapipe's canonical mesh of 478 points: the 468 with the eyes'
# and lips' contours refined, then 10 for the irises).
# "right" is the subject's right eye, which appears on the left of an unmirrored image.
RIGHT_EYE = (33, 160, 158, 133, 153, 144)  # corner, top, top, corner, bottom, bottom
LEFT_EYE = (362, 385, 387, 263, 373, 380)
EYE_PATCH = 24  # CEW eye patches are 24x24 grayscale
EYE_SCALE = 1.3  # eye patch side / eye width (corner to corner)

MAX_FACES = 4  # faces measured (and so counted) per frame: "several" needs two; each costs
#                a run of the landmark model, and the largest is the one read
FOLLOWED_PRESENCE = 0.8  # video mode: the least face-presence score (the landmark model's own)
#                         that keeps a face followed; at the task's default, 0.5, it went
#                         on following an empty room for a frame (tests/test_live_face.py)
VIDEO_STEP_MS = 200  # video mode: the time between frames the task is told (5 frames a
#                      second, the tray's pace): one clock for every run, so a video reads
#                      the same however fast the machine is


@dataclass(frozen=True)
class Pose:
    """The head's rotation in degrees, from the task's facial transformation matrix: yaw
    (turned left or right), pitch (nodding up or down), roll (tilted); 0, 0, 0 faces the
    camera."""

    yaw: float
    pitch: float
    roll: float

    @classmethod
    def from_matrix(cls, matrix: np.ndarray) -> "Pose":
        """R = Rz(roll) · Ry(yaw) · Rx(pitch), the rotation part of the 4x4 matrix."""
        r = np.asarray(matrix, dtype=np.float64)[:3, :3]
        yaw = math.asin(max(-1.0, min(1.0, -r[2, 0])))
        pitch = math.atan2(r[2, 1], r[2, 2])
        roll = math.atan2(r[1, 0], r[0, 0])
        return cls(*(round(math.degrees(a), 2) for a in (yaw, pitch, roll)))


@dataclass
class Face:
    """The largest face of a frame, aligned and measured."""

    box: tuple[int, int, int, int]  # x, y, w, h in frame pixels
    crop: np.ndarray  # uint8, spec.size square, gray (H, W) or RGB (H, W, 3), eyes level
    landmarks: np.ndarray | None = None  # (478, 2) frame pixels, None in whole-image mode
    eye_patches: tuple[np.ndarray, np.ndarray] | None = None  # (left, right) 24x24 gray
    eye_openness: tuple[float, float] | None = None  # (left, right) eye aspect ratio
    eye_widths: tuple[float, float] | None = None  # (left, right) corner to corner, pixels
    blendshapes: dict[str, float] | None = None  # MediaPipe's 52 scores by name, 0–1
    pose: Pose | None = None


@dataclass
class FaceResult:
    """What the face stage saw in one frame: how many faces, and the largest one."""

    count: int
    face: Face | None = None
    notes: list[str] = field(default_factory=list)


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
    crop = color(cv2.warpAffine(bgr, m, (spec.size, spec.size), flags=cv2.INTER_AREA,
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


def _points(faces: list) -> list[np.ndarray]:
    """Each face's landmarks as an (N, 2) array in the image's normalised units."""
    return [np.array([(p.x, p.y) for p in face], np.float32) for face in faces]


def _boxes(points: list[np.ndarray]) -> np.ndarray:
    """(N, 4) x0, y0, x1, y1 of each face's landmarks."""
    return np.array([[*p.min(axis=0), *p.max(axis=0)] for p in points]).reshape(-1, 4)


def _distinct(boxes: np.ndarray, overlap: float = 0.5) -> int:
    """How many faces the boxes are: in video mode a face that jumped is, for a frame, both
    the one followed and a new detection, and two boxes over `overlap` (IoU) are one face."""
    kept: list[np.ndarray] = []
    for b in boxes:
        for k in kept:
            w, h = np.minimum(b[2:], k[2:]) - np.maximum(b[:2], k[:2])
            inter = max(w, 0.0) * max(h, 0.0)
            union = np.prod(b[2:] - b[:2]) + np.prod(k[2:] - k[:2]) - inter
            if inter > overlap * union:
                break
        else:
            kept.append(b)
    return len(kept)


class FaceFinder:
    """MediaPipe's Face Landmarker: every face of a frame (up to MAX_FACES), and the largest
    aligned and measured.

    Stills (photos, uploads, datasets) are read one by one in IMAGE mode. With `video=True`
    — one camera's frames, in order — the task runs in VIDEO mode and follows the faces from
    frame to frame itself; each frame is taken as VIDEO_STEP_MS after the last. Its detector
    runs whenever fewer than MAX_FACES faces are followed, so a face that comes into view is
    counted on its first frame.

    Not thread-safe (one task graph): make one per thread, and in video mode one per camera.
    """

    def __init__(self, spec: InputSpec, video: bool = False,
                 model: Path = landmarker.TASK_FILE) -> None:
        self.spec, self.video = spec, video
        self._model = landmarker.read(model)
        self._clock_ms = 0
        self._fresh = True  # the next run is the task's first: its native logs are caught
        self._task = self._make()

    def _make(self):
        return landmarker.open_task(self._model, video=self.video, faces=MAX_FACES,
                                    presence=FOLLOWED_PRESENCE if self.video else 0.5)

    def close(self) -> None:
        if self._task is not None:
            landmarker.close_task(self._task)
            self._task = None

    def __enter__(self) -> "FaceFinder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def forget(self) -> None:
        """Follow nothing from before: after a pause or a camera fault the scene may have
        changed. The task keeps what it followed inside, so it is made afresh (≈50 ms)."""
        if self.video:
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
        found = self._run(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        if not found.face_landmarks:
            return FaceResult(0)
        points = _points(found.face_landmarks)
        boxes = _boxes(points)
        i = int(np.argmax(np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)))  # the largest
        h, w = bgr.shape[:2]
        landmarks = points[i] * np.array([w, h], np.float32)
        face = align_face(bgr, landmarks, self.spec)
        face.blendshapes = {c.category_name: float(c.score) for c in found.face_blendshapes[i]}
        face.pose = Pose.from_matrix(found.facial_transformation_matrixes[i])
        return FaceResult(_distinct(boxes), face)

    def _run(self, rgb: np.ndarray):
        """The task's result for one RGB frame (its first run's native logs caught)."""
        import mediapipe as mp

        if self._task is None:
            self._task, self._fresh = self._make(), True
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with landmarker.native_stderr_to_log() if self._fresh else contextlib.nullcontext():
            if self.video:
                self._clock_ms += VIDEO_STEP_MS
                found = self._task.detect_for_video(image, self._clock_ms)
            else:
                found = self._task.detect(image)
        self._fresh = False
        return found
