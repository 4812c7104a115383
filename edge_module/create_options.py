"""Docker ``createOptions`` in the form IoT Edge deployments carry them.

A deployment manifest keeps a module's container create options as a JSON *string*, minified, in
``settings.createOptions``; a twin property value holds at most 512 characters, so longer options
continue in ``createOptions01`` .. ``createOptions07`` (at most 8 parts, 4 KB in all) and edgeAgent
joins them in order. This is what IoT Edge tooling (iotedgedev, the VS Code extension) does when
it turns a template's object into a deployment; the az CLI's ``$edgeAgent`` schema accepts only
strings there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

PART_CHARS = 512
"""Characters of one ``createOptions`` property (a twin value's limit)."""
MAX_PARTS = 8
"""``createOptions`` plus ``createOptions01`` .. ``createOptions07``."""
_KEY = re.compile(r"^createOptions(0[1-7])?$")


def split_create_options(options: Mapping[str, Any]) -> dict[str, str]:
    """``{"createOptions": ..., "createOptions01": ...}`` for Docker create options given as an object."""
    text = json.dumps(options, separators=(",", ":"), sort_keys=True)
    parts = [text[i:i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or ["{}"]
    if len(parts) > MAX_PARTS:
        raise ValueError(f"createOptions of {len(text)} characters exceed {MAX_PARTS} x {PART_CHARS}")
    return {("createOptions" if i == 0 else f"createOptions{i:02d}"): part for i, part in enumerate(parts)}


def join_create_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The Docker create options a module's ``settings`` carry, checked as edgeAgent reads them."""
    keys = sorted(k for k in settings if k.startswith("createOptions"))
    for key in keys:
        if not _KEY.match(key):
            raise ValueError(f"{key!r} is not createOptions or createOptions01..07")
        value = settings[key]
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string, got {type(value).__name__}")
        if len(value) > PART_CHARS:
            raise ValueError(f"{key} has {len(value)} characters, more than {PART_CHARS}")
    expected = ["createOptions", *(f"createOptions{i:02d}" for i in range(1, len(keys)))]
    if keys != expected:
        raise ValueError(f"createOptions parts must be consecutive from createOptions, got {keys}")
    options = json.loads("".join(settings[k] for k in keys)) if keys else {}
    if not isinstance(options, dict):
        raise ValueError("createOptions must be a JSON object")
    return options
