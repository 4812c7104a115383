"""The upload contract as the function applies it: names, metadata precedence, stable event ids."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from functions.contracts import UploadPath, UploadPathError, event_id_for


@pytest.mark.parametrize("name", [
    "S0001/C01/2026/11/23/080000123-7.jpg",
    "uploads/S0001/C01/2026/11/23/080000123-7.jpg",
    "store_9/cam-2/2026/01/31/235959999-123456789.JPEG",
    "S1/C1/2026/11/23/080000000-0.png",
])
def test_good_names_parse(name: str) -> None:
    upload = UploadPath.parse(name)
    assert upload.store_id in {"S0001", "store_9", "S1"}


@pytest.mark.parametrize("name", [
    "",
    "S0001/2026/11/23/080000123-7.jpg",  # no camera
    "S0001/C01/2026/11/23/080000123.jpg",  # no seq
    "S0001/C01/2026/13/23/080000123-7.jpg",  # month 13
    "S0001/C01/2026/02/30/080000123-7.jpg",  # 30 February
    "S0001/C01/2026/11/23/250000123-7.jpg",  # hour 25
    "S 0001/C01/2026/11/23/080000123-7.jpg",  # space in the store id
    "S0001/C01/2026/11/23/080000123-7.gif",
    "../S0001/C01/2026/11/23/080000123-7.jpg",
    "S0001/C01/2026/11/23/080000123-7.jpg/extra",
    "x" * 65 + "/C01/2026/11/23/080000123-7.jpg",
])
def test_bad_names_are_rejected(name: str) -> None:
    with pytest.raises(UploadPathError):
        UploadPath.parse(name)


def test_metadata_wins_over_the_name() -> None:
    upload = UploadPath.parse("S0001/C01/2026/11/23/080000123-7.jpg",
                              {"CapturedAt": "2026-11-23T09:30:00.500+01:00", "CameraId": "C77"})
    assert upload.camera_id == "C77"
    assert upload.captured_at == datetime(2026, 11, 23, 8, 30, 0, 500000, tzinfo=timezone.utc)


@pytest.mark.parametrize("metadata", [{"capturedat": "yesterday"}, {"cameraid": "bad id!"}])
def test_bad_metadata_is_rejected(metadata: dict[str, str]) -> None:
    with pytest.raises(UploadPathError):
        UploadPath.parse("S0001/C01/2026/11/23/080000123-7.jpg", metadata)


def test_event_id_is_stable_for_the_same_blob_and_etag() -> None:
    a = event_id_for("uploads", "S0001/C01/2026/11/23/080000123-7.jpg", '"0x8DC1"')
    assert a == event_id_for("uploads", "S0001/C01/2026/11/23/080000123-7.jpg", "0x8DC1")  # quotes do not matter
    assert a != event_id_for("uploads", "S0001/C01/2026/11/23/080000123-7.jpg", '"0x8DC2"')  # re-upload
    assert a != event_id_for("uploads", "S0001/C01/2026/11/23/080000123-8.jpg", '"0x8DC1"')
    assert "S0001" not in a and len(a) == 32


def test_a_camera_s_name_and_metadata_parse_back_to_the_same_upload() -> None:
    upload = UploadPath(store_id="S0042", camera_id="C07", seq=3, extension="jpg",
                        captured_at=datetime(2026, 11, 23, 18, 4, 5, 120000, tzinfo=timezone.utc))
    assert upload.metadata() == {"capturedat": "2026-11-23T18:04:05.120Z", "cameraid": "C07"}
    assert UploadPath.parse(upload.blob_name(), upload.metadata()) == upload
