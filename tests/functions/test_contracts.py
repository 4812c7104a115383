"""The contracts: upload names and metadata, event ids from the capture, CountEvents, reference rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from functions.contracts import (
    DWELL_BUCKET_NAMES,
    CameraRecord,
    CountEvent,
    FaceRecord,
    FrameEvent,
    LineCount,
    StoreRecord,
    UploadPath,
    UploadPathError,
    ZoneCount,
    capture_event_id,
    count_event_id,
    dwell_bucket,
    is_id,
)


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
    "S0001/C01/2026/11/23/080000123-7.jpg\n",  # a trailing newline ($ would let it through)
    "S0001/C01/2026/11/23/\u0660\u0668\u0660\u0660\u0660\u0660123-7.jpg",  # Arabic-Indic digits match \d
    "S\u017f01/C01/2026/11/23/080000123-7.jpg",  # long s: folds to "s" under re.IGNORECASE without re.ASCII
    "S0001/C\u212a1/2026/11/23/080000123-7.jpg",  # Kelvin sign: folds to "k" likewise
])
def test_bad_names_are_rejected(name: str) -> None:
    with pytest.raises(UploadPathError):
        UploadPath.parse(name)


def test_metadata_that_agrees_with_the_name_is_accepted_and_the_kind_is_read() -> None:
    upload = UploadPath.parse("S0001/C01/2026/11/23/080000123-7.jpg",
                              {"CapturedAt": "2026-11-23T09:00:00.123+01:00", "CameraId": "C01", "Kind": "visit"})
    assert upload.camera_id == "C01" and upload.kind == "visit"
    assert upload.captured_at == datetime(2026, 11, 23, 8, 0, 0, 123000, tzinfo=UTC)
    assert UploadPath.parse("S0001/C01/2026/11/23/080000123-7.jpg").kind == "frame"


@pytest.mark.parametrize("metadata", [
    {"capturedat": "yesterday"},
    {"capturedat": "9999-12-31T23:00-05:00"},  # overflows when turned into UTC
    {"capturedat": "2026-11-23T10:11:12.131Z"},  # contradicts the name's 08:00:00.123
    {"cameraid": "bad id!"},
    {"cameraid": "C77"},  # contradicts the name's C01
    {"kind": "portrait"},
])
def test_bad_or_contradicting_metadata_is_a_contract_error(metadata: dict[str, str]) -> None:
    with pytest.raises(UploadPathError):
        UploadPath.parse("S0001/C01/2026/11/23/080000123-7.jpg", metadata)


def test_the_event_id_comes_from_the_capture_not_the_blob() -> None:
    at = datetime(2026, 11, 23, 8, 0, 0, 123000, tzinfo=UTC)
    a = capture_event_id("S0001", "C01", at, 7)
    assert UploadPath.parse("S0001/C01/2026/11/23/080000123-7.jpg").event_id() == a
    assert UploadPath.parse("uploads/S0001/C01/2026/11/23/080000123-7.JPG", {"kind": "visit"}).event_id() == a
    assert a != capture_event_id("S0001", "C01", at, 8)
    assert a != capture_event_id("S0001", "C02", at, 7)
    assert a != capture_event_id("S0001", "C01", at + timedelta(milliseconds=1), 7)
    assert "S0001" not in a and len(a) == 32
    assert count_event_id("S0001", "C01", at) != count_event_id("S0001", "C01", at + timedelta(minutes=1))


def test_a_camera_s_name_and_metadata_parse_back_to_the_same_upload() -> None:
    upload = UploadPath(store_id="S0042", camera_id="C07", seq=3, extension="jpg", kind="visit",
                        captured_at=datetime(2026, 11, 23, 18, 4, 5, 120000, tzinfo=UTC))
    assert upload.metadata() == {"capturedat": "2026-11-23T18:04:05.120Z", "cameraid": "C07", "kind": "visit"}
    assert UploadPath.parse(upload.blob_name(), upload.metadata()) == upload


def test_ids_are_ascii_only_and_whole() -> None:
    assert is_id("S0001") and is_id("a_b-c")
    assert not any(is_id(v) for v in ("", "S 1", "S1\n", "\u0661", "S\u017f", "x" * 65))


def _frame(**values: object) -> FrameEvent:
    base: dict[str, object] = dict(
        event_id="0" * 32, captured_at=datetime(2026, 11, 23, 8, 0, 0, 987000, tzinfo=UTC),
        store_id="S0001", camera_id="C01", kind="frame", face_count=0, faces=[], analyzer="x",
        processed_at=datetime(2026, 11, 23, 8, 0, 1, 456000, tzinfo=UTC),
    )
    base.update(values)
    return FrameEvent.model_validate(base)


def test_frame_events_carry_times_to_the_second_and_a_visit_holds_at_most_one_face() -> None:
    event = _frame()
    assert '"captured_at":"2026-11-23T08:00:00Z"' in event.to_json()
    assert '"processed_at":"2026-11-23T08:00:01Z"' in event.to_json()
    assert FrameEvent.from_json(event.to_json()) == event
    _frame(kind="visit", face_count=1, faces=[FaceRecord(gender="female")])
    with pytest.raises(ValidationError, match="at most one face"):
        _frame(kind="visit", face_count=2, faces=[FaceRecord(), FaceRecord()])
    with pytest.raises(ValidationError):
        _frame(face_box=[1, 2, 3, 4])  # nothing that locates a face can be added


def _count(**values: object) -> CountEvent:
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    base: dict[str, object] = dict(event_id=count_event_id("S0001", "C01", start), store_id="S0001",
                                   camera_id="C01", window_start=start, window_end=start + timedelta(minutes=1),
                                   frames=600)
    base.update(values)
    return CountEvent.model_validate(base)


def _histogram(**counts: int) -> dict[str, int]:
    return {name: counts.get(name, 0) for name in DWELL_BUCKET_NAMES}


def test_a_count_event_is_one_camera_minute_of_counts_and_nothing_else() -> None:
    event = _count(lines=[LineCount(line="door", entries=3, exits=1)],
                   zones=[ZoneCount(zone="tills", occupancy_mean=1.25, occupancy_max=3, visits=2, dwell_s_sum=95.0,
                                    dwell_histogram=_histogram(lt_1m=1, lt_2m=1))])
    assert CountEvent.from_json(event.to_json()) == event
    assert '"window_end":"2026-11-23T08:01:00Z"' in event.to_json()
    for smuggled in ({"track_ids": [1, 2]}, {"boxes": [[0, 0, 10, 10]]}, {"image": "..."}):
        with pytest.raises(ValidationError):
            _count(**smuggled)
    with pytest.raises(ValidationError):
        LineCount.model_validate({"line": "door", "entries": 1, "exits": 0, "positions": [[0.5, 0.5]]})


@pytest.mark.parametrize("values", [
    {"window_start": datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC),
     "window_end": datetime(2026, 11, 23, 8, 1, 30, tzinfo=UTC)},  # not on a whole minute
    {"window_end": datetime(2026, 11, 23, 8, 2, tzinfo=UTC)},  # two minutes
    {"lines": [LineCount(line="door", entries=1, exits=0), LineCount(line="door", entries=0, exits=1)]},
])
def test_count_events_that_do_not_add_up_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _count(**values)


def test_a_zone_s_dwell_histogram_adds_up_to_its_visits() -> None:
    with pytest.raises(ValidationError, match="visits"):
        ZoneCount(zone="z", occupancy_mean=0, occupancy_max=0, visits=2, dwell_s_sum=10,
                  dwell_histogram=_histogram(lt_30s=1))
    with pytest.raises(ValidationError):
        ZoneCount(zone="z", occupancy_mean=2.5, occupancy_max=1, visits=0, dwell_s_sum=0, dwell_histogram=_histogram())
    seconds = (0, 29.9, 30, 59, 60, 299, 300, 1199, 1200, 10_000)
    assert [dwell_bucket(s) for s in seconds] == [0, 0, 1, 1, 2, 3, 4, 5, 6, 6]


def test_a_zone_s_minute_is_counted_from_the_dwells_of_its_ended_visits() -> None:
    zone = ZoneCount.from_dwells("tills", [12.04, 45.0, 45.0, 1500.0], occupancy_mean=1.5, occupancy_max=2)
    assert zone == ZoneCount(zone="tills", occupancy_mean=1.5, occupancy_max=2, visits=4, dwell_s_sum=1602.0,
                             dwell_histogram=_histogram(lt_30s=1, lt_1m=2, ge_20m=1))
    assert ZoneCount.from_dwells("tills", [], occupancy_mean=0, occupancy_max=0).dwell_histogram == _histogram()


def test_reference_rows_validate_zones_roles_and_hours() -> None:
    store = StoreRecord(store_id="S1", store_name="A", city="B", country="GB", region="R", time_zone="Europe/London")
    assert str(store.tz) == "Europe/London" and store.opening_hours == "08:00-20:00"
    with pytest.raises(ValidationError):
        StoreRecord(store_id="S1", store_name="A", city="B", country="GB", region="R", time_zone="Mars/Olympus")
    assert CameraRecord(store_id="S1", camera_id="C2", role="zone", zones="tills; menswear").zone_names == (
        "tills", "menswear")
    with pytest.raises(ValidationError):
        CameraRecord(store_id="S1", camera_id="C2", role="ceiling")
