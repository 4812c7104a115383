"""Store-like camera photos with real faces composited in.

Faces come from photos shipped in installed packages: scikit-image's ``astronaut`` (Eileen
Collins) and matplotlib's ``grace_hopper.jpg``. Their face boxes were located once with
OpenCV's frontal-face Haar cascade and are fixed here so rendering stays deterministic. Each
person is a head cut from one of them (flipped, re-lit, tinted, at several scales) on a body
drawn in clothing colours, in front of a synthesized shop interior: wall, shelves with
products, ceiling lights, tiled floor. Some people face away (no face visible).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

WIDTH, HEIGHT = 640, 480


@dataclass(frozen=True)
class FaceSource:
    """A photo with one face; ``box`` is the face (x, y, w, h) in pixels."""

    name: str
    box: tuple[int, int, int, int]


FACE_SOURCES = (
    FaceSource("skimage:astronaut", (177, 66, 95, 95)),
    FaceSource("matplotlib:grace_hopper.jpg", (155, 105, 222, 222)),
)


def _load_source(name: str) -> Image.Image:
    if name == "skimage:astronaut":
        from skimage import data

        return Image.fromarray(data.astronaut()).convert("RGB")
    if name == "matplotlib:grace_hopper.jpg":
        import matplotlib.cbook

        with Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as image:
            return image.convert("RGB")
    raise KeyError(name)


@cache
def head_crop(index: int) -> Image.Image:
    """The head (face plus hair and chin margin) of face source ``index``, as a square image."""
    source = FACE_SOURCES[index]
    img = _load_source(source.name)
    x, y, w, h = source.box
    cx, cy, side = x + w / 2, y + h / 2, max(w, h) * 1.6
    left, top = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    return img.crop((left, top, min(img.width, int(left + side)), min(img.height, int(top + side))))


@cache
def _oval_mask(size: int) -> Image.Image:
    mask = Image.new("L", (size, size), 0)
    inset = size * 0.08
    ImageDraw.Draw(mask).ellipse((inset, inset * 0.5, size - inset, size - inset * 0.3), fill=255)
    return mask.filter(ImageFilter.GaussianBlur(size * 0.04))


def _color(rng: np.random.Generator, low: int = 30, high: int = 230) -> tuple[int, int, int]:
    red, green, blue = (int(v) for v in rng.integers(low, high, size=3))
    return red, green, blue


def background(seed: int) -> Image.Image:
    """A shop interior seen by one camera; the same seed gives the same picture."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (WIDTH, HEIGHT), _color(rng, 150, 235))
    draw = ImageDraw.Draw(img)
    horizon = int(rng.integers(230, 290))
    # Ceiling with light strips.
    draw.rectangle((0, 0, WIDTH, 40), fill=_color(rng, 200, 250))
    for x in range(40, WIDTH, int(rng.integers(120, 180))):
        draw.rectangle((x, 12, x + 70, 22), fill=(255, 255, 235))
    # Shelving units with rows of products.
    x = int(rng.integers(-20, 20))
    while x < WIDTH:
        unit_w = int(rng.integers(110, 190))
        draw.rectangle((x, 60, x + unit_w, horizon), fill=_color(rng, 60, 120))
        for shelf_y in range(80, horizon - 10, 42):
            draw.rectangle((x + 4, shelf_y + 32, x + unit_w - 4, shelf_y + 36), fill=(210, 210, 205))
            px = x + 6
            while px < x + unit_w - 12:
                pw, ph = int(rng.integers(8, 22)), int(rng.integers(14, 30))
                draw.rectangle((px, shelf_y + 32 - ph, px + pw, shelf_y + 32), fill=_color(rng))
                px += pw + int(rng.integers(1, 4))
        x += unit_w + int(rng.integers(10, 40))
    # Tiled floor in perspective.
    floor = _color(rng, 140, 210)
    draw.rectangle((0, horizon, WIDTH, HEIGHT), fill=floor)
    line = tuple(max(0, c - 25) for c in floor)
    for i in range(-8, 9):
        draw.line((WIDTH / 2 + i * 40, horizon, WIDTH / 2 + i * 160, HEIGHT), fill=line, width=1)
    y, step = float(horizon), 8.0
    while y < HEIGHT:
        draw.line((0, y, WIDTH, y), fill=line, width=1)
        y, step = y + step, step * 1.35
    noise = rng.normal(0, 4, size=(HEIGHT, WIDTH, 3))
    return Image.fromarray(np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype(np.uint8))


def _head(rng: np.random.Generator, size: int) -> Image.Image:
    """A real face, augmented: which source, mirror, brightness, contrast and a colour cast."""
    head = head_crop(int(rng.integers(len(FACE_SOURCES)))).resize((size, size), Image.Resampling.LANCZOS)
    if rng.random() < 0.5:
        head = head.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    head = ImageEnhance.Brightness(head).enhance(float(rng.uniform(0.8, 1.15)))
    head = ImageEnhance.Contrast(head).enhance(float(rng.uniform(0.85, 1.1)))
    tint = np.asarray(head, dtype=np.float32) * rng.uniform(0.92, 1.08, size=3)
    return Image.fromarray(np.clip(tint, 0, 255).astype(np.uint8))


def render(seed: int, background_seed: int, people: int, faces_visible: int, brightness: float = 1.0) -> bytes:
    """A 640x480 JPEG with ``people`` people, of whom the first ``faces_visible`` face the camera."""
    rng = np.random.default_rng(seed)
    img = _background_cached(background_seed).copy()
    if brightness != 1.0:
        img = ImageEnhance.Brightness(img).enhance(brightness)
    draw = ImageDraw.Draw(img)
    slots = rng.permutation(max(people, 1))[:people]
    slot_w = WIDTH / max(people, 1)
    figures = []
    for i, slot in enumerate(slots):
        size = int(rng.integers(64, 150)) if people <= 3 else int(rng.integers(64, 104))
        size = min(size, int(slot_w * 0.85))  # heads never overlap
        cx = int(slot_w * (slot + 0.5) + rng.uniform(-0.05, 0.05) * slot_w)
        top = int(np.clip(120 + (size - 56) * 0.9 + rng.uniform(-20, 20), 50, HEIGHT - size * 2))
        figures.append((size, cx, top, i < faces_visible))
    figures.sort()  # farther (smaller) people first
    for size, cx, top, _ in figures:  # bodies first, so no body ever hides a face
        body_top = top + int(size * 0.85)
        draw.rounded_rectangle(
            (cx - size * 0.8, body_top, cx + size * 0.8, min(HEIGHT + 20, body_top + size * 3)),
            radius=int(size * 0.35), fill=_color(rng, 20, 220),
        )
    for size, cx, top, facing in figures:
        left = cx - size // 2
        if facing:
            img.paste(_head(rng, size), (left, top), _oval_mask(size))
        else:  # seen from behind: hair, no face
            hair = _color(rng, 15, 90)
            draw.ellipse((left + size * 0.1, top + size * 0.05, left + size * 0.9, top + size * 0.95), fill=hair)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


@lru_cache(maxsize=64)
def _background_cached(seed: int) -> Image.Image:
    return background(seed)
