"""CountEvents leave the store like photos do: disk buffer first, then a forwarder that retries.

* :class:`CountBuffer` - one JSON file per camera minute, named ``{window_start_ms}.{camera}.{event_id}.json``
  (name order is time order), written atomically (``.tmp/``, ``fsync``, rename, ``fsync`` of the
  folder). A minute already buffered is never overwritten: the first CountEvent of a camera minute
  is the one that is sent, as downstream keeps the first of an event id.
* :class:`CountForwarder` - a thread that sends the oldest file and deletes it only once the send
  returned; on failure it waits 1 s, 2 s, 4 s ... up to ``backoff_max_s`` and tries again. A send
  that reached the hub but whose acknowledgement was lost is sent again with the same event id, and
  downstream counts an event id once (the cloud's ``relay_counts`` function with its sent marks, however
  late the copy; the job's ``LAG(event_id)`` within the hour): nothing lost, nothing doubled.
* Senders: :class:`HubCountSender` (edgeHub output ``counts``, routed to ``$upstream``; the
  message carries ``message_id`` = event id and the application property
  ``schema=footfall.count.v1`` that the IoT Hub route matches) and :class:`EventLogCountSender`
  (the local event log's ``counts`` stream, for the local stack).
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from edge_module.telemetry import Counters
from functions.contracts import CountEvent

if TYPE_CHECKING:
    from azure.iot.device import IoTHubModuleClient

log = logging.getLogger(__name__)


class CountSender(Protocol):
    """Delivers one CountEvent durably, or raises."""

    name: str

    def send(self, event: CountEvent) -> None: ...


class CountBuffer:
    """A folder of CountEvents waiting to be sent. Thread-safe."""

    def __init__(self, directory: Path, max_age_s: float) -> None:
        self.directory = Path(directory)
        self.max_age_s = max_age_s
        self._tmp = self.directory / ".tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        for leftover in self._tmp.iterdir():
            leftover.unlink(missing_ok=True)
        self._lock = threading.Lock()
        self.dropped = 0

    @staticmethod
    def file_name(event: CountEvent) -> str:
        """``{window_start_ms}.{camera}.{event_id}.json``."""
        return f"{int(event.window_start.timestamp() * 1000):013d}.{event.camera_id}.{event.event_id}.json"

    def put(self, event: CountEvent) -> bool:
        """Buffer ``event``; ``False`` when its camera minute is already buffered (kept as it was)."""
        name = self.file_name(event)
        final = self.directory / name
        with self._lock:
            if final.exists():
                return False
            tmp = self._tmp / (name + ".part")
            with open(tmp, "wb") as f:
                f.write(event.to_json().encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return True

    def pending(self) -> list[Path]:
        """The buffered files, oldest minute first."""
        return sorted(p for p in self.directory.glob("*.json") if p.is_file())

    @property
    def count(self) -> int:
        """How many CountEvents wait."""
        return len(self.pending())

    def enforce_age(self, now: datetime) -> int:
        """Drop events older than ``max_age_s`` (with a warning); returns how many."""
        cutoff_ms = (now.timestamp() - self.max_age_s) * 1000
        old = [p for p in self.pending() if int(p.name.split(".", 1)[0]) < cutoff_ms]
        for path in old:
            path.unlink(missing_ok=True)
        if old:
            self.dropped += len(old)
            log.warning("count buffer: %d CountEvent(s) older than %.0f s dropped (dropped total %d)",
                        len(old), self.max_age_s, self.dropped)
        return len(old)


class HubCountSender:
    """Sends CountEvents to the module's edgeHub output (``counts``)."""

    name = "hub"

    def __init__(self, client: IoTHubModuleClient, output: str) -> None:
        self.client = client
        self.output = output

    def send(self, event: CountEvent) -> None:
        """One message per event: JSON body, ``message_id`` = event id, ``schema`` application property."""
        from azure.iot.device import Message

        msg = Message(event.to_json(), message_id=event.event_id, content_encoding="utf-8",
                      content_type="application/json")
        msg.custom_properties["schema"] = event.schema_
        self.client.send_message_to_output(msg, self.output)


class EventLogCountSender:
    """Writes CountEvents to the local event log's ``counts`` stream (what the local stack reads)."""

    name = "event log"

    def __init__(self, directory: Path) -> None:
        from functions.sinks.local_log import LocalEventLogSink

        self.sink = LocalEventLogSink(directory, stream="counts")

    def send(self, event: CountEvent) -> None:
        """Append the event (the log itself skips an event id it already holds)."""
        self.sink.send([event])


class CountForwarder:
    """Sends buffered CountEvents oldest first; deletes each only after its send returned."""

    def __init__(self, buffer: CountBuffer, sender: CountSender | None, counters: Counters,
                 backoff_initial_s: float = 1.0, backoff_max_s: float = 60.0,
                 sleep: Callable[[float], bool] | None = None) -> None:
        self.buffer = buffer
        self.sender = sender
        self.counters = counters
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (does nothing without a sender: the events stay buffered)."""
        if self.sender is None:
            log.warning("no hub and no local event log: CountEvents stay in %s", self.buffer.directory)
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="count-forwarder", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """New events are buffered."""
        self._wake.set()

    def stop(self, drain_timeout_s: float = 0.0) -> None:
        """Wait up to ``drain_timeout_s`` for the buffer to empty, then stop the thread."""
        if self._thread is None:
            return
        deadline = threading.Event()
        timer = threading.Timer(drain_timeout_s, deadline.set)
        timer.start()
        while self.buffer.count and not deadline.is_set() and self._thread.is_alive():
            self._wake.set()
            deadline.wait(0.05)
        timer.cancel()
        self._stop.set()
        self._wake.set()
        self._thread.join(10)

    def drain_once(self) -> int:
        """Send what is buffered until a send fails; returns how many were sent."""
        sent = 0
        assert self.sender is not None
        for path in self.buffer.pending():
            try:
                event = CountEvent.from_json(path.read_bytes())
            except (OSError, ValueError):
                log.exception("count buffer: unreadable %s, set aside", path.name)
                path.rename(path.with_suffix(".bad"))
                continue
            self.sender.send(event)
            path.unlink(missing_ok=True)
            self.counters.add(counts_sent=1)
            sent += 1
        return sent

    def _loop(self) -> None:
        delay = self.backoff_initial_s
        while not self._stop.is_set():
            try:
                self.drain_once()
                delay = self.backoff_initial_s
                self._wake.wait(1.0)
                self._wake.clear()
            except Exception as exc:  # the SDK raises several unrelated types when offline
                self.counters.add(count_send_failures=1)
                wait = delay * random.uniform(0.8, 1.2)
                log.warning("CountEvent not sent (%s: %s); retrying in %.1f s", type(exc).__name__, exc, wait)
                self._stop.wait(wait)
                delay = min(delay * 2, self.backoff_max_s)
