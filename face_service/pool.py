"""The bounded work queue in front of the model worker processes.

At most ``capacity`` requests are admitted at once (one running per worker plus
``queue_per_worker`` waiting per worker); the next one is refused at once with 429 and
``Retry-After``, so a burst never piles up unbounded memory or latency. Admission comes before
the body is read (:meth:`WorkerPool.admit`), so refused requests cost no body buffer, and a slot
stays taken until its worker has finished, even when the caller gave up waiting (a deadline).
The event loop only parses HTTP and moves bytes: decoding and all model work happen in the workers.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from face_service import errors, worker
from face_service.config import ServiceSettings
from face_service.schemas import ModelInfo, QueueStatus, analyzer_id

log = logging.getLogger("face_service")


class WorkerPool:
    """Worker processes, each with its own models, behind an admission counter."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.capacity = settings.queue_capacity
        self.in_flight = 0
        self.rejected_total = 0
        self.models: list[ModelInfo] = []
        self.ready = False
        self.error: str | None = None
        self._executor: ProcessPoolExecutor | None = None

    @property
    def analyzer(self) -> str:
        """The workers' analyzer id (:func:`~face_service.schemas.analyzer_id` of :attr:`models`)."""
        return analyzer_id(self.models)

    def _new_executor(self) -> ProcessPoolExecutor:
        settings_json = self.settings.model_dump_json(exclude={"service_key", "auth_required"})
        return ProcessPoolExecutor(
            max_workers=self.settings.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=worker.init_worker, initargs=(settings_json,),
        )

    async def start(self) -> None:
        """Start the workers and wait until every one has loaded its models."""
        try:
            self._executor = self._new_executor()
            loop = asyncio.get_running_loop()
            seen: set[int] = set()
            models: list[ModelInfo] = []
            while len(seen) < self.settings.workers:
                calls = [loop.run_in_executor(self._executor, worker.describe) for _ in range(self.settings.workers)]
                for info in await asyncio.gather(*calls):
                    seen.add(info.pid)
                    models = info.models
            self.models = models
            self.error = None
            self.ready = True
            log.info("face service ready: %d workers, %s", len(seen), self.analyzer)
        except Exception as exc:  # a broken model install must show in /status, not hang it
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("face service workers failed to start")

    def status(self) -> QueueStatus:
        """The queue's current state."""
        return QueueStatus(
            in_flight=self.in_flight, capacity=self.capacity, workers=self.settings.workers,
            rejected_total=self.rejected_total,
        )

    def admit(self) -> Slot:
        """Take a place in the queue, or refuse at once: 503 while the models load, 429 when full."""
        if self.error is not None and not self.ready:
            raise errors.FaceApiError(503, "ServiceUnavailable", f"The models failed to load: {self.error}")
        if not self.ready or self._executor is None:
            raise errors.FaceApiError(
                503, "ServiceUnavailable", "The models are still loading. Try again shortly.",
                headers={"Retry-After": str(self.settings.retry_after_s)},
            )
        if self.in_flight >= self.capacity:
            self.rejected_total += 1
            raise errors.rate_limited(self.settings.retry_after_s)
        self.in_flight += 1
        return Slot(self)

    async def detect(self, data: bytes, attributes: tuple[str, ...], landmarks: bool) -> worker.WorkResult:
        """Admit and run one photo (see :meth:`admit` and :meth:`Slot.run`)."""
        slot = self.admit()
        try:
            return await slot.run(data, attributes, landmarks)
        finally:
            slot.release()

    async def _restart(self, broken: ProcessPoolExecutor) -> None:
        if self._executor is not broken:
            return  # another request already restarted it
        self.ready = False
        broken.shutdown(wait=False, cancel_futures=True)
        await self.start()

    def close(self) -> None:
        """Stop the workers."""
        self.ready = False
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


class Slot:
    """One admitted request's place in the queue. Released once: by :meth:`release` if the request
    never reached a worker, else when the worker finishes (not when a caller stops waiting)."""

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self._held = True
        self._running = False

    def _free(self) -> None:
        if self._held:
            self._held = False
            self._pool.in_flight -= 1

    def _done(self, future: asyncio.Future[worker.WorkResult]) -> None:
        if not future.cancelled():
            future.exception()  # retrieved here too, in case the caller stopped waiting
        self._free()

    def release(self) -> None:
        """Give the place back, unless a worker is running this request (then it frees it when done)."""
        if not self._running:
            self._free()

    async def run(self, data: bytes, attributes: tuple[str, ...], landmarks: bool) -> worker.WorkResult:
        """Run the photo on a worker; a worker crash answers 500 and restarts the pool."""
        pool = self._pool
        executor = pool._executor
        if executor is None or not pool.ready:
            raise errors.FaceApiError(503, "ServiceUnavailable", "The models are restarting. Try again shortly.",
                                      headers={"Retry-After": str(pool.settings.retry_after_s)})
        try:
            future = asyncio.get_running_loop().run_in_executor(executor, worker.detect, data, attributes, landmarks)
        except BrokenProcessPool:
            future = None
        if future is not None:
            self._running = True
            future.add_done_callback(self._done)
            try:
                # shield: a caller's deadline stops the waiting, not the bookkeeping of the running job
                return await asyncio.shield(future)
            except BrokenProcessPool:
                pass
        log.error("a model worker died; restarting the pool")
        await pool._restart(executor)
        raise errors.FaceApiError(
            500, "InternalServerError", "The image could not be processed (a model worker crashed).",
        )
