"""Image decoding under the Face API's rules: formats, sizes, damaged files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from face_service.errors import FaceApiError
from face_service.imaging import decode_image


def _encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "BMP"])
def test_the_four_face_api_formats_decode_to_rgb(fmt: str) -> None:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    array = decode_image(_encode(image, fmt))
    assert array.shape == (48, 64, 3) and array.dtype == np.uint8
    assert array[0, 0, 0] > 150 and array[0, 0, 1] < 80  # red stays red (RGB order)


def test_grayscale_and_alpha_become_rgb() -> None:
    assert decode_image(_encode(Image.new("L", (40, 40), 99), "PNG")).shape == (40, 40, 3)
    assert decode_image(_encode(Image.new("RGBA", (40, 40), (1, 2, 3, 0)), "PNG")).shape == (40, 40, 3)


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (80, 40), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    assert decode_image(_encode(image, "JPEG", exif=exif)).shape == (80, 40, 3)


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", "InvalidImageSize", "too small"),
        (b"GIF89a" + b"\x00" * 10, "InvalidImage", "Decoding error"),
        (_encode(Image.new("RGB", (35, 100)), "PNG"), "InvalidImageSize", "35x100"),
        (_encode(Image.new("RGB", (4097, 40)), "PNG"), "InvalidImageSize", "4097x40"),
        (_encode(Image.new("RGB", (40, 40)), "TIFF"), "InvalidImage", "JPEG, PNG, GIF and BMP"),
    ],
)
def test_bad_images_raise_face_api_errors(data: bytes, code: str, words: str) -> None:
    with pytest.raises(FaceApiError) as info:
        decode_image(data)
    assert info.value.status == 400 and info.value.code == code
    assert words in info.value.message
