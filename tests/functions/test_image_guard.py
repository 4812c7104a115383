"""The image guard: only safe, sane JPEG/PNG photos reach the face service, as clean JPEGs."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from ingest_helpers import jpeg_bytes
from PIL import Image

from functions.errors import PermanentError
from functions.image_guard import GuardLimits, prepare_image, sniff_format


def reason_of(data: bytes, limits: GuardLimits | None = None) -> str:
    with pytest.raises(PermanentError) as caught:
        prepare_image(data, limits)
    return caught.value.reason


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` followed by a tiny IDAT: a decompression bomb's header."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def test_a_plain_jpeg_passes_and_comes_back_as_a_jpeg_of_the_same_size() -> None:
    prepared = prepare_image(jpeg_bytes((640, 480)))
    assert prepared.source_format == "JPEG"
    assert (prepared.width, prepared.height) == (640, 480)
    assert not prepared.downscaled
    assert Image.open(io.BytesIO(prepared.jpeg)).format == "JPEG"


def test_zero_bytes_is_quarantined_as_empty() -> None:
    assert reason_of(b"") == "empty"


def test_a_truncated_jpeg_is_corrupt() -> None:
    data = jpeg_bytes((640, 480), quality=95)
    assert reason_of(data[: len(data) // 2]) == "corrupt_image"


def test_a_text_file_named_jpg_is_rejected_by_content() -> None:
    assert reason_of(b"hello, I am not a photo at all\n" * 10) == "unsupported_format"


def test_gif_and_bmp_are_not_accepted_even_though_pillow_reads_them() -> None:
    for fmt in ("GIF", "BMP"):
        buf = io.BytesIO()
        Image.new("RGB", (100, 100)).save(buf, format=fmt)
        assert reason_of(buf.getvalue()) == "unsupported_format"


def test_format_comes_from_magic_bytes() -> None:
    assert sniff_format(jpeg_bytes()) == "JPEG"
    assert sniff_format(b"\x89PNG\r\n\x1a\n....") == "PNG"
    assert sniff_format(b"GIF89a") is None


def test_a_7_mb_upload_is_refused_before_any_decoding() -> None:
    # JPEG magic followed by garbage: decoding would say corrupt_image, so too_large proves the order.
    data = b"\xff\xd8\xff\xe0" + b"\x00" * (7 * 1024 * 1024)
    assert reason_of(data) == "too_large"


def test_a_50_megapixel_png_is_refused_from_its_header() -> None:
    buf = io.BytesIO()
    Image.new("1", (7072, 7072)).save(buf, format="PNG")  # 50 MP, a few kB on disk
    data = buf.getvalue()
    assert len(data) < 1024 * 1024
    assert reason_of(data) == "too_many_pixels"


def test_a_bomb_header_claiming_a_billion_pixels_is_refused_without_decoding() -> None:
    assert reason_of(png_header_only(40_000, 40_000)) == "too_many_pixels"


def test_images_below_the_face_api_minimum_are_refused() -> None:
    assert reason_of(jpeg_bytes((30, 200))) == "too_small"


def test_exif_orientation_is_applied_and_all_exif_is_stripped() -> None:
    # A landscape photo whose EXIF says "rotate 90° CW to display" (orientation 6), with GPS-ish data.
    img = Image.new("RGB", (400, 200), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 200, 200))  # left half blue, right half red
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x9003] = "2026:11:23 08:00:00"  # DateTimeOriginal
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes(), quality=95)

    prepared = prepare_image(buf.getvalue())

    out = Image.open(io.BytesIO(prepared.jpeg))
    assert out.size == (200, 400)  # rotated to portrait
    r, g, b = out.convert("RGB").getpixel((100, 50))  # top after a CW turn was the left (blue) half
    assert b > 200 and r < 60
    assert not out.getexif()
    assert "exif" not in out.info
    assert b"CameraMaker" not in prepared.jpeg


def test_a_png_with_transparency_becomes_an_rgb_jpeg() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (300, 200), (10, 200, 30, 128)).save(buf, format="PNG")
    prepared = prepare_image(buf.getvalue())
    out = Image.open(io.BytesIO(prepared.jpeg))
    assert (prepared.source_format, out.format, out.mode) == ("PNG", "JPEG", "RGB")


def test_a_very_large_jpeg_is_decoded_reduced_and_downscaled_to_the_face_api_limit() -> None:
    prepared = prepare_image(jpeg_bytes((4400, 2200)), GuardLimits(max_side=4096))
    assert prepared.downscaled
    assert (prepared.width, prepared.height) == (4096, 2048)
    assert (prepared.source_width, prepared.source_height) == (4400, 2200)
    assert len(prepared.jpeg) <= GuardLimits().max_bytes


def test_limits_come_from_settings_values() -> None:
    assert reason_of(jpeg_bytes((640, 480)), GuardLimits(max_pixels=640 * 480 - 1)) == "too_many_pixels"
    assert reason_of(jpeg_bytes((640, 480)), GuardLimits(max_bytes=100)) == "too_large"
