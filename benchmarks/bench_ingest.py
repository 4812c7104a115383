"""Ingest benchmark: upload → durable event through ``UploadProcessor`` on one machine.

Starts Azurite and the real face service on loopback, then

1. paced: uploads 640×480 photos at 10 photos/s and processes each as soon as it is uploaded
   (what a trigger host does, minus its polling delay), on a small thread pool;
2. burst: as many photos as possible on the same pool, for the ceiling.

Prints latency percentiles (upload start → event fsynced and photo deleted), throughput and
checks that uploads = events + quarantined + pending. Target: p95 ≤ 1 s at 10 photos/s.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobServiceClient, ContainerClient
from PIL import Image

from footfall.azurite import Azurite
from footfall.face_process import FaceServiceProcess
from footfall.machine import load_average
from functions.face_client import FaceAnalyzer
from functions.ingest import UploadProcessor
from functions.settings import Settings
from functions.sinks.local_log import LocalEventLogSink, read_events
from functions.upload_storage import UploadStorage

REPO = Path(__file__).resolve().parent.parent

RATE = 10.0
PACED = 100
BURST = 100
THREADS = 4


def photos() -> list[bytes]:
    """640×480 JPEGs of real photos with one face and none."""
    import matplotlib.cbook
    from skimage import data

    with Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as sample:
        hopper = sample.convert("RGB")
    out = []
    samples = (Image.fromarray(data.astronaut()), hopper, Image.fromarray(data.coffee()),
               Image.fromarray(data.chelsea()))
    for img in samples:
        buf = io.BytesIO()
        img.resize((640, 480)).save(buf, format="JPEG", quality=85)
        out.append(buf.getvalue())
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(processor: UploadProcessor, uploads: ContainerClient, images: list[bytes], count: int,
        rate: float | None) -> tuple[list[float], float]:
    def one(i: int) -> float:
        name = f"S{i % 7:04d}/C01/2026/11/23/{(i // 3600) % 24:02d}{(i // 60) % 60:02d}{i % 60:02d}000-{i}.jpg"
        data = images[i % len(images)]
        started = time.perf_counter()
        etag = uploads.get_blob_client(name).upload_blob(data, overwrite=True)["etag"]
        processor.process(name, data, {}, etag)
        return time.perf_counter() - started

    t0 = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        futures = []
        for i in range(count):
            if rate:
                delay = t0 + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            futures.append(pool.submit(one, i + (0 if rate else 10_000)))
        latencies = [f.result() for f in futures]
    return latencies, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    print(f"before: {load_average()}")
    images = photos()
    with tempfile.TemporaryDirectory() as tmp, Azurite(location=Path(tmp) / "azurite") as az, \
            FaceServiceProcess() as face:
        values: dict[str, Any] = {"AzureWebJobsStorage": az.connection_string, "FOOTFALL_FACE_ENDPOINT": face.url,
                                  "FOOTFALL_LOCAL_EVENT_LOG": str(Path(tmp) / "events"), "FOOTFALL_FACE_RETRY_TOTAL": 2}
        settings = Settings(**values)
        service = BlobServiceClient.from_connection_string(az.connection_string)
        uploads = service.get_container_client("uploads")
        uploads.create_container()
        processor = UploadProcessor(settings, UploadStorage.from_settings(settings, service), FaceAnalyzer(settings),
                                    LocalEventLogSink(settings.local_event_log))
        processor.process(*_warm_up(uploads, images[0]))

        paced, paced_s = run(processor, uploads, images, PACED, RATE)
        burst, burst_s = run(processor, uploads, images, BURST, None)

        counts = processor.counters.snapshot()
        events = len(list(read_events(settings.local_event_log)))
        pending = sum(1 for _ in uploads.list_blobs())
        total = 1 + PACED + BURST
        print(f"paced {RATE:.0f}/s, {PACED} photos: p50 {statistics.median(paced) * 1000:.0f} ms, "
              f"p95 {percentile(paced, 0.95) * 1000:.0f} ms, max {max(paced) * 1000:.0f} ms "
              f"(target p95 <= 1000 ms) over {paced_s:.1f} s")
        print(f"burst, {THREADS} threads, {BURST} photos: {BURST / burst_s:.1f} photos/s, "
              f"p50 {statistics.median(burst) * 1000:.0f} ms, p95 {percentile(burst, 0.95) * 1000:.0f} ms")
        print(f"uploads {total} = events {events} + quarantined {counts.quarantined} + pending {pending}; "
              f"faces {counts.faces}, transient errors {counts.transient_errors}")
        print(f"after: {load_average()}")
        ok = total == events + counts.quarantined + pending and percentile(paced, 0.95) <= 1.0
        processor.close()
        return 0 if ok else 1


def _warm_up(uploads: ContainerClient, image: bytes) -> tuple[str, bytes, dict[str, str], str]:
    name = "S0000/C00/2026/11/23/070000000-0.jpg"
    etag = uploads.get_blob_client(name).upload_blob(image, overwrite=True)["etag"]
    return name, image, {}, etag


if __name__ == "__main__":
    os.environ.setdefault("FOOTFALL_FACE_WORKERS", "2")
    sys.exit(main())
