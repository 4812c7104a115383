"""Read an uploaded photo safely and turn it into what the Face API accepts.

Order matters: every cheap check runs before any pixel is decoded.

1. size cap (6 MB, the Face API limit) on the raw bytes;
2. format by content (JPEG or PNG magic bytes), never by the file extension;
3. header only: dimensions against a pixel budget (decompression-bomb guard) and the
   Face API's 36 px minimum;
4. full decode (a truncated file fails here), EXIF orientation applied;
5. downscale so no side exceeds ``max_side`` (4096 px, the Face API's limit), and re-encode as
   a fresh JPEG, which carries no EXIF, GPS, maker notes or comments.

Any failure is a :class:`~functions.errors.PermanentError` with a quarantine reason.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from functions.errors import PermanentError

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FACE_API_MIN_SIDE = 36
FACE_API_MAX_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class GuardLimits:
    """The limits the guard enforces (see ``Settings.max_upload_bytes``, ``max_pixels``, ``max_side``)."""

    max_bytes: int = FACE_API_MAX_BYTES
    max_pixels: int = 40_000_000
    max_side: int = 4096
    min_side: int = FACE_API_MIN_SIDE
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
    ``too_many_pixels``, ``too_small`` or ``corrupt_image``.
    """
    lim = limits or GuardLimits()
    if not data:
        raise PermanentError("empty", "the upload has zero bytes")
    if len(data) > lim.max_bytes:
        raise PermanentError("too_large", f"{len(data)} bytes exceeds the {lim.max_bytes}-byte cap")
    fmt = sniff_format(data)
    if fmt is None:
        raise PermanentError("unsupported_format", f"content starts with {data[:8]!r}, not JPEG or PNG")

    with warnings.catch_warnings():
        # Pillow's own bomb check warns above MAX_IMAGE_PIXELS; make that an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=[fmt])  # reads the header only
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            reason = "corrupt_image" if isinstance(exc, UnidentifiedImageError) else "too_many_pixels"
            raise PermanentError(reason, f"{fmt} header rejected: {exc}") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise PermanentError("corrupt_image", f"{fmt} header unreadable: {exc}") from None
        with img:
            sw, sh = img.size
            if sw * sh > lim.max_pixels:
                raise PermanentError("too_many_pixels", f"{sw}x{sh} exceeds {lim.max_pixels} pixels")
            if min(sw, sh) < lim.min_side:
                raise PermanentError("too_small", f"{sw}x{sh} is below the Face API's {lim.min_side} px minimum")
            try:
                img.load()  # full decode; a truncated file raises here
                oriented = ImageOps.exif_transpose(img)
                rgb = oriented.convert("RGB") if oriented.mode != "RGB" else oriented
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
                raise PermanentError("corrupt_image", f"{fmt} data could not be decoded: {exc}") from None

    downscaled = max(rgb.size) > lim.max_side
    if downscaled:
        rgb = rgb.copy()
        rgb.thumbnail((lim.max_side, lim.max_side), Image.Resampling.LANCZOS)
    jpeg = _encode_jpeg(rgb, lim)
    return PreparedImage(
        jpeg=jpeg, width=rgb.width, height=rgb.height, source_format=fmt,
        source_width=sw, source_height=sh, downscaled=downscaled,
    )


def _encode_jpeg(img: Image.Image, lim: GuardLimits) -> bytes:
    """A fresh JPEG (no EXIF or other metadata), lowering quality until it fits the byte cap."""
    for quality in (lim.jpeg_quality, 80, 70, 60, 50):
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=quality, optimize=False)
        if buf.tell() <= lim.max_bytes:
            return buf.getvalue()
    raise PermanentError("too_large", "even at JPEG quality 50 the photo exceeds the byte cap")
