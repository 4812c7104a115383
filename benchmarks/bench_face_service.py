"""Benchmark the face service: photos/s and latency at concurrency 1, 4 and 16, and its memory.

Starts ``python -m face_service`` on a free loopback port (workers: FOOTFALL_FACE_WORKERS, else
one per core), sends 640x480 JPEG photos with 0 to 6 faces and prints one line per concurrency.
The photos are composited from real faces in installed packages (scikit-image's astronaut and
cameraman, matplotlib's Grace Hopper; mirrored and scaled) over real backgrounds (coffee, Chelsea,
rocket, brick, grass), so the detector and the per-face models do their real work.

Usage: ``python benchmarks/bench_face_service.py [--requests N] [--url URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from footfall.face_process import FaceServiceProcess, terminate_process
from footfall.machine import load_average

QUERY = "returnFaceId=false&returnFaceAttributes=age,gender,emotion,headPose&detectionModel=detection_03"
"""What the ingest function asks for by default (functions/settings.py: face_attributes)."""
WIDTH, HEIGHT = 640, 480


def _face_sources() -> list[np.ndarray]:
    """Head-and-shoulders crops around three real faces (boxes found once with yuface)."""
    import matplotlib.cbook
    from skimage import data

    with Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as sample:
        grace = np.asarray(sample.convert("RGB"))
    camera = np.stack([data.camera()] * 3, axis=-1)
    sources = [(data.astronaut(), (178, 63, 89, 112)), (grace, (182, 121, 171, 211)), (camera, (195, 113, 60, 80))]
    crops = []
    for image, (x, y, w, h) in sources:
        mx, my = int(w * 0.45), int(h * 0.35)
        crop = image[max(0, y - my): y + h + my, max(0, x - mx): x + w + mx]
        crops += [crop, crop[:, ::-1]]
    return crops


def _backgrounds() -> list[np.ndarray]:
    from skimage import data

    imgs = [data.coffee(), data.chelsea(), data.rocket(), np.stack([data.brick()] * 3, -1),
            np.stack([data.grass()] * 3, -1)]
    return [np.asarray(Image.fromarray(i).resize((WIDTH, HEIGHT))) for i in imgs]


def build_photos(n: int = 70, seed: int = 7) -> list[tuple[bytes, int]]:
    """``n`` JPEG photos 640x480 with 0..6 faces each (uniform), with the number of faces placed."""
    rng = random.Random(seed)
    faces, backgrounds = _face_sources(), _backgrounds()
    photos = []
    for i in range(n):
        canvas = Image.fromarray(backgrounds[i % len(backgrounds)].copy())
        count = i % 7
        cells = rng.sample([(c, r) for c in range(3) for r in range(2)], count)
        for col, row in cells:
            face = Image.fromarray(np.ascontiguousarray(rng.choice(faces)))
            target_h = rng.randint(120, 220)
            face = face.resize((max(1, int(face.width * target_h / face.height)), target_h))
            cell_w, cell_h = WIDTH // 3, HEIGHT // 2
            x = col * cell_w + rng.randint(0, max(0, cell_w - face.width))
            y = row * cell_h + rng.randint(0, max(0, cell_h - face.height))
            canvas.paste(face, (x, y))
        buf = io.BytesIO()
        canvas.save(buf, format="JPEG", quality=85)
        photos.append((buf.getvalue(), count))
    return photos


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (the model workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants."""
    ticks = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (the model workers), in MB."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


async def run_level(url: str, photos: list[tuple[bytes, int]], concurrency: int, requests: int) -> dict[str, float]:
    """Send ``requests`` photos with ``concurrency`` in flight; latency and throughput."""
    latencies: list[float] = []
    found = expected = rejected = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def one() -> None:
            nonlocal found, expected, rejected
            while not queue.empty():
                data, count = photos[queue.get_nowait() % len(photos)]
                t0 = time.perf_counter()
                r = await client.post(f"/face/v1.2/detect?{QUERY}", content=data,
                                      headers={"content-type": "application/octet-stream"})
                if r.status_code == 429:
                    rejected += 1
                    await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                    continue
                r.raise_for_status()
                latencies.append(time.perf_counter() - t0)
                found += len(r.json())
                expected += count

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "photos_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "recall": found / expected if expected else 1.0,
        "rejected": rejected,
    }


def stage_profile(photos: list[tuple[bytes, int]]) -> dict[str, float]:
    """CPU milliseconds per photo for each stage, measured in this process on one thread."""
    from face_service.config import ServiceSettings
    from face_service.imaging import decode_image
    from face_service.pipeline import Analyzer
    from face_service.quality import measure
    from face_service.worker import THREAD_ENV

    os.environ.update(THREAD_ENV)  # the native thread pools pinned as in a model worker
    import cv2

    cv2.setNumThreads(1)
    analyzer = Analyzer(ServiceSettings())
    stages = dict.fromkeys(["decode", "detect", "quality", "head_pose", "age_gender", "emotion"], 0.0)
    for rep in range(2):  # the first pass warms up
        for data, _ in photos:
            t0 = time.process_time()
            image = decode_image(data)
            t1 = time.process_time()
            faces = analyzer.find_faces(image)
            t2 = time.process_time()
            for face in faces:
                measure(image, face)
            t3 = time.process_time()
            analyzer.head_pose.estimate(image, faces)
            t4 = time.process_time()
            analyzer.age_gender.estimate(image, faces)
            t5 = time.process_time()
            analyzer.emotion.classify(image, faces)
            t6 = time.process_time()
            if rep:
                for key, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True):
                    stages[key] += dt
    return {k: v / len(photos) * 1000 for k, v in stages.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="photos per concurrency level at 16 (default 600)")
    parser.add_argument("--url", default=None, help="bench a running service instead of starting one")
    args = parser.parse_args(argv)

    photos = build_photos()
    faces = sum(c for _, c in photos)
    print(f"photos: {len(photos)} distinct 640x480 JPEGs, {faces / len(photos):.1f} faces on average (0-6), "
          f"{sum(len(d) for d, _ in photos) / len(photos) / 1024:.0f} KB average")
    stages = stage_profile(photos)
    print("where the time goes (CPU ms per photo, one thread): "
          + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()) + f"; total {sum(stages.values()):.1f}")
    proc = None
    url = args.url
    if url is None:
        t0 = time.perf_counter()
        service = FaceServiceProcess().start(timeout_s=120)
        proc, url = service.proc, service.url
        print(f"service ready in {time.perf_counter() - t0:.1f} s; RSS idle {rss_mb(proc.pid):.0f} MB")
    status = httpx.get(f"{url}/status").json()
    print(f"analyzer: {status['analyzer']}; workers: {status['queue']['workers']}; cores: {os.cpu_count()}")
    print(f"before: {load_average()} (other work on the machine skews photos/s)")
    try:
        asyncio.run(run_level(url, photos, 4, 40))  # warm-up
        service_ms = 0.0
        for concurrency in (1, 4, 16):
            n = max(60, args.requests * concurrency // 16) if concurrency < 16 else args.requests
            cpu0, client0 = (cpu_s(proc.pid) if proc else 0.0), time.process_time()
            res = asyncio.run(run_level(url, photos, concurrency, n))
            client_ms = (time.process_time() - client0) / n * 1000
            mem, cpu = "", f", client CPU {client_ms:.1f} ms/photo"
            if proc:
                mem = f", RSS {rss_mb(proc.pid):.0f} MB"
                service_ms = (cpu_s(proc.pid) - cpu0) / n * 1000
                cpu = f", service CPU {service_ms:.1f} ms/photo{cpu}"
            print(f"concurrency {concurrency:>2}: {res['photos_s']:6.1f} photos/s  p50 {res['p50_ms']:6.1f} ms  "
                  f"p95 {res['p95_ms']:6.1f} ms  ({n} photos, face recall {res['recall']:.2f}, "
                  f"429s {res['rejected']}{cpu}{mem})")
        if service_ms:
            cores = len(os.sched_getaffinity(0))
            print(f"capacity if the service had all {cores} cores to itself: ~{cores * 1000 / service_ms:.0f} photos/s "
                  f"(service CPU {service_ms:.1f} ms/photo at concurrency 16, of which models "
                  f"{sum(stages.values()):.1f})")
    finally:
        if proc is not None:
            terminate_process(proc, timeout_s=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
