"""The edge tools report what did not validate, and where, without ever repeating the input."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, SecretStr, ValidationError

from edge_module.validation_errors import without_input


class _Camera(BaseModel):
    source: str = Field(pattern=r"^rtsp://[^@]*$")
    password: SecretStr = Field(min_length=12)


class _Store(BaseModel):
    cameras: list[_Camera]


def test_each_error_is_its_place_and_message_and_never_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        _Store.model_validate({"cameras": [{"source": "rtsp://admin:hunter2@10.0.0.5/live", "password": "hunter2"}]})
    text = without_input(caught.value)
    assert text.startswith("cameras.0.source: String should match pattern")
    assert "; cameras.0.password: Value should have at least 12 items" in text
    assert "hunter2" not in text


def test_an_error_of_the_whole_input_is_placed_in_the_file() -> None:
    with pytest.raises(ValidationError) as caught:
        _Store.model_validate_json("not json")
    assert without_input(caught.value).startswith("file: Invalid JSON")
