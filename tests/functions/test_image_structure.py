"""Reading JPEG markers and PNG chunks without decoding: scan counts and metadata stripping."""

from __future__ import annotations

import io

import pytest
from hostile_images import many_scan_progressive_jpeg
from PIL import Image

from functions.image_structure import (
    FOREIGN_PREFIX_BYTES,
    MalformedImage,
    jpeg_scan_count,
    jpeg_segments,
    strip_metadata,
)


def _photo(fmt: str = "JPEG", **save: object) -> bytes:
    buf = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").resize((320, 240)).save(buf, format=fmt, **save)
    return buf.getvalue()


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 12.0)}  # GPS IFD: latitude
    return exif


def test_scans_are_counted_from_the_markers() -> None:
    assert jpeg_scan_count(_photo()) == 1
    assert jpeg_scan_count(_photo(progressive=True)) == 10  # libjpeg's progressive script
    assert jpeg_scan_count(many_scan_progressive_jpeg(500)) == 501  # one DC scan + 500 AC scans
    assert jpeg_scan_count(many_scan_progressive_jpeg(500), stop_after=40) == 41


def test_a_jpeg_with_a_broken_marker_length_is_malformed() -> None:
    data = bytearray(_photo())
    data[4:6] = b"\x00\x01"  # APP0's length below its own two bytes
    with pytest.raises(MalformedImage):
        list(jpeg_segments(bytes(data)))


def test_strip_metadata_removes_exif_gps_and_comments_from_a_jpeg_and_keeps_the_pixels() -> None:
    data = _photo(exif=_exif_with_gps().tobytes(), comment=b"shot at 52N")
    assert b"CameraMaker" in data and b"52N" in data
    stripped = strip_metadata(data)
    assert b"CameraMaker" not in stripped and b"52N" not in stripped and b"Exif" not in stripped
    assert Image.open(io.BytesIO(stripped)).tobytes() == Image.open(io.BytesIO(data)).tobytes()


def test_strip_metadata_removes_exif_and_text_from_a_png() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "52N 4E")
    data = _photo("PNG", exif=_exif_with_gps().tobytes(), pnginfo=info)
    assert b"CameraMaker" in data and b"52N 4E" in data
    stripped = strip_metadata(data)
    assert b"CameraMaker" not in stripped and b"52N 4E" not in stripped
    assert Image.open(io.BytesIO(stripped)).tobytes() == Image.open(io.BytesIO(data)).tobytes()


def test_a_truncated_jpeg_is_cut_at_the_break_and_keeps_no_metadata() -> None:
    data = _photo(exif=_exif_with_gps().tobytes())
    stripped = strip_metadata(data[:len(data) // 2])
    assert stripped.startswith(b"\xff\xd8") and b"CameraMaker" not in stripped


def test_a_file_that_is_neither_jpeg_nor_png_keeps_only_its_magic_bytes() -> None:
    tiff = io.BytesIO()
    Image.new("RGB", (50, 50)).save(tiff, format="TIFF", exif=_exif_with_gps().tobytes())
    assert strip_metadata(tiff.getvalue()) == tiff.getvalue()[:FOREIGN_PREFIX_BYTES]
