"""What a JPEG or PNG holds, read from its markers and chunks without decoding a pixel.

* :func:`jpeg_segments` walks a JPEG's markers (skipping entropy-coded scan data), so that
  :func:`jpeg_scan_count` can refuse a progressive JPEG with an absurd number of scans before the
  decoder spends seconds of CPU on them.
* :func:`strip_metadata` removes EXIF, XMP, ICC, comments and text from a JPEG (APPn, COM) or PNG
  (``eXIf``, ``tEXt``, ``zTXt``, ``iTXt``, ``iCCP``, ``tIME``) at the byte level: it works on files too
  broken to decode, which is what the quarantine keeps.

Both are linear in the size of the file and never allocate more than a copy of it.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass

JPEG_SOI = b"\xff\xd8"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_SOS, _EOI = 0xDA, 0xD9
_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})  # TEM, SOI, RST0-7: no length field
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
"""In scan data a 0xFF is followed by 0x00 (stuffing), an RST marker or a fill 0xFF; anything else
ends the scan. One byte of look-ahead keeps the search linear, whatever the file holds."""

_JPEG_METADATA = frozenset({*range(0xE0, 0xF0), 0xFE})  # APP0-APP15, COM
_PNG_METADATA = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"tIME"})


FOREIGN_PREFIX_BYTES = 64
"""How much of an upload that is neither JPEG nor PNG the quarantine keeps (its magic bytes)."""


class MalformedImage(ValueError):
    """The file's structure (markers or chunks) is broken."""


@dataclass(frozen=True)
class Segment:
    """One JPEG marker segment: ``data[start:end]`` holds the marker and its payload; for SOS the
    scan's entropy-coded data follows up to ``scan_end``."""

    marker: int
    start: int
    end: int
    scan_end: int


def jpeg_segments(data: bytes) -> Iterator[Segment]:
    """The marker segments of a JPEG from SOI to EOI (or the end of the data)."""
    if not data.startswith(JPEG_SOI):
        raise MalformedImage("not a JPEG: no SOI marker")
    pos, size = 2, len(data)
    while pos < size:
        if data[pos] != 0xFF:
            raise MalformedImage(f"expected a marker at byte {pos}")
        start = pos
        while pos < size and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= size:
            return
        marker = data[pos]
        pos += 1
        if marker == _EOI:
            yield Segment(marker, start, pos, pos)
            return
        if marker in _STANDALONE:
            yield Segment(marker, start, pos, pos)
            continue
        if pos + 2 > size:
            raise MalformedImage(f"marker 0x{marker:02X} at byte {start} has no length")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2:
            raise MalformedImage(f"marker 0x{marker:02X} at byte {start} has length {length}")
        end = pos + length
        if end > size:
            raise MalformedImage(f"marker 0x{marker:02X} at byte {start} runs past the end of the file")
        scan_end = end
        if marker == _SOS:
            found = _NEXT_MARKER.search(data, end)
            scan_end = found.start() if found else size
        yield Segment(marker, start, end, scan_end)
        pos = scan_end


def jpeg_scan_count(data: bytes, stop_after: int | None = None) -> int:
    """How many scans (SOS markers) a JPEG holds; counting stops once ``stop_after`` is exceeded."""
    scans = 0
    for segment in jpeg_segments(data):
        if segment.marker == _SOS:
            scans += 1
            if stop_after is not None and scans > stop_after:
                break
    return scans


def png_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """``(type, start, end)`` of each PNG chunk (length, type, body and CRC in ``data[start:end]``)."""
    if not data.startswith(PNG_SIGNATURE):
        raise MalformedImage("not a PNG: no signature")
    pos, size = len(PNG_SIGNATURE), len(data)
    while pos + 8 <= size:
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > size:
            raise MalformedImage(f"PNG chunk {kind!r} at byte {pos} runs past the end of the file")
        yield kind, pos, end
        pos = end
        if kind == b"IEND":
            return


def strip_metadata(data: bytes) -> bytes:
    """``data`` without EXIF, XMP, ICC profiles, comments or text (JPEG or PNG).

    What cannot be parsed is cut at the first broken marker or chunk: evidence of a bad upload
    keeps its structure up to there, never a metadata segment the walk could not see. Of anything
    that is neither JPEG nor PNG (a HEIC or TIFF may carry GPS in EXIF) only the first
    :data:`FOREIGN_PREFIX_BYTES` are kept: enough to tell what it was.
    """
    kept: list[bytes] = []
    try:
        if data.startswith(JPEG_SOI):
            kept.append(JPEG_SOI)
            for segment in jpeg_segments(data):
                if segment.marker not in _JPEG_METADATA:
                    kept.append(data[segment.start:segment.scan_end])
        elif data.startswith(PNG_SIGNATURE):
            kept.append(PNG_SIGNATURE)
            for kind, start, end in png_chunks(data):
                if kind not in _PNG_METADATA:
                    kept.append(data[start:end])
        else:
            return data[:FOREIGN_PREFIX_BYTES]
    except MalformedImage:
        pass
    return b"".join(kept)
