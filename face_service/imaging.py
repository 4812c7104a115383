"""Turn request bytes into an RGB array, enforcing the Face API's image rules first.

JPEG, PNG, GIF (first frame) and BMP; 36 to 4096 pixels a side. The header is read before any
pixel is decoded, so a 20,000 x 20,000 image is refused without allocating it; a JPEG's scans are
counted from its markers first, so a progressive JPEG of thousands of tiny scans (seconds of CPU) is
refused without decoding it (the same structure reader as the function's image guard,
``functions/image_structure.py``, which the service's image copies); truncated files are refused
rather than padded with grey.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from face_service import errors
from functions.image_structure import JPEG_SOI, MalformedImage, jpeg_scan_count

FORMATS: frozenset[str] = frozenset({"JPEG", "PNG", "GIF", "BMP"})


def decode_image(data: bytes, *, min_side: int = 36, max_side: int = 4096, max_jpeg_scans: int = 32) -> np.ndarray:
    """Decode ``data`` to a ``uint8`` RGB array ``[H, W, 3]``, upright per its EXIF orientation.

    Raises :class:`~face_service.errors.FaceApiError` (``InvalidImage`` or ``InvalidImageSize``).
    """
    if not data:
        raise errors.image_too_small("The request body is empty.")
    if data.startswith(JPEG_SOI):
        try:
            scans = jpeg_scan_count(data, stop_after=max_jpeg_scans)
        except MalformedImage as exc:
            raise errors.invalid_image(f"The JPEG's structure is damaged ({exc}).") from None
        if scans > max_jpeg_scans:
            raise errors.invalid_image(f"The JPEG has more than {max_jpeg_scans} scans.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=sorted(FORMATS))
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
            raise errors.image_too_big(str(exc)) from None
        raise errors.invalid_image("Supported formats are JPEG, PNG, GIF and BMP.") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise errors.invalid_image(f"({exc})") from None
    width, height = image.size
    if width > max_side or height > max_side:
        raise errors.image_too_big(f"The image is {width}x{height}; at most {max_side}x{max_side} is allowed.")
    if width < min_side or height < min_side:
        raise errors.image_too_small(f"The image is {width}x{height}; at least {min_side}x{min_side} is required.")
    try:
        image.load()
        upright = ImageOps.exif_transpose(image) if image.format == "JPEG" else image
        rgb = upright.convert("RGB")
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise errors.invalid_image(f"The image data is damaged or truncated ({exc}).") from None
    return np.asarray(rgb, dtype=np.uint8)
