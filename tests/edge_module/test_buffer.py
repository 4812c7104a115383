"""The store-and-forward buffer: atomic files, oldest first, caps by size and age, survives restarts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge_module.buffer import BufferedPhoto, PhotoBuffer
from edge_module.config import BufferLimits
from functions.contracts import UploadPath

T0 = datetime(2026, 11, 23, 9, 15, 30, 250_000, tzinfo=UTC)
BIG = BufferLimits(max_bytes=10**9, max_age_s=86400)


def jpeg(n: int, fill: int = 0xAB) -> bytes:
    return b"\xff\xd8" + bytes([fill]) * (n - 4) + b"\xff\xd9"


def test_a_buffered_photo_knows_its_blob_name_and_metadata(tmp_path: Path) -> None:
    buf = PhotoBuffer(tmp_path, BIG)
    photo = buf.put(jpeg(100), "S0042", "C07", T0)
    assert photo is not None and photo.path.read_bytes() == jpeg(100)
    assert photo.blob_name == UploadPath(
        store_id="S0042", camera_id="C07", captured_at=T0, seq=photo.seq, extension="jpg",
    ).blob_name()
    assert photo.blob_name.startswith("S0042/C07/2026/11/23/091530250-")
    assert photo.metadata == {"capturedat": "2026-11-23T09:15:30.250Z", "cameraid": "C07", "kind": "frame"}
    # and the function side parses it back to the same upload
    parsed = UploadPath.parse(photo.blob_name, photo.metadata)
    assert (parsed.store_id, parsed.camera_id, parsed.captured_at) == ("S0042", "C07", T0)


def test_photos_in_the_same_millisecond_get_distinct_names(tmp_path: Path) -> None:
    buf = PhotoBuffer(tmp_path, BIG)
    a, b = buf.put(jpeg(10), "S1", "C1", T0), buf.put(jpeg(10), "S1", "C1", T0)
    assert a is not None and b is not None and a.blob_name != b.blob_name


def test_drains_oldest_first_and_forgets_only_on_remove(tmp_path: Path) -> None:
    buf = PhotoBuffer(tmp_path, BIG)
    for offset in (30, 10, 20):  # buffered out of order on purpose
        buf.put(jpeg(10), "S1", "C1", T0 + timedelta(seconds=offset))
    order = [p.captured_at for p in buf.pending()]
    assert order == sorted(order)
    oldest = buf.claim_oldest()
    assert oldest is not None and oldest.captured_at == T0 + timedelta(seconds=10)
    buf.release()
    assert buf.count == 3, "a failed upload leaves the photo in place"
    buf.remove(oldest)
    assert buf.count == 2 and not oldest.path.exists()


def test_writes_are_atomic_and_half_written_files_are_discarded_on_restart(tmp_path: Path) -> None:
    buf = PhotoBuffer(tmp_path, BIG)
    buf.put(jpeg(50), "S1", "C1", T0)
    assert list((tmp_path / ".tmp").iterdir()) == [], "nothing is left in the staging folder"
    # A crash mid-write leaves a .part in .tmp/ and never a partial file under a final name.
    (tmp_path / ".tmp" / "1795425330250.S1.C1.9.jpg.part").write_bytes(b"\xff\xd8half")
    (tmp_path / "notes.txt").write_text("not ours")
    again = PhotoBuffer(tmp_path, BIG)
    assert [p.path.name for p in again.pending()] == [p.path.name for p in buf.pending()]
    assert list((tmp_path / ".tmp").iterdir()) == []


def test_photos_survive_a_restart_with_their_names(tmp_path: Path) -> None:
    first = PhotoBuffer(tmp_path, BIG)
    names = [first.put(jpeg(10), "S1", "C1", T0 + timedelta(seconds=i)).blob_name for i in range(3)]
    second = PhotoBuffer(tmp_path, BIG)
    assert [p.blob_name for p in second.pending()] == names
    assert second.size_bytes == 30


def test_size_cap_drops_oldest_with_a_warning_and_counts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    buf = PhotoBuffer(tmp_path, BufferLimits(max_bytes=350, max_age_s=86400))
    for i in range(3):
        buf.put(jpeg(100, fill=i), "S1", "C1", T0 + timedelta(seconds=i))
    with caplog.at_level(logging.WARNING, logger="edge_module.buffer"):
        buf.put(jpeg(100, fill=3), "S1", "C1", T0 + timedelta(seconds=3))
        buf.put(jpeg(100, fill=4), "S1", "C1", T0 + timedelta(seconds=4))
    assert buf.dropped == 2 and buf.count == 3 and buf.size_bytes == 300
    assert [p.path.read_bytes()[2] for p in buf.pending()] == [2, 3, 4], "the oldest went first"
    assert "size cap" in caplog.text and "dropped 1 oldest photo" in caplog.text and "dropped total 2" in caplog.text


def test_a_photo_bigger_than_the_whole_cap_is_dropped_itself(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    buf = PhotoBuffer(tmp_path, BufferLimits(max_bytes=50, max_age_s=86400))
    kept = buf.put(jpeg(40), "S1", "C1", T0)
    with caplog.at_level(logging.WARNING):
        assert buf.put(jpeg(400), "S1", "C1", T0 + timedelta(seconds=1)) is None
    assert buf.dropped == 1 and buf.pending() == [kept]
    assert "exceeds the whole buffer cap" in caplog.text


def test_age_cap_drops_stale_photos(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    buf = PhotoBuffer(tmp_path, BufferLimits(max_bytes=10**6, max_age_s=3600))
    buf.put(jpeg(10), "S1", "C1", T0)
    buf.put(jpeg(10), "S1", "C1", T0 + timedelta(minutes=50))
    with caplog.at_level(logging.WARNING):
        assert buf.enforce_limits(T0 + timedelta(minutes=61)) == 1
    assert [p.captured_at for p in buf.pending()] == [T0 + timedelta(minutes=50)]
    assert "age cap" in caplog.text


def test_the_photo_being_uploaded_is_never_dropped(tmp_path: Path) -> None:
    buf = PhotoBuffer(tmp_path, BufferLimits(max_bytes=250, max_age_s=3600))
    first = buf.put(jpeg(100), "S1", "C1", T0)
    buf.put(jpeg(100), "S1", "C1", T0 + timedelta(seconds=1))
    assert buf.claim_oldest() == first
    buf.put(jpeg(100), "S1", "C1", T0 + timedelta(seconds=2))  # over the cap: the second goes, not the first
    assert first in buf.pending() and buf.dropped == 1
    assert buf.enforce_limits(T0 + timedelta(hours=2)) == 1  # age: the in-flight photo stays
    assert buf.pending() == [first]


def test_buffer_names_parse_back(tmp_path: Path) -> None:
    name = BufferedPhoto.file_name("S-1", "cam_2", T0, 17)
    (tmp_path / name).write_bytes(b"x")
    photo = BufferedPhoto.from_path(tmp_path / name)
    assert photo is not None
    assert (photo.store_id, photo.camera_id, photo.seq, photo.captured_at) == ("S-1", "cam_2", 17, T0)
    assert BufferedPhoto.from_path(tmp_path / "random.jpg") is None
