"""The ONNX conversion of face-api's networks computes what the original computes on TensorFlow.js.

The original runs in Node (``face_service/models/faceapi/reference.cjs``: face-api's own
``AgeGenderNet`` and ``FaceExpressionNet`` classes on tfjs's CPU backend, weights read from the
npm package), the conversion on onnxruntime; both get the same 112 x 112 crops of real faces and
of noise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from face_helpers import ASTRONAUT_FACE, GRACE_HOPPER_FACE
from PIL import Image
from skimage import data

from face_service.config import MODEL_DIR
from face_service.models.base import Detection
from face_service.models.faceapi_convert import (
    AGE_GENDER_FILE,
    EXPRESSION_FILE,
    INFO_FILE,
    INPUT_SIDE,
    convert,
    read_weights,
)
from face_service.models.faceapi_models import face_chip

NPM_ROOT = MODEL_DIR.parent / "node_modules"
PACKAGE = NPM_ROOT / "@vladmandic" / "face-api"
REFERENCE = Path(__file__).resolve().parents[3] / "face_service" / "models" / "faceapi" / "reference.cjs"


@pytest.fixture(scope="module")
def chips(grace_hopper_jpeg: bytes) -> np.ndarray:
    """Crops of two real faces (and their mirror images) and two of noise, float32 [6, 112, 112, 3]."""
    import io

    grace = np.asarray(Image.open(io.BytesIO(grace_hopper_jpeg)).convert("RGB"))
    faces = [face_chip(data.astronaut(), Detection(ASTRONAUT_FACE, np.zeros((5, 2)), 1.0)),
             face_chip(grace, Detection(GRACE_HOPPER_FACE, np.zeros((5, 2)), 1.0))]
    faces += [f[:, ::-1] for f in faces]
    rng = np.random.default_rng(5)
    faces += [rng.uniform(0, 255, (INPUT_SIDE, INPUT_SIDE, 3)).astype(np.float32) for _ in range(2)]
    return np.ascontiguousarray(np.stack(faces), dtype=np.float32)


def _original(chips: np.ndarray, tmp_path: Path) -> dict[str, np.ndarray]:
    path = tmp_path / "chips.f32"
    chips.tofile(path)
    node = shutil.which("node") or "node"
    done = subprocess.run([node, str(REFERENCE), str(PACKAGE / "model"), str(path), str(len(chips))],
                          env={**os.environ, "NODE_PATH": str(NPM_ROOT)},
                          capture_output=True, text=True, timeout=300, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}


def test_the_onnx_graphs_match_face_api_on_tensorflow_js(chips: np.ndarray, tmp_path: Path) -> None:
    original = _original(chips, tmp_path)
    age_gender = ort.InferenceSession(str(MODEL_DIR / AGE_GENDER_FILE))
    expression = ort.InferenceSession(str(MODEL_DIR / EXPRESSION_FILE))

    ages, genders = age_gender.run(None, {"image": chips})
    (expressions,) = expression.run(None, {"image": chips})

    np.testing.assert_allclose(ages, original["age"], atol=0.01)
    np.testing.assert_allclose(genders, original["gender"], atol=1e-4)
    np.testing.assert_allclose(expressions, original["expression"], atol=1e-4)
    assert genders[:4].argmax(axis=1).tolist() == [1, 1, 1, 1]  # both women, mirrored or not: female
    assert 0 < ages[0] < 100 and expressions[0].argmax() == 1  # the astronaut smiles: happy


def test_the_installed_files_are_what_the_package_converts_to(tmp_path: Path) -> None:
    info = convert(PACKAGE, tmp_path)
    installed = json.loads((MODEL_DIR / INFO_FILE).read_text())

    assert info["files"] == installed["files"]
    assert info["license"] == "MIT" and info["version"] == json.loads((PACKAGE / "package.json").read_text())["version"]


def test_every_weight_of_the_manifest_is_read_and_dequantized() -> None:
    weights = read_weights(PACKAGE / "model", "age_gender_model")

    assert weights["entry_flow/conv_in/filters"].shape == (3, 3, 3, 32)
    assert weights["fc/gender/weights"].shape == (512, 2)
    assert all(w.dtype == np.float32 and np.isfinite(w).all() for w in weights.values())
    assert len({float(np.round(w, 6).std()) for w in weights.values()}) > 10  # not all zeros or one value
