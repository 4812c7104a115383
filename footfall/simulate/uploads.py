"""Upload a simulated day: plan it (:mod:`.plan`), render each photo (:mod:`.scene`) and send it to a
target (:mod:`.targets`), at a steady rate or as fast as possible."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from footfall.simulate.plan import Manifest, PlannedUpload, SimConfig, plan_day
from footfall.simulate.scene import render
from footfall.simulate.stores import DEFAULT_STORES_CSV, load_stores, pick_stores
from footfall.simulate.targets import UploadTarget


def render_upload(upload: PlannedUpload) -> bytes:
    """The bytes a camera sends for one planned upload (deterministic for the plan)."""
    if upload.kind == "corrupt":  # a JPEG start marker, then garbage: an interrupted transfer
        noise = np.random.default_rng(upload.render_seed).integers(0, 256, size=4096, dtype=np.uint8)
        return b"\xff\xd8\xff\xe0" + noise.tobytes()
    return render(upload.render_seed, upload.background_seed, upload.people, upload.faces_visible, upload.brightness)


def simulate(
    config: SimConfig,
    target: UploadTarget,
    stores_csv: Path = DEFAULT_STORES_CSV,
    *,
    workers: int = 4,
    rate: float | None = None,
    on_upload: Callable[[PlannedUpload], object] | None = None,
    stop: threading.Event | None = None,
) -> Manifest:
    """Plan the day, render every photo and upload it; returns the manifest.

    ``rate`` paces uploads at that many photos per second (in capture order); ``None`` uploads
    as fast as ``workers`` threads can. Setting ``stop`` skips the uploads not yet sent.
    """
    manifest = plan_day(config, pick_stores(load_stores(stores_csv), config.stores))
    started = time.monotonic()
    gate = threading.Lock()
    next_slot = [0]

    cancelled = threading.Event()

    def send(upload: PlannedUpload) -> None:
        if cancelled.is_set() or (stop is not None and stop.is_set()):
            return
        data = render_upload(upload)
        if rate:
            with gate:
                slot = next_slot[0]
                next_slot[0] += 1
            delay = started + slot / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        target.put(upload.blob_name, data, upload.metadata)
        if on_upload is not None:
            on_upload(upload)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="footfall-camera")
    try:
        for future in [pool.submit(send, u) for u in manifest.uploads]:
            future.result()
    except BaseException:  # Ctrl-C or a failed upload: drop what is queued, finish what runs
        cancelled.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return manifest
