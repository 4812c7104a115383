"""Hostile image files, made here byte by byte (nothing downloaded): each small, each expensive to
decode naively. Used by ``test_image_guard_hostile.py``; every one is at most 6 MB."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

EOBRUN_MAX = 32767
"""The longest run of empty blocks one EOB14 symbol can skip in a progressive AC scan."""


def _segment(marker: int, body: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body


def _bits_to_bytes(bits: str) -> bytes:
    """Entropy-coded bytes from a string of bits, padded with 1s and 0xFF-stuffed."""
    bits += "1" * (-len(bits) % 8)
    raw = int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""
    return raw.replace(b"\xff", b"\xff\x00")


def many_scan_progressive_jpeg(scans: int, width_blocks: int = 434, height_blocks: int = 453) -> bytes:
    """A grayscale progressive JPEG with one DC scan and ``scans`` AC scans that each visit every block.

    Each AC scan codes "all blocks empty" with EOB runs of 32,767 blocks: about 20 bytes a scan,
    yet the decoder walks the whole image for every one. The default size (3472 x 3624 px) holds
    a whole number of runs. This is the attack of the red-team pass: 300 KB, 10 s of CPU.
    """
    blocks = width_blocks * height_blocks
    width, height = width_blocks * 8, height_blocks * 8
    dqt = _segment(0xDB, b"\x00" + bytes([1] * 64))
    sof2 = _segment(0xC2, struct.pack(">BHHB", 8, height, width, 1) + bytes([1, 0x11, 0]))
    # DC table 0: one code '0' for "difference category 0". AC table 0: '0' = EOB14, '10' = EOB (run 1).
    dht_dc = _segment(0xC4, bytes([0x00]) + bytes([1] + [0] * 15) + bytes([0x00]))
    dht_ac = _segment(0xC4, bytes([0x10]) + bytes([1, 1] + [0] * 14) + bytes([0xE0, 0x00]))
    dc_scan = _segment(0xDA, bytes([1, 1, 0x00, 0, 0, 0x00])) + _bits_to_bytes("0" * blocks)
    full, rest = divmod(blocks, EOBRUN_MAX)
    eob_bits = ("0" + format(EOBRUN_MAX - 2**14, "014b")) * full + "10" * rest
    ac_data = _bits_to_bytes(eob_bits)
    ac_scan = _segment(0xDA, bytes([1, 1, 0x00, 1, 63, 0x00])) + ac_data
    return b"\xff\xd8" + dqt + sof2 + dht_dc + dht_ac + dc_scan + ac_scan * scans + b"\xff\xd9"


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(width: int, height: int, bit_depth: int = 8, color_type: int = 0, extra_chunks: bytes = b"") -> bytes:
    """A PNG of ``width`` x ``height`` zero pixels: compresses about 1000:1, so a 40 MP image is a few
    tens of KB. ``color_type`` 0 gray, 2 RGB, 6 RGBA; ``bit_depth`` 8 or 16."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    row = b"\x00" * (1 + width * channels * bit_depth // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + extra_chunks + _png_chunk(b"IDAT", idat) \
        + _png_chunk(b"IEND", b"")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height``, followed by a tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) \
        + _png_chunk(b"IEND", b"")


def ztxt_bomb_chunks(count: int, each: int = 1_000_000) -> bytes:
    """``count`` zTXt chunks that each inflate to ``each`` bytes of text."""
    body = b"Comment\x00\x00" + zlib.compress(b"A" * each, 9)
    return _png_chunk(b"zTXt", body) * count


def noise_jpeg(width: int, height: int, quality: int = 95, progressive: bool = True, mode: str = "RGB",
               grain: int = 4, orientation: int | None = None) -> bytes:
    """A photo-sized JPEG of blocky noise, as close to 6 MB as quality allows: real decode work.
    ``orientation`` writes an EXIF orientation tag (6: rotate 90 degrees on display)."""
    rng = np.random.default_rng(11)
    small = rng.integers(0, 256, (max(1, height // grain), max(1, width // grain), 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((width, height), Image.Resampling.NEAREST)
    if mode != "RGB":
        img = img.convert(mode)
    buf = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    img.save(buf, format="JPEG", quality=quality, progressive=progressive, exif=exif.tobytes())
    return buf.getvalue()


def flat_jpeg(width: int, height: int) -> bytes:
    """A huge JPEG of one flat colour: tiny on disk, ``width`` x ``height`` to decode."""
    buf = io.BytesIO()
    Image.new("L", (width, height), 128).save(buf, format="JPEG", quality=50)
    return buf.getvalue()


def hostile_files() -> dict[str, bytes]:
    """Every hostile file of the test, by name."""
    return {
        "progressive_jpeg_10000_scans": many_scan_progressive_jpeg(10_000),
        "progressive_jpeg_32_scans_12mp": many_scan_progressive_jpeg(31),
        "png_6300x6300_gray": png_bomb(6300, 6300),
        "png_4096x4096_rgba16": png_bomb(4096, 4096, bit_depth=16, color_type=6),
        "png_4096x4096_rgb_ztxt_bomb": png_bomb(4096, 4096, color_type=2, extra_chunks=ztxt_bomb_chunks(60)),
        "png_header_65535x65535": png_header_only(65535, 65535),
        "jpeg_flat_20000x2000": flat_jpeg(20000, 2000),
        "jpeg_noise_4096x4096_progressive": noise_jpeg(4096, 4096, quality=75),
        "jpeg_noise_4096x4096_cmyk": noise_jpeg(4096, 4096, quality=60, progressive=False, mode="CMYK", grain=16),
        "jpeg_noise_4096x4096_exif_rotated": noise_jpeg(4096, 4096, quality=70, grain=8, orientation=6),
        "jpeg_noise_8000x5000_progressive": noise_jpeg(8000, 5000, quality=60, grain=16),
    }
