"""The local event log: exact JSON lines, durable before send returns, each event_id once, two writers safe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ingest_helpers import make_settings

from functions.contracts import FrameEvent
from functions.errors import TransientError
from functions.sinks import EventSink, create_sink
from functions.sinks.local_log import LocalEventLogSink, LogRecord, read_events, read_records

REPO_ROOT = Path(__file__).resolve().parents[3]


def event(n: int, store: str = "S0001") -> FrameEvent:
    ts = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    return FrameEvent(event_id=f"{n:032x}", captured_at=ts, store_id=store, camera_id="C01", kind="frame", face_count=0,
                      faces=[], analyzer="face-service/1.0", processed_at=ts)


def lines(directory: Path) -> list[str]:
    return [line for p in sorted(directory.glob("frames-*.jsonl")) for line in p.read_text().splitlines()]


def test_it_is_an_event_sink_chosen_by_settings(tmp_path: Path) -> None:
    sink = create_sink(make_settings(FOOTFALL_EVENT_SINK="local", FOOTFALL_LOCAL_EVENT_LOG=str(tmp_path / "ev")))
    assert isinstance(sink, LocalEventLogSink) and isinstance(sink, EventSink)
    assert sink.directory == tmp_path / "ev" and sink.directory.is_dir()


def test_each_line_is_the_event_json_with_its_arrival_time_and_partition_key(tmp_path: Path) -> None:
    """What Event Hubs would know of the event: when it arrived and which key it was sent with."""
    arrived = datetime(2026, 11, 23, 23, 59, 0, 123456, tzinfo=UTC)
    sink = LocalEventLogSink(tmp_path, clock=lambda: arrived)
    assert sink.send([event(1), event(2, store="S0002")]) == 2
    written = (tmp_path / "frames-20261123.jsonl").read_text().splitlines()
    for line, sent in zip(written, (event(1), event(2, store="S0002")), strict=True):
        assert line.startswith(sent.to_json()[:-1] + ",")
        assert json.loads(line) == {**json.loads(sent.to_json()),
                                    "EventEnqueuedUtcTime": "2026-11-23T23:59:00.1234560Z",
                                    "PartitionKey": sent.store_id}
    assert list(read_events(tmp_path)) == [event(1), event(2, store="S0002")]
    records = read_records(tmp_path)
    assert [(r.enqueued_at, r.partition_key) for r in records] == [(arrived, "S0001"), (arrived, "S0002")]


def test_a_new_utc_day_starts_a_new_file(tmp_path: Path) -> None:
    now = [datetime(2026, 11, 23, 23, 59, tzinfo=UTC)]
    sink = LocalEventLogSink(tmp_path, clock=lambda: now[0])
    sink.send([event(1)])
    now[0] = datetime(2026, 11, 24, 0, 1, tzinfo=UTC)
    sink.send([event(2)])
    assert sorted(p.name for p in tmp_path.glob("frames-*.jsonl")) == ["frames-20261123.jsonl", "frames-20261124.jsonl"]


def test_an_event_id_is_written_once_even_when_sent_again(tmp_path: Path) -> None:
    sink = LocalEventLogSink(tmp_path)
    assert sink.send([event(1), event(1)]) == 1
    assert sink.send([event(1), event(2)]) == 1
    assert sink.duplicates_skipped == 2
    assert [json.loads(x)["event_id"] for x in lines(tmp_path)] == [event(1).event_id, event(2).event_id]


def test_a_second_writer_sees_what_the_first_already_wrote(tmp_path: Path) -> None:
    LocalEventLogSink(tmp_path).send([event(1)])
    late = LocalEventLogSink(tmp_path)  # e.g. the host restarted, or a second host
    assert late.send([event(1), event(3)]) == 1
    assert len(lines(tmp_path)) == 2


def test_the_data_is_fsynced_before_send_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    LocalEventLogSink(tmp_path).send([event(1)])
    size = (tmp_path / next(p.name for p in tmp_path.glob("frames-*.jsonl"))).stat().st_size
    assert size in synced  # the file, with the event in it, was fsynced (and the directory too)


def test_a_torn_last_line_from_a_crashed_writer_is_cut_before_appending(tmp_path: Path) -> None:
    LocalEventLogSink(tmp_path).send([event(1)])
    (path,) = tmp_path.glob("frames-*.jsonl")
    with path.open("ab") as f:
        f.write(event(2).to_json().encode()[:40])  # died mid-write: its send never returned
    sink = LocalEventLogSink(tmp_path)
    assert sink.send([event(2)]) == 1  # not mistaken for already written
    assert [LogRecord.from_line(x).event for x in lines(tmp_path)] == [event(1), event(2)]


def test_a_failed_write_is_transient_and_the_event_is_not_marked_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = LocalEventLogSink(tmp_path)

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(TransientError, match="local event log"):
        sink.send([event(1)])
    monkeypatch.undo()
    assert sink.send([event(1)]) == 1  # the retry writes it


WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from pathlib import Path
    from functions.contracts import FrameEvent
    from functions.sinks.local_log import LocalEventLogSink

    directory, start = Path(sys.argv[1]), int(sys.argv[2])
    ts = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    sink = LocalEventLogSink(directory)
    for n in range(start, start + 300):  # overlaps the other writer on 150 ids
        e = FrameEvent(event_id=f"{n:032x}", captured_at=ts, store_id="S0001", camera_id="C01", kind="frame",
                       face_count=0, faces=[], analyzer="face-service/1.0", processed_at=ts)
        sink.send([e])
""")


def test_two_processes_appending_at_once_write_every_id_exactly_once(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(start)], env=env)
               for start in (0, 150)]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]

    ids = [json.loads(line)["event_id"] for line in lines(tmp_path)]
    assert len(ids) == len(set(ids)) == 450
    assert set(ids) == {f"{n:032x}" for n in range(450)}


def test_threads_sharing_one_sink_write_every_id_exactly_once(tmp_path: Path) -> None:
    import threading

    sink = LocalEventLogSink(tmp_path)
    threads = [threading.Thread(target=lambda s=start: [sink.send([event(n)]) for n in range(s, s + 100)])
               for start in (0, 50, 100, 150)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [json.loads(line)["event_id"] for line in lines(tmp_path)]
    assert len(ids) == len(set(ids)) == 250
    assert sink.duplicates_skipped == 150
