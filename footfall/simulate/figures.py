"""People drawn into a synthesised shop scene: a real face on a clothed body, walking.

A figure stands on its foot point (the bottom centre of its box, as the edge module measures
positions): legs that swing with the walking phase, a torso with arms, a neck and a head. The
head carries a real face (scikit-image's astronaut or matplotlib's Grace Hopper, re-lit and
tinted, see :mod:`.scene`) when the person faces the camera, and hair when they walk away. The
person detector (CenterNet, COCO) sees these figures as people, which is what lets the demo's
visitors be measured by the edge code rather than copied from the plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from footfall.simulate.scene import _head, _oval_mask


@dataclass(frozen=True)
class Appearance:
    """How one person looks (fixed for the whole walk)."""

    seed: int
    top: tuple[int, int, int]
    trousers: tuple[int, int, int]
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    build: float

    @classmethod
    def random(cls, rng: np.random.Generator) -> Appearance:
        """A random look."""
        def colour(low: int, high: int) -> tuple[int, int, int]:
            red, green, blue = (int(v) for v in rng.integers(low, high, size=3))
            return red, green, blue

        skin_tone = float(rng.uniform(0.45, 1.0))
        return cls(seed=int(rng.integers(2**31)), top=colour(20, 230), trousers=colour(15, 120),
                   skin=(int(235 * skin_tone), int(190 * skin_tone), int(160 * skin_tone)),
                   hair=colour(10, 90), build=float(rng.uniform(0.9, 1.15)))


@lru_cache(maxsize=512)
def _face(seed: int, size: int) -> Image.Image:
    """The same person's face at ``size`` px (deterministic for the seed)."""
    return _head(np.random.default_rng(seed), size)


def draw_person(image: Image.Image, foot: tuple[float, float], height: float, look: Appearance,
                facing: bool, phase: float) -> tuple[int, int, int, int]:
    """Draw one person standing on ``foot`` (pixels), ``height`` px tall; returns their box (x1, y1, x2, y2).

    ``phase`` (radians) swings the legs and arms; ``facing`` puts a face on the head, else hair.
    """
    draw = ImageDraw.Draw(image)
    fx, fy = foot
    h = height
    head = h * 0.15
    shoulder = h * 0.26 * look.build
    hip = h * 0.2 * look.build
    top_y = fy - h
    neck_y = top_y + head * 0.95
    waist_y = fy - h * 0.48
    swing = math.sin(phase)
    # Legs: two slanted quadrilaterals from the hips to the feet.
    for side in (-1, 1):
        hip_x = fx + side * hip * 0.28
        foot_x = fx + side * hip * 0.18 + swing * side * h * 0.09
        w = hip * 0.42
        draw.polygon([(hip_x - w / 2, waist_y), (hip_x + w / 2, waist_y), (foot_x + w * 0.4, fy - h * 0.02),
                      (foot_x - w * 0.4, fy - h * 0.02)], fill=look.trousers)
        draw.ellipse((foot_x - w * 0.55, fy - h * 0.035, foot_x + w * 0.55, fy), fill=(25, 25, 25))
    # Torso and arms.
    draw.rounded_rectangle((fx - shoulder / 2, neck_y + h * 0.02, fx + shoulder / 2, waist_y + h * 0.04),
                           radius=int(shoulder * 0.3), fill=look.top)
    for side in (-1, 1):
        sx = fx + side * shoulder * 0.48
        hand_x = sx + side * h * 0.03 - swing * side * h * 0.06
        arm_w = shoulder * 0.2
        draw.polygon([(sx - arm_w / 2, neck_y + h * 0.04), (sx + arm_w / 2, neck_y + h * 0.04),
                      (hand_x + arm_w / 2, waist_y + h * 0.06), (hand_x - arm_w / 2, waist_y + h * 0.06)],
                     fill=look.top)
        draw.ellipse((hand_x - arm_w * 0.6, waist_y + h * 0.04, hand_x + arm_w * 0.6, waist_y + h * 0.1),
                     fill=look.skin)
    draw.rectangle((fx - head * 0.18, neck_y - head * 0.1, fx + head * 0.18, neck_y + h * 0.03), fill=look.skin)
    # Head: a real face, or hair seen from behind.
    size = max(8, int(round(head * 1.25)))
    left, top = int(round(fx - size / 2)), int(round(top_y - size * 0.1))
    if facing:
        size = max(8, size // 4 * 4)  # a few head sizes per person, each rendered once
        image.paste(_face(look.seed, size), (left, top), _oval_mask(size))
    else:
        draw.ellipse((left + size * 0.1, top + size * 0.05, left + size * 0.9, top + size * 0.95), fill=look.hair)
    return (int(fx - shoulder / 2 - h * 0.05), int(top_y), int(fx + shoulder / 2 + h * 0.05), int(fy))
