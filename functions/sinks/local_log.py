"""The local event log: what Event Hubs is on one machine.

A directory of append-only JSON-lines files, one stream per Stream Analytics input:
``frames-YYYYMMDD.jsonl`` (FrameEvents, from the function) and ``counts-YYYYMMDD.jsonl``
(CountEvents, from the edge module), by UTC day of writing. Each line is the event's ``to_json()``
with two fields appended, what Event Hubs would know of the event: ``EventEnqueuedUtcTime``, its
arrival time (when :meth:`send` wrote it, in Azure's 7-digit form; Stream Analytics reads it under
that name), and ``PartitionKey``, the key the sender chose (``store_id``, as
:mod:`functions.sinks.eventhub` sends and as IoT Hub keeps a device's messages together). The local
Stream Analytics engine takes its arrival times and input partitions from them. Guarantees:

* durable: the lines are written, flushed and ``fsync``-ed before :meth:`send` returns;
* no ``event_id`` twice in a stream, even with several writers: every writer takes an exclusive
  ``flock`` on ``.<stream>.lock``, catches up on what others appended since it last looked, and
  writes only unseen ids;
* readers never need the lock: a line is complete once it ends with ``\\n``. A torn last line
  (a writer died mid-write, so its ``send`` never returned) is cut off by the next writer.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from functions.contracts import CountEvent, FrameEvent
from functions.errors import TransientError

log = logging.getLogger(__name__)

Stream = Literal["frames", "counts"]
"""The streams of the log, named as the Stream Analytics inputs that read them."""
ARRIVAL_FIELD = "EventEnqueuedUtcTime"
PARTITION_FIELD = "PartitionKey"


class LogRecord(BaseModel):
    """One line of the local event log: the event and what the log adds to it."""

    model_config = ConfigDict(frozen=True)

    event: FrameEvent | CountEvent = Field(description="The event exactly as it was sent.")
    enqueued_at: datetime | None = Field(description="Arrival time (EventEnqueuedUtcTime); None in older logs.")
    partition_key: str | None = Field(description="The partition key the event was sent with; None in older logs.")

    @classmethod
    def from_line(cls, line: str | bytes, model: type[FrameEvent] | type[CountEvent] = FrameEvent) -> LogRecord:
        """Parse one log line of a stream whose events are ``model``."""
        data = json.loads(line)
        enqueued = data.pop(ARRIVAL_FIELD, None)
        key = data.pop(PARTITION_FIELD, None)
        return cls(event=model.model_validate(data), enqueued_at=enqueued, partition_key=key)


class LoggedEvent(Protocol):
    """What the log stores: an event with an id, a store and its JSON."""

    @property
    def event_id(self) -> str: ...

    @property
    def store_id(self) -> str: ...

    def to_json(self) -> str: ...


E = TypeVar("E", FrameEvent, CountEvent)
STREAM_MODELS: dict[str, type[FrameEvent] | type[CountEvent]] = {"frames": FrameEvent, "counts": CountEvent}


def enqueued_text(now: datetime) -> str:
    """An arrival time as Azure writes datetimes: ``2026-11-23T08:00:00.1234560Z``."""
    now = now.astimezone(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}0Z"


def log_line(event: LoggedEvent, enqueued_at: datetime) -> str:
    """The log line of ``event`` arriving at ``enqueued_at`` (partitioned by its store)."""
    extra = json.dumps({ARRIVAL_FIELD: enqueued_text(enqueued_at), PARTITION_FIELD: event.store_id},
                       separators=(",", ":"))
    return event.to_json()[:-1] + "," + extra[1:] + "\n"


def file_glob(stream: Stream = "frames") -> str:
    """The files of one stream: ``frames-*.jsonl``."""
    return f"{stream}-*.jsonl"


def daily_file_name(now: datetime, stream: Stream = "frames") -> str:
    """``<stream>-YYYYMMDD.jsonl`` for the UTC day of ``now``."""
    return f"{stream}-{now.astimezone(UTC):%Y%m%d}.jsonl"


class LocalEventLogSink:
    """Appends events to one stream of the local event log directory, once per ``event_id``."""

    def __init__(self, directory: Path, clock: Callable[[], datetime] | None = None, stream: Stream = "frames") -> None:
        self.stream: Stream = stream
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._offsets: dict[str, int] = {}  # file name -> bytes already indexed
        self._seen: set[bytes] = set()  # event ids (as raw bytes, to keep the index small)
        self.duplicates_skipped = 0
        self._thread_lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """This process's threads one at a time, then other processes through ``flock``."""
        with self._thread_lock, open(self.directory / f".{self.stream}.lock", "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def probe(self) -> None:
        """Raise :class:`TransientError` unless the log directory can be written now."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(self.directory / f".{self.stream}.lock", "a+b"):
                pass
        except OSError as exc:
            raise TransientError("local event log", f"{self.directory}: {exc}") from exc

    def send(self, events: Sequence[LoggedEvent]) -> int:
        """Append the events not yet in the log; return how many were written."""
        with self._locked():
            self._catch_up()
            now = self._clock()
            lines: list[str] = []
            fresh: set[bytes] = set()
            for event in events:
                key = _id_key(event.event_id)
                if key in self._seen or key in fresh:
                    self.duplicates_skipped += 1
                    continue
                fresh.add(key)
                lines.append(log_line(event, now))
            if lines:
                try:
                    self._append(daily_file_name(now, self.stream), "".join(lines).encode("utf-8"))
                except OSError as exc:
                    raise TransientError("local event log", f"{type(exc).__name__}: {exc}") from exc
                self._seen |= fresh  # only once durable: a failed write is retried, not skipped
        return len(lines)

    def _catch_up(self) -> None:
        """Index lines others appended since we last looked; cut torn tails (we hold the lock)."""
        for path in sorted(self.directory.glob(file_glob(self.stream))):
            start = self._offsets.get(path.name, 0)
            with open(path, "rb") as f:
                f.seek(start)
                chunk = f.read()
            end = chunk.rfind(b"\n") + 1  # bytes of complete lines
            for line in chunk[:end].splitlines():
                try:
                    self._seen.add(_id_key(json.loads(line)["event_id"]))
                except (ValueError, KeyError, TypeError):
                    log.warning("local event log %s: skipping an unreadable line", path.name)
            if end < len(chunk):
                log.warning("local event log %s: cutting a torn last line of %d bytes", path.name, len(chunk) - end)
                os.truncate(path, start + end)
            self._offsets[path.name] = start + end

    def _append(self, name: str, payload: bytes) -> None:
        """Append and fsync; on any failure roll the file back so the retry starts clean."""
        path = self.directory / name
        created = not path.exists()
        before = self._offsets.get(name, 0)
        try:
            with open(path, "ab") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            if created:
                _fsync_dir(self.directory)
        except OSError:
            try:
                os.truncate(path, before)
            except OSError:
                log.exception("local event log %s: could not roll back a failed append", name)
            raise
        self._offsets[name] = before + len(payload)

    def close(self) -> None:
        """Nothing stays open between sends."""


def _id_key(event_id: str) -> bytes:
    try:
        return bytes.fromhex(event_id)
    except ValueError:
        return event_id.encode()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_records(directory: Path, stream: Stream = "frames") -> Iterator[LogRecord]:
    """Every complete line of one stream of the log, file by file, in the order written."""
    model = STREAM_MODELS[stream]
    for path in sorted(Path(directory).glob(file_glob(stream))):
        data = path.read_bytes()
        for line in data[: data.rfind(b"\n") + 1].splitlines():
            yield LogRecord.from_line(line, model)


def read_stream(directory: Path, model: type[E], stream: Stream) -> Iterator[E]:
    """Every complete event of one stream, as ``model``, file by file."""
    for record in read_records(directory, stream):
        assert isinstance(record.event, model)
        yield record.event


def read_events(directory: Path) -> Iterator[FrameEvent]:
    """Every complete FrameEvent in the log, file by file (for tests and tools)."""
    yield from read_stream(directory, FrameEvent, "frames")


def read_counts(directory: Path) -> Iterator[CountEvent]:
    """Every complete CountEvent in the log, file by file."""
    yield from read_stream(directory, CountEvent, "counts")
