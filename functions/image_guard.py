"""Read an uploaded photo safely and turn it into what the Face API accepts.

Order matters: every cheap check runs before any pixel is decoded, so the work one upload can
cause is bounded whatever its bytes (``tests/functions/test_image_guard_hostile.py`` measures it).

1. size cap (6 MB, the Face API limit) on the raw bytes;
2. format by content (JPEG or PNG magic bytes), never by the file extension;
3. structure only: a JPEG's scans are counted from its markers, and a progressive JPEG with more
   than ``max_jpeg_scans`` is refused (thousands of tiny scans cost seconds of CPU);
4. header only: dimensions against the pixel budget and the Face API's 36 px minimum; what is
   decoded must fit ``max_decoded_bytes`` (64 MiB: a 4096 x 4096 image, the Face API's limit, at
   4 bytes a pixel). A PNG decodes only at full size; a JPEG that would not fit is decoded
   already reduced (libjpeg's 1/2, 1/4 or 1/8 DCT scaling), which costs less memory and CPU;
5. full decode (a truncated file fails here), EXIF orientation applied in place;
6. downscale so no side exceeds ``max_side``, and re-encode as a fresh JPEG, which carries no
   EXIF, GPS, maker notes or comments.

Any failure is a :class:`~functions.errors.PermanentError` with a quarantine reason.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from functions.errors import PermanentError, QuarantineReason
from functions.image_structure import MalformedImage, jpeg_scan_count

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FACE_API_MIN_SIDE = 36
FACE_API_MAX_BYTES = 6 * 1024 * 1024
FACE_API_MAX_SIDE = 4096
DECODED_BYTES_PER_PIXEL = 4
"""Pillow keeps every mode this guard can meet (L, P, RGB, RGBA, CMYK, I;16, I) in at most 4 bytes a pixel."""
JPEG_DRAFT_SCALES = (1, 2, 4, 8)
"""The reductions libjpeg's DCT scaling gives for free while decoding."""


@dataclass(frozen=True)
class GuardLimits:
    """The limits the guard enforces (see ``Settings.max_upload_bytes``, ``max_pixels``, ``max_side``)."""

    max_bytes: int = FACE_API_MAX_BYTES
    max_pixels: int = 40_000_000
    """Of the source, from its header (a JPEG above ``max_side`` is decoded reduced, but its scans
    are still entropy-decoded in full)."""
    max_side: int = FACE_API_MAX_SIDE
    min_side: int = FACE_API_MIN_SIDE
    max_decoded_bytes: int = FACE_API_MAX_SIDE * FACE_API_MAX_SIDE * DECODED_BYTES_PER_PIXEL
    """What one decoded image may take in memory (a 4096 x 4096 image at 4 bytes a pixel: 64 MiB)."""
    max_jpeg_scans: int = 32
    """Scans a JPEG may hold: baseline has 1 to 3, libjpeg's progressive script 10."""
    jpeg_quality: int = 90


@dataclass(frozen=True)
class PreparedImage:
    """A photo that passed the guard: a clean JPEG and what was done to get it."""

    jpeg: bytes
    width: int
    height: int
    source_format: Literal["JPEG", "PNG"]
    source_width: int
    source_height: int
    downscaled: bool


def sniff_format(data: bytes) -> Literal["JPEG", "PNG"] | None:
    """The image format from the first bytes, or ``None`` when it is neither JPEG nor PNG."""
    if data.startswith(JPEG_MAGIC):
        return "JPEG"
    if data.startswith(PNG_MAGIC):
        return "PNG"
    return None


def prepare_image(data: bytes, limits: GuardLimits | None = None) -> PreparedImage:
    """Check ``data`` and return a Face-API-ready JPEG without metadata.

    Raises :class:`PermanentError` with reason ``empty``, ``too_large``, ``unsupported_format``,
    ``too_many_scans``, ``too_many_pixels``, ``too_small`` or ``corrupt_image``.
    """
    lim = limits or GuardLimits()
    if not data:
        raise PermanentError("empty", "the upload has zero bytes")
    if len(data) > lim.max_bytes:
        raise PermanentError("too_large", f"{len(data)} bytes exceeds the {lim.max_bytes}-byte cap")
    fmt = sniff_format(data)
    if fmt is None:
        raise PermanentError("unsupported_format", f"content starts with {data[:8]!r}, not JPEG or PNG")

    if fmt == "JPEG":
        try:
            scans = jpeg_scan_count(data, stop_after=lim.max_jpeg_scans)
        except MalformedImage as exc:
            raise PermanentError("corrupt_image", f"JPEG structure unreadable: {exc}") from None
        if scans > lim.max_jpeg_scans:
            raise PermanentError(
                "too_many_scans", f"the JPEG has more than {lim.max_jpeg_scans} scans; refused before decoding",
            )

    with warnings.catch_warnings():
        # Pillow's own bomb check warns above MAX_IMAGE_PIXELS; make that an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=[fmt])  # reads the header only
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            reason: QuarantineReason = "corrupt_image" if isinstance(exc, UnidentifiedImageError) else "too_many_pixels"
            raise PermanentError(reason, f"{fmt} header rejected: {exc}") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise PermanentError("corrupt_image", f"{fmt} header unreadable: {exc}") from None
        with img:
            sw, sh = img.size
            _check_header(sw, sh, lim)
            scale = _decode_scale(fmt, sw, sh, lim)
            if scale is None:
                raise PermanentError(
                    "too_many_pixels", f"{sw}x{sh} {fmt} decoded would exceed the {lim.max_decoded_bytes}-byte "
                    "memory budget",
                )
            if scale > 1:
                img.draft(img.mode, (-(-sw // scale), -(-sh // scale)))
            try:
                img.load()  # full decode; a truncated file raises here
                oriented = ImageOps.exif_transpose(img, in_place=False) if _has_orientation(img) else img
                rgb = oriented.convert("RGB") if oriented.mode != "RGB" else oriented
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
                raise PermanentError("corrupt_image", f"{fmt} data could not be decoded: {exc}") from None
            downscaled = (rgb.width, rgb.height) != (sw, sh) or max(rgb.size) > lim.max_side
            if max(rgb.size) > lim.max_side:
                rgb.thumbnail((lim.max_side, lim.max_side), Image.Resampling.LANCZOS)  # in place, no copy
            jpeg = _encode_jpeg(rgb, lim)
    return PreparedImage(
        jpeg=jpeg, width=rgb.width, height=rgb.height, source_format=fmt,
        source_width=sw, source_height=sh, downscaled=downscaled,
    )


def _check_header(width: int, height: int, lim: GuardLimits) -> None:
    if width * height > lim.max_pixels:
        raise PermanentError("too_many_pixels", f"{width}x{height} exceeds {lim.max_pixels} pixels")
    if min(width, height) < lim.min_side:
        raise PermanentError("too_small", f"{width}x{height} is below the Face API's {lim.min_side} px minimum")


def _decode_scale(fmt: str, width: int, height: int, lim: GuardLimits) -> int | None:
    """The smallest reduction at which the decoded image fits the memory budget (a PNG decodes only
    at full size, a JPEG at 1/2, 1/4 or 1/8 too), or ``None`` when none does."""
    for scale in JPEG_DRAFT_SCALES if fmt == "JPEG" else (1,):
        if -(-width // scale) * -(-height // scale) * DECODED_BYTES_PER_PIXEL <= lim.max_decoded_bytes:
            return scale
    return None


def _has_orientation(img: Image.Image) -> bool:
    """Whether the EXIF orientation asks for a rotation or flip (1 and missing do not)."""
    try:
        return img.getexif().get(0x0112, 1) not in (1, None)
    except Exception:  # unreadable EXIF: leave the pixels as they are
        return False


def _encode_jpeg(img: Image.Image, lim: GuardLimits) -> bytes:
    """A fresh JPEG (no EXIF or other metadata), lowering quality until it fits the byte cap."""
    for quality in (lim.jpeg_quality, 80, 70, 60, 50):
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=quality, optimize=False)
        if buf.tell() <= lim.max_bytes:
            return buf.getvalue()
    raise PermanentError("too_large", "even at JPEG quality 50 the photo exceeds the byte cap")
