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


def test_a_jpeg_of_thousands_of_scans_is_refused_from_its_markers_without_decoding(monkeypatch) -> None:
    from hostile_images import many_scan_progressive_jpeg

    def no_decoding(*args, **kwargs):
        raise AssertionError("the decoder must not see this file")

    monkeypatch.setattr("face_service.imaging.Image.open", no_decoding)
    with pytest.raises(FaceApiError) as info:
        decode_image(many_scan_progressive_jpeg(1000))
    assert info.value.status == 400 and info.value.code == "InvalidImage"
    assert "more than 32 scans" in info.value.message


def test_an_ordinary_progressive_jpeg_decodes_and_the_scan_limit_is_a_setting() -> None:
    from face_service.config import ServiceSettings

    photo = np.zeros((64, 64, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, format="JPEG", progressive=True)
    assert decode_image(buf.getvalue()).shape == (64, 64, 3)
    with pytest.raises(FaceApiError, match="more than 2 scans"):
        decode_image(buf.getvalue(), max_jpeg_scans=2)
    assert ServiceSettings().max_jpeg_scans == 32


def test_a_jpeg_whose_markers_are_broken_is_an_invalid_image() -> None:
    good = _encode(Image.new("RGB", (64, 64)), "JPEG")
    with pytest.raises(FaceApiError) as info:
        decode_image(good[:2] + b"\x00" + good[2:])
    assert info.value.code == "InvalidImage" and "structure" in info.value.message
