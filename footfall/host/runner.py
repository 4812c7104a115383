"""The polling loop: list the trigger's container, invoke the function for new blob versions.

In Azure the function's trigger uses the Event Grid source (``source=EventGrid``): Blob Storage
pushes a ``BlobCreated`` event and the host invokes at once. Azurite emits no Event Grid
events, so locally the host polls the container (every ``poll_interval_s``), which is what the
classic blob trigger does too. Everything else follows the Functions host: the same
registered function and binding, receipts keyed by blob name and etag, the ``host.json``
retry policy, ``functionTimeout``, several blobs in flight at once, the app's timer functions
on their schedules, and the poison semantics of the blob trigger: after the last attempt the
Functions host writes a message to the ``webjobs-blobtrigger-poison`` queue and never invokes
that blob version again, while the blob stays in its container. Here the receipt says
``poisoned`` and the blob stays too; a new version of it (the re-drive writes one) is a new blob
to process.

An invocation that outlives ``functionTimeout`` counts as a failed attempt (``TimeoutError``) and
its slot is freed; Python cannot stop a thread, so its work runs on unobserved until it returns
(the Functions host would recycle the worker process).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import azure.functions as func
from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient
from pydantic import BaseModel, Field

from footfall.host.binding import BlobTriggeredFunction, TimerTriggeredFunction, input_stream
from footfall.host.config import HostConfig
from footfall.host.listing import ResilientLister
from footfall.host.receipts import ReceiptDatabase, Status

log = logging.getLogger("footfall.host")


class HostCounters(BaseModel):
    """What the host has done in this run (receipts hold the history across runs)."""

    seen: int = 0
    succeeded: int = 0
    quarantined: int = 0
    retried: int = 0
    poisoned: int = 0
    gone: int = 0
    pending: int = 0


class Outcome(BaseModel):
    """The end of one blob version's processing, reported to ``on_outcome``."""

    blob_name: str
    etag: str
    status: Status
    attempts: int
    error: str | None = None
    queued_s: float | None = Field(default=None, description="Listed -> last attempt started (pool wait).")
    invoke_s: float | None = Field(default=None, description="Download + function call of the last attempt.")


class _Timer:
    """A timer function and when it is due next (NCRONTAB, seconds first, as the Functions host reads it)."""

    def __init__(self, function: TimerTriggeredFunction, now: datetime) -> None:
        from croniter import croniter

        self.function = function
        self._schedule = croniter(function.schedule, now, second_at_beginning=True, ret_type=datetime)
        self.due: datetime = self._schedule.get_next(datetime)
        self.thread: threading.Thread | None = None
        self.runs = 0

    def advance(self, now: datetime) -> bool:
        """Move past every occurrence up to ``now``; returns whether more than one was missed (past due)."""
        missed = 0
        while self.due <= now:
            self.due = self._schedule.get_next(datetime)
            missed += 1
        return missed > 1


class TriggerHost:
    """Invokes a blob-triggered function for each new blob version in its container."""

    def __init__(
        self,
        config: HostConfig,
        function: BlobTriggeredFunction,
        client: BlobServiceClient,
        on_outcome: Callable[[Outcome], None] | None = None,
        timers: list[TimerTriggeredFunction] | None = None,
    ) -> None:
        self.config = config
        self.function = function
        self.client = client
        self.container = client.get_container_client(function.container)
        self.lister = ResilientLister(self.container)
        self.receipts = ReceiptDatabase(config.receipts_path)
        self.counters = HostCounters()
        self.on_outcome = on_outcome
        self._lock = threading.Lock()
        self._in_flight: dict[tuple[str, str], Future[None]] = {}
        self._retry_at: dict[tuple[str, str], float] = {}
        self._seen: set[tuple[str, str]] = set()
        self._reconciled = False
        self._timing = threading.local()  # (listed, attempt started) of the worker's current blob
        self._pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="footfall-host")
        now = datetime.now(UTC)
        self.timers = [_Timer(t, now) for t in timers or []]

    # -- the loop -------------------------------------------------------------------------

    def poll_once(self) -> int:
        """List the container once and start every eligible blob version; returns how many started."""
        started = 0
        now = time.monotonic()
        items = [item for item in self.lister.blobs(self.function.blob_prefix or None)
                 if self.function.matches(item.name)]
        if not self._reconciled:
            self._reconcile({(item.name, item.etag) for item in items})
        for item in items:
            key = (item.name, item.etag)
            with self._lock:
                if key in self._in_flight or self._retry_at.get(key, 0.0) > now:
                    continue
            receipt = self.receipts.get(*key)
            if receipt is not None and receipt.status.terminal:
                continue
            with self._lock:
                if key not in self._seen:
                    self._seen.add(key)
                    self.counters.seen += 1
                self._retry_at.pop(key, None)
                self._in_flight[key] = self._pool.submit(self._process, item.name, item.etag, time.perf_counter())
                self._update_pending()
            started += 1
        return started

    def _reconcile(self, listed: set[tuple[str, str]]) -> None:
        """At start-up, close the receipts of blob versions that vanished while no host ran.

        A host killed after the function finished (event sent, blob deleted) but before the
        receipt was written leaves a ``running`` receipt for a blob that no longer exists.
        """
        for receipt in self.receipts.all():
            if not receipt.status.terminal and (receipt.blob_name, receipt.etag) not in listed:
                self.receipts.finish(receipt.blob_name, receipt.etag, Status.GONE,
                                     "no longer in the container at start-up: finished before the restart, or deleted")
        self._reconciled = True

    @property
    def busy(self) -> bool:
        """Whether any blob is in flight or waiting for a retry."""
        with self._lock:
            return bool(self._in_flight or self._retry_at)

    def run(self, stop: threading.Event | None = None, until_idle: bool = False) -> HostCounters:
        """Poll until ``stop`` is set (or, with ``until_idle``, until nothing is left to do).

        On stop, blobs already in flight finish; nothing new starts.
        """
        stop = stop or threading.Event()
        while not stop.is_set():
            self._run_due_timers()
            try:
                started = self.poll_once()
            except Exception as exc:  # storage briefly unreachable: keep polling, like the host
                log.warning("listing %s failed: %s", self.function.container, exc)
                started = -1
            if until_idle and started == 0 and not self.busy:
                break
            stop.wait(self.config.poll_interval_s)
        self.drain()
        return self.counters

    def _run_due_timers(self) -> None:
        """Start each timer function that is due, unless its previous run is still going (a singleton,
        as in the Functions host)."""
        now = datetime.now(UTC)
        for timer in self.timers:
            if timer.due > now:
                continue
            past_due = timer.advance(now)
            if timer.thread is not None and timer.thread.is_alive():
                continue
            timer.thread = threading.Thread(target=self._run_timer, args=(timer, past_due), daemon=True,
                                            name=f"footfall-timer-{timer.function.name}")
            timer.thread.start()

    def _run_timer(self, timer: _Timer, past_due: bool) -> None:
        try:
            timer.function.invoke(past_due=past_due)
        except Exception:  # a failed timer run is logged; the next one comes on schedule
            log.exception("timer function %s failed", timer.function.name)
        finally:
            timer.runs += 1

    def drain(self) -> None:
        """Wait for every blob in flight."""
        while True:
            with self._lock:
                futures = list(self._in_flight.values())
            if not futures:
                return
            for f in futures:
                f.result()

    def close(self) -> None:
        """Finish the blobs in flight and release the pool and the receipts file."""
        self.drain()
        for timer in self.timers:
            if timer.thread is not None:
                timer.thread.join()
        self._pool.shutdown(wait=True)
        self.receipts.close()

    # -- one blob -------------------------------------------------------------------------

    def _process(self, name: str, etag: str, listed: float) -> None:
        key = (name, etag)
        self._timing.value = (listed, time.perf_counter())
        try:
            self._attempt(name, etag)
        except Exception:  # never let a worker die silently
            log.exception("internal error processing %s", name)
        finally:
            with self._lock:
                self._in_flight.pop(key, None)
                self._update_pending()

    def _attempt(self, name: str, etag: str) -> None:
        policy = self.config.retry
        blob = self.container.get_blob_client(name)
        prior = self.receipts.get(name, etag)
        if prior is not None and prior.attempts >= policy.max_attempts:
            # Every attempt was used up (e.g. the blob kept killing the host): straight to poison.
            self._poison(name, etag, prior.attempts, prior.last_error or "attempts exhausted")
            return
        attempt = self.receipts.start_attempt(name, etag)
        try:
            downloader = blob.download_blob(etag=etag, match_condition=MatchConditions.IfNotModified)
            data = downloader.readall()
        except (ResourceNotFoundError, ResourceModifiedError):
            self._finish(name, etag, Status.GONE, attempt, "deleted or overwritten before it was read")
            return
        stream = input_stream(self.function.container, blob.url, downloader.properties, data)
        started = datetime.now(UTC)
        try:
            self._invoke_with_timeout(stream)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if attempt >= policy.max_attempts:
                self._poison(name, etag, attempt, error)
                return
            delay = policy.delay_before_retry(attempt)
            log.warning("%s attempt %d/%d failed (%s); retry in %.1f s",
                        name, attempt, policy.max_attempts, error, delay)
            self.receipts.finish(name, etag, Status.FAILED, error)
            with self._lock:
                self.counters.retried += 1
                self._retry_at[(name, etag)] = time.monotonic() + delay
            return
        status = Status.QUARANTINED if self._was_quarantined(name, started) else Status.SUCCEEDED
        self._finish(name, etag, status, attempt)

    def _invoke_with_timeout(self, stream: func.InputStream) -> None:
        """Invoke the function; past ``functionTimeout`` raise ``TimeoutError`` and stop waiting."""
        timeout = self.config.function_timeout_s
        if timeout is None:
            self.function.invoke(stream)
            return
        failure: list[BaseException] = []

        def call() -> None:
            try:
                self.function.invoke(stream)
            except BaseException as exc:  # handed to the waiting worker
                failure.append(exc)

        worker = threading.Thread(target=call, daemon=True, name="footfall-invocation")
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise TimeoutError(f"Timeout value of {timeout:g} s (functionTimeout) was exceeded by function "
                               f"{self.function.name}")
        if failure:
            raise failure[0]

    def _was_quarantined(self, name: str, since: datetime) -> bool:
        """Whether the function moved the blob to the quarantine container during this invocation."""
        try:
            props = self.client.get_blob_client(self.config.quarantine_container, name).get_blob_properties()
        except ResourceNotFoundError:
            return False
        return props.last_modified is not None and props.last_modified >= since - timedelta(seconds=2)

    def _poison(self, name: str, etag: str, attempts: int, error: str) -> None:
        """The last attempt failed: like the Functions host, never invoke this version again and leave
        the blob where it is (Azure: a message on ``webjobs-blobtrigger-poison``; here: the receipt)."""
        log.error("%r poisoned after %d attempts: %s; it stays in %s (a new version, e.g. from the re-drive, "
                  "is processed again)", name, attempts, error, self.function.container)
        self._finish(name, etag, Status.POISONED, attempts, error)

    def _finish(self, name: str, etag: str, status: Status, attempts: int, error: str | None = None) -> None:
        self.receipts.finish(name, etag, status, error)
        with self._lock:
            field = {Status.SUCCEEDED: "succeeded", Status.QUARANTINED: "quarantined",
                     Status.POISONED: "poisoned", Status.GONE: "gone"}[status]
            setattr(self.counters, field, getattr(self.counters, field) + 1)
        if self.on_outcome is not None:
            listed, begun = getattr(self._timing, "value", (None, None))
            now = time.perf_counter()
            self.on_outcome(Outcome(
                blob_name=name, etag=etag, status=status, attempts=attempts, error=error,
                queued_s=None if listed is None else begun - listed, invoke_s=None if begun is None else now - begun,
            ))

    def _update_pending(self) -> None:
        """Caller holds the lock."""
        self.counters.pending = len(set(self._in_flight) | set(self._retry_at))
