"""The edge module's configuration refuses values that would exhaust the device (``edge_module/config.py``)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from edge_module.config import DetectorConfig


@pytest.mark.parametrize("field", ["detect_width", "face_detect_width"])
def test_a_twin_cannot_ask_for_frames_blown_up_beyond_4096_pixels(field: str) -> None:
    # 200,000 px wide would make a 768x576 frame about 90 GB at detection time.
    with pytest.raises(ValidationError, match="less than or equal to 4096"):
        DetectorConfig.model_validate({field: 200_000})
    assert getattr(DetectorConfig.model_validate({field: 4096}), field) == 4096
    assert getattr(DetectorConfig.model_validate({field: 0}), field) == 0
