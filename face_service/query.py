"""Parse and check the detect call's query string the way the Face API does."""

from __future__ import annotations

from collections.abc import Mapping

from face_service import errors
from face_service.schemas import (
    DETECTION_MODELS,
    KNOWN_ATTRIBUTES,
    RECOGNITION_MODELS,
    SUPPORTED_ATTRIBUTES,
    DetectOptions,
)

_BOOLS = {"true": True, "false": False}


def _bool(params: Mapping[str, str], name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return _BOOLS[raw.strip().lower()]
    except KeyError:
        raise errors.bad_argument(f"Invalid argument {name}: {raw!r} is not true or false.") from None


def parse_detect_query(params: Mapping[str, str]) -> DetectOptions:
    """:class:`DetectOptions` from the query parameters (names matched case-insensitively).

    Face ids are not supported: ``returnFaceId=true`` is refused (403 ``UnsupportedFeature``, as
    Azure answers a resource without identification approval); when it is left out, no ids are
    returned. Raises :class:`~face_service.errors.FaceApiError` for anything invalid.
    """
    lowered = {k.lower(): v for k, v in params.items()}
    if _bool(lowered, "returnfaceid", default=False):
        raise errors.FaceApiError(
            403, "UnsupportedFeature",
            "Feature is not supported: this service does not issue face ids (no identification or "
            "verification). Call detect with returnFaceId=false.",
        )
    _bool(lowered, "returnrecognitionmodel", default=False)  # validated; meaningless without face ids
    landmarks = _bool(lowered, "returnfacelandmarks", default=False)

    detection = (lowered.get("detectionmodel") or "detection_01").strip().lower()
    if detection not in DETECTION_MODELS:
        raise errors.bad_argument(f"'detectionModel' is invalid. Supported values: {', '.join(DETECTION_MODELS)}.")
    recognition = (lowered.get("recognitionmodel") or "recognition_01").strip().lower()
    if recognition not in RECOGNITION_MODELS:
        raise errors.bad_argument(
            f"'recognitionModel' is invalid. Supported values: {', '.join(RECOGNITION_MODELS)}."
        )
    ttl = lowered.get("faceidtimetolive")
    if ttl not in (None, ""):
        if not ttl.strip().isdigit() or not 60 <= int(ttl) <= 86400:
            raise errors.bad_argument("'faceIdTimeToLive' is invalid: an integer from 60 to 86400 seconds.")

    attributes: list[str] = []
    for raw in (lowered.get("returnfaceattributes") or "").split(","):
        name = raw.strip()
        if not name:
            continue
        canonical = KNOWN_ATTRIBUTES.get(name.lower())
        if canonical is None:
            raise errors.bad_argument(
                f"Invalid argument returnFaceAttributes: {name!r} is not a face attribute. "
                f"Supported values: {', '.join(SUPPORTED_ATTRIBUTES)}."
            )
        if canonical not in SUPPORTED_ATTRIBUTES:
            raise errors.bad_argument(
                f"Invalid argument returnFaceAttributes: {canonical!r} is not supported by this service. "
                f"Supported values: {', '.join(SUPPORTED_ATTRIBUTES)}."
            )
        if canonical not in attributes:
            attributes.append(canonical)
    return DetectOptions(
        attributes=tuple(attributes), landmarks=landmarks,
        detection_model=detection, recognition_model=recognition,
    )
