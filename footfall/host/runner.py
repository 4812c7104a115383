"""The polling loop: list the trigger's container, invoke the function for new blob versions.

In Azure the function's trigger uses the Event Grid source (``source=EventGrid``): Blob Storage
pushes a ``BlobCreated`` event and the host invokes at once. Azurite emits no Event Grid
events, so locally the host polls the container (every ``poll_interval_s``), which is what the
classic blob trigger does too. Everything else follows the Functions host: the same
registered function and binding, receipts keyed by blob name and etag, the ``host.json``
retry policy, a poison path after the last retry, and several blobs in flight at once.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Callable

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient
from pydantic import BaseModel, Field

from footfall.host.binding import BlobTriggeredFunction, input_stream
from footfall.host.config import HostConfig
from footfall.host.listing import ResilientLister
from footfall.host.receipts import ReceiptStore, Status

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


def _header_safe(text: str, limit: int = 240) -> str:
    """Blob metadata values are HTTP header values: printable ASCII only."""
    return re.sub(r"[^A-Za-z0-9 .,:;_()/=+-]", "_", text)[:limit]


class TriggerHost:
    """Invokes a blob-triggered function for each new blob version in its container."""

    def __init__(
        self,
        config: HostConfig,
        function: BlobTriggeredFunction,
        client: BlobServiceClient,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.config = config
        self.function = function
        self.client = client
        self.container = client.get_container_client(function.container)
        self.lister = ResilientLister(self.container)
        self.receipts = ReceiptStore(config.receipts_path)
        self.counters = HostCounters()
        self.on_outcome = on_outcome
        self._lock = threading.Lock()
        self._in_flight: dict[tuple[str, str], Future[None]] = {}
        self._retry_at: dict[tuple[str, str], float] = {}
        self._seen: set[tuple[str, str]] = set()
        self._reconciled = False
        self._timing = threading.local()  # (listed, attempt started) of the worker's current blob
        self._pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="footfall-host")

    # -- the loop -------------------------------------------------------------------------

    def poll_once(self) -> int:
        """List the container once and start every eligible blob version; returns how many started."""
        started = 0
        now = time.monotonic()
        items = [item for item in self.lister.list(self.function.blob_prefix or None)
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
        started = datetime.now(timezone.utc)
        try:
            self.function.invoke(stream)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if attempt >= policy.max_attempts:
                self._poison(name, etag, attempt, error, data=data, metadata=downloader.properties.metadata)
                return
            delay = policy.delay_before_retry(attempt)
            log.warning("%s attempt %d/%d failed (%s); retry in %.1f s", name, attempt, policy.max_attempts, error, delay)
            self.receipts.finish(name, etag, Status.FAILED, error)
            with self._lock:
                self.counters.retried += 1
                self._retry_at[(name, etag)] = time.monotonic() + delay
            return
        status = Status.QUARANTINED if self._was_quarantined(name, started) else Status.SUCCEEDED
        self._finish(name, etag, status, attempt)

    def _was_quarantined(self, name: str, since: datetime) -> bool:
        """Whether the function moved the blob to the quarantine container during this invocation."""
        try:
            props = self.client.get_blob_client(self.config.quarantine_container, name).get_blob_properties()
        except ResourceNotFoundError:
            return False
        return props.last_modified is not None and props.last_modified >= since - timedelta(seconds=2)

    def _poison(self, name: str, etag: str, attempts: int, error: str,
                data: bytes | None = None, metadata: dict[str, str] | None = None) -> None:
        """Move the blob to the poison container with ``reason=poison`` (the host's poison queue)."""
        source = self.container.get_blob_client(name)
        try:
            if data is None:
                downloader = source.download_blob(etag=etag, match_condition=MatchConditions.IfNotModified)
                data, metadata = downloader.readall(), downloader.properties.metadata
            poison_meta = {
                **(metadata or {}), "reason": "poison", "attempts": str(attempts),
                "error": _header_safe(error), "function": self.function.name,
            }
            target = self.client.get_container_client(self.config.poison_container)
            try:
                target.create_container()
            except ResourceExistsError:
                pass
            target.upload_blob(name, data, overwrite=True, metadata=poison_meta)
            source.delete_blob(etag=etag, match_condition=MatchConditions.IfNotModified)
        except (ResourceNotFoundError, ResourceModifiedError):
            pass  # already moved or replaced: the receipt below still closes this version
        log.error("%s poisoned after %d attempts: %s", name, attempts, error)
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
