"""The face stage on real photos: found, centred, level, counted; bad input is a clear error."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from face2emoji_tray.face import FaceFinder
from face2emoji_tray.preprocess import FaceError, InputSpec

SPEC = InputSpec(size=64, color="gray")


@pytest.fixture(scope="module")
def finder():
    with FaceFinder(SPEC) as f:
        yield f


def rotate(img: np.ndarray, degrees: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def eye_tilt(face) -> float:
    """Angle in degrees of the line between the eye centres, in the aligned crop's frame."""
    from face2emoji_tray.face import LEFT_EYE, RIGHT_EYE

    lm = face.landmarks
    left, right = lm[list(LEFT_EYE)].mean(0), lm[list(RIGHT_EYE)].mean(0)
    return float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))


def test_a_portrait_face_is_found_centred_and_measured(finder, smile):
    result = finder.prepare(smile)
    assert result.count == 1
    face = result.face
    x, y, w, h = face.box
    # The face is in the middle of the 320x320 portrait, around (160, 170), about 110 px wide.
    assert 130 < x + w / 2 < 190 and 140 < y + h / 2 < 200 and 80 < w < 140
    assert face.crop.shape == (64, 64) and face.crop.dtype == np.uint8
    assert face.landmarks.shape == (478, 2)
    assert all(0.2 < e < 0.5 for e in face.eye_openness)  # both eyes open
    assert all(p.shape == (24, 24) for p in face.eye_patches)


def test_rotating_the_photo_20_degrees_still_gives_a_level_similar_crop(finder, smile):
    upright = finder.prepare(smile).face
    tilted = finder.prepare(rotate(smile, 20)).face
    assert abs(eye_tilt(tilted)) > 15  # the eyes really are tilted in the frame...
    # ...and the crop is level again: the same face, so the crops correlate strongly.
    a, b = upright.crop.astype(float).ravel(), tilted.crop.astype(float).ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.8


@pytest.mark.parametrize("image", [np.zeros((480, 640, 3), np.uint8),
                                   np.full((480, 640, 3), 255, np.uint8),
                                   np.random.default_rng(0).integers(0, 256, (480, 640, 3),
                                                                     dtype=np.uint8)],
                         ids=["black", "white", "noise"])
def test_blank_or_noise_gives_no_face(finder, image):
    result = finder.prepare(image)
    assert result.count == 0 and result.face is None


def test_two_faces_side_by_side_are_counted_and_the_larger_is_used(finder, smile):
    face = cv2.resize(smile[50:290, 40:280], (280, 280))  # head and neck, 280x280
    small = cv2.resize(face, (180, 180))
    frame = np.full((480, 800, 3), 128, np.uint8)
    frame[100:380, 40:320] = face
    frame[150:330, 520:700] = small
    result = finder.prepare(frame)
    assert result.count == 2
    x, y, w, h = result.face.box
    assert x + w / 2 < 400  # the larger face, on the left


def test_whole_image_mode_uses_the_image_as_the_face(finder):
    crop = np.random.default_rng(1).integers(0, 256, (48, 48), dtype=np.uint8)
    result = finder.prepare(crop, whole_image=True)
    assert result.count == 1 and result.face.crop.shape == (64, 64)
    assert result.face.eye_openness is None  # no landmarks in this mode


def test_gray_16bit_and_rgba_frames_are_accepted(finder, smile):
    gray = cv2.cvtColor(smile, cv2.COLOR_BGR2GRAY)
    assert finder.prepare(gray).count == 1
    assert finder.prepare(gray.astype(np.uint16) * 257).count == 1
    assert finder.prepare(cv2.cvtColor(smile, cv2.COLOR_BGR2BGRA)).count == 1


@pytest.mark.parametrize("bad", [np.zeros((0, 0, 3), np.uint8), np.zeros((4, 4, 7), np.uint8),
                                 "not an array"], ids=["empty", "7-channels", "string"])
def test_non_images_are_a_clear_error(finder, bad):
    with pytest.raises(FaceError, match="not an image"):
        finder.prepare(bad)


def test_video_mode_measures_each_frame_as_stills_do(finder, smile):
    from tests.media import frames_of

    with FaceFinder(SPEC, video=True) as video:
        for frame in frames_of(smile, 12):
            still, tracked = finder.prepare(frame), video.prepare(frame)
            assert tracked.count == still.count == 1
            assert np.abs(tracked.face.landmarks - still.face.landmarks).mean() < 1.5  # pixels


def two_faces(smile, larger_left: bool) -> np.ndarray:
    face = smile[30:290, 30:290]
    big, small = face, cv2.resize(face, (210, 210))  # its face ≈ 90 px: see MAX_FACES
    left, right = (big, small) if larger_left else (small, big)
    frame = np.full((480, 800, 3), 128, np.uint8)
    frame[100:100 + left.shape[0], 40:40 + left.shape[1]] = left
    frame[100:100 + right.shape[0], 500:500 + right.shape[1]] = right
    return frame


def test_video_mode_counts_faces_and_follows_the_largest_when_it_changes(smile):
    with FaceFinder(SPEC, video=True) as video:
        for larger_left in (True, True, True, False, False, False):
            result = video.prepare(two_faces(smile, larger_left))
            assert result.count == 2
            x, y, w, h = result.face.box
            assert (x + w / 2 < 400) == larger_left  # the mesh measured the larger face


def test_a_reading_carries_the_face_shape_blendshapes_by_name(finder, smile, neutral):
    """MediaPipe's 52 blendshape scores by their names: the smile's mouth corners are up,
    the neutral face's are not."""
    smiling, calm = finder.prepare(smile).face.blendshapes, finder.prepare(neutral).face.blendshapes
    assert len(smiling) == len(calm) == 52 and "eyeBlinkLeft" in smiling and "jawOpen" in calm
    assert all(0.0 <= v <= 1.0 for v in smiling.values())
    assert min(smiling["mouthSmileLeft"], smiling["mouthSmileRight"]) > 0.6
    assert max(calm["mouthSmileLeft"], calm["mouthSmileRight"]) < 0.2


def test_the_head_pose_is_frontal_for_a_portrait_and_rolls_with_the_photo(finder, smile):
    upright = finder.prepare(smile).face.pose
    assert abs(upright.yaw) <= 10 and abs(upright.pitch) <= 10 and abs(upright.roll) < 5
    for degrees in (20, -20):  # the photo turned anticlockwise / clockwise
        tilted = finder.prepare(rotate(smile, degrees)).face.pose
        assert abs(tilted.roll - upright.roll - degrees) < 5
        assert abs(tilted.yaw - upright.yaw) < 5 and abs(tilted.pitch - upright.pitch) < 5


def test_a_photo_shrunk_to_a_far_away_face_is_not_found(finder, smile):
    """The task's detector is short-range: a face under ≈ 10% of the frame's width (≈ 1.3 m
    from a webcam) is not found; the README says so."""
    frame = np.full((480, 640, 3), 128, np.uint8)
    frame[200:300, 300:400] = cv2.resize(smile, (100, 100))  # its face ≈ 35 px wide
    assert finder.prepare(frame).count == 0


@pytest.mark.parametrize("damage", ["truncated", "changed byte", "empty", "missing"])
def test_a_damaged_face_model_is_refused_in_one_line_naming_the_file(tmp_path, damage):
    """The task file is checked against the hash we ship before MediaPipe parses any of it."""
    from face2emoji_tray.landmarker import TASK_FILE
    from face2emoji_tray.shipped import ModelError

    data = TASK_FILE.read_bytes()
    path = tmp_path / "face_landmarker.task"
    if damage != "missing":
        path.write_bytes({"truncated": data[: len(data) // 2], "empty": b"",
                          "changed byte": data[:1000] + bytes([data[1000] ^ 1]) + data[1001:]}[damage])
    with pytest.raises(ModelError, match=f"^{path}: ") as err:
        FaceFinder(SPEC, model=path)
    assert "\n" not in str(err.value)


def test_mediapipe_is_given_no_certificate_it_could_send_metrics_with():
    """mediapipe 1.x uploads usage metrics over HTTPS, trusting the certificate bundle its
    options name: ours name none (the null device), so nothing can be sent."""
    import os

    from face2emoji_tray.landmarker import offline_options

    sent = offline_options(b"model bytes").to_ctypes()
    assert sent.ca_bundle_path == os.devnull.encode()
    assert sent.model_asset_buffer == b"model bytes"


def test_an_abort_inside_mediapipe_s_quiet_moment_is_still_said_on_the_terminal():
    """Its log lines are kept off the terminal while a task is made; a crash is not."""
    import subprocess
    import sys

    code = ("import os\nfrom face2emoji_tray.landmarker import native_stderr_to_log\n"
            "with native_stderr_to_log():\n    os.write(2, b'INFO: noise\\n')\n    os.abort()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "noise" not in done.stderr
    assert "Fatal Python error: Aborted" in done.stderr


def test_a_program_that_leaves_the_face_stage_open_still_exits_quietly():
    """What the user's terminal shows is answers: no MediaPipe lines as a task is made, and no
    traceback when a program ends with one still open (its tasks are closed for it)."""
    import subprocess
    import sys

    code = ("from face2emoji_tray.face import FaceFinder\nfrom face2emoji_tray.preprocess import "
            "InputSpec\nfrom tests.media import SMILE_JPG, read_photo\n"
            "f = FaceFinder(InputSpec(), video=True)\nprint(f.prepare(read_photo(SMILE_JPG)).count)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "1\n", "")
