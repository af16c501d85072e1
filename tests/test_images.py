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


@pytest.mark.parametrize(("mode", "tolerance"), [("L", 0), ("RGBA", 0), ("I;16", 0),
                                              ("I;16-low", 0), ("CMYK", 0), ("P", 20)])
def test_colour_modes_become_8bit_bgr_with_the_pictures_pixels(smile, mode, tolerance):
    """Lossless modes give back the exact pixels (gray ones as three equal channels; 16-bit
    keeps its top 8 used bits, so both full-range and low-range 16-bit give the 8-bit gray);
    the 256-colour web palette is dithered, so it is only close on average."""
    rgb = Image.fromarray(smile[..., ::-1].copy())
    gray = np.asarray(rgb.convert("L"))
    img = sixteen_bit(rgb, mode == "I;16") if mode.startswith("I;16") else rgb.convert(mode)
    frame = images.decode(encode(img, "TIFF" if mode == "CMYK" else "PNG"))
    assert frame.shape == (320, 320, 3) and frame.dtype == np.uint8
    want = smile if mode in ("RGBA", "CMYK", "P") else np.repeat(gray[..., None], 3, axis=2)
    assert np.abs(frame.astype(int) - want).mean() <= tolerance


def test_a_truncated_jpeg_is_a_clear_error(smile):
    data = cv2.imencode(".jpg", smile)[1].tobytes()
    with pytest.raises(images.ImageError, match="corrupt or truncated"):
        images.decode(data[: len(data) // 2])


def test_the_pixel_cap_is_read_from_the_header_and_a_photo_below_it_is_decoded_scaled():
    """40 MP at most (a 7300x5500 camera photo fits): above it, refused before decoding,
    whatever the sides; the preview and `predict` share this one decode."""
    with pytest.raises(images.TooLarge, match=r"^image too large: 7000x6000 \(at most 40 MP"):
        images.decode(encode(Image.new("L", (7000, 6000))))
    assert images.decode(encode(Image.new("L", (6000, 6000)))).shape == (1920, 1920, 3)


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
@given(st.integers(0, 8000), st.integers(1, 400), st.sampled_from([b"\x00", b"\xff", b"J"]))
def test_damaged_pngs_give_a_frame_or_an_image_error(smile, cut, length, junk):
    """Damage inside the file is a one-line error (or, where no check catches it, still a
    whole frame); junk after the end of the PNG is ignored: the exact picture comes back."""
    face = smile[120:184, 130:194]
    clean = encode(Image.fromarray(face))  # ~6.8 kB: the cuts land inside it and past its end
    data = bytearray(clean)
    data[cut : cut + length] = junk * length
    if cut >= len(clean):
        assert np.array_equal(images.decode(bytes(data)), face[..., ::-1])
        return
    try:
        frame = images.decode(bytes(data))
    except images.ImageError as exc:
        assert "\n" not in str(exc)
    else:
        assert frame.shape == (64, 64, 3) and frame.dtype == np.uint8
