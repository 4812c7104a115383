"""Person detectors behind one interface, chosen by ``detector.kind`` in the configuration."""

from __future__ import annotations

from edge_module.config import DetectorConfig
from edge_module.detection.base import Detection, PersonDetector


def build_detector(config: DetectorConfig) -> PersonDetector:
    """The detector the configuration asks for (imports only what it needs)."""
    if config.kind == "centernet":
        from edge_module.detection.centernet import CenterNetPersonDetector

        return CenterNetPersonDetector(config)
    if config.kind == "hog":
        from edge_module.detection.hog import HogPersonDetector

        return HogPersonDetector(config)
    if config.kind == "hog+face":
        from edge_module.detection.hog import HogOrFaceDetector

        return HogOrFaceDetector(config)
    from edge_module.detection.onnx_detector import OnnxPersonDetector

    return OnnxPersonDetector(config)


__all__ = ["Detection", "PersonDetector", "build_detector"]
