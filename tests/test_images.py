"""Bad and unusual image files: a clear one-line error or a correct frame, never a crash."""
from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from face2emoji_tray import images


def encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def test_zero_byte_file_is_refused(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(images.ImageError, match="empty file"):
        images.read(tmp_path / "empty.jpg")


def test_a_1x1_image_decodes():
    assert images.decode(encode(Image.new("RGB", (1, 1)))).shape == (1, 1, 3)


def test_a_huge_image_is_refused_before_decoding():
    with pytest.raises(images.ImageError, match="too large"):
        images.decode(encode(Image.new("1", (13000, 10))))
    with pytest.raises(images.ImageError, match="too large"):
        images.decode(encode(Image.new("1", (10000, 10000))))


def sixteen_bit(rgb: Image.Image, full_range: bool) -> Image.Image:
    gray = np.asarray(rgb.convert("L")).astype(np.uint16)
    return Image.fromarray(gray * 257 if full_range else gray)


@pytest.mark.parametrize("mode", ["L", "RGBA", "I;16", "I;16-low", "P", "CMYK"])
def test_colour_modes_become_8bit_bgr(smile, mode):
    rgb = Image.fromarray(smile[..., ::-1].copy())
    img = sixteen_bit(rgb, mode == "I;16") if mode.startswith("I;16") else rgb.convert(mode)
    frame = images.decode(encode(img, "TIFF" if mode == "CMYK" else "PNG"))
    assert frame.shape == (320, 320, 3) and frame.dtype == np.uint8
    assert frame.mean() > 50  # the picture, not a black frame (16-bit keeps its top bits)


def test_a_truncated_jpeg_is_a_clear_error(smile):
    data = cv2.imencode(".jpg", smile)[1].tobytes()
    with pytest.raises(images.ImageError, match="corrupt or truncated"):
        images.decode(data[: len(data) // 2])


def test_large_photos_are_scaled_down_for_the_face_stage():
    frame = images.decode(encode(Image.new("RGB", (4000, 3000), "white"), "JPEG"))
    assert frame.shape == (1440, 1920, 3)


def test_folders_are_walked_for_images(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(encode(Image.new("RGB", (2, 2))))
    (tmp_path / "notes.txt").write_text("hi")
    assert images.walk([tmp_path]) == [tmp_path / "a" / "x.png"]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_frame_or_an_image_error(data):
    try:
        frame = images.decode(data)
    except images.ImageError as exc:
        assert "\n" not in str(exc)
    else:
        assert frame.ndim == 3 and frame.shape[2] == 3


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 5000), st.integers(1, 400), st.sampled_from([b"\x00", b"\xff", b"J"]))
def test_damaged_pngs_give_a_frame_or_an_image_error(smile, cut, length, junk):
    data = bytearray(encode(Image.fromarray(smile[:64, :64])))
    data[cut : cut + length] = junk * length
    try:
        images.decode(bytes(data))
    except images.ImageError:
        pass
