"""Local stack benchmark: camera upload -> Azurite -> trigger host -> analyze_upload -> event.

Everything is the real thing on loopback: Azurite, the face service, the Functions app's
``analyze_upload`` run by ``footfall host`` (polling every 0.25 s, ``host.json``'s parallelism)
and simulated camera photos (640x480, 0-6 people).

1. Paced: the simulator uploads at 10 photos/s while the host runs. Latency is from the
   moment an upload completes (the blob is visible) to the moment the function has made the
   event durable and the host has recorded it. Target: p95 <= 1 s.
2. Sustained: a backlog of photos is uploaded first, then the host drains it; photos/s is the
   backlog over the drain time: the most the stack keeps up with on this machine.

Prints the figures; exits non-zero only if a photo is lost (uploads != events + quarantined).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from footfall.azurite import Azurite
from footfall.demo import DemoPaths, count_events, function_settings
from footfall.face_process import FaceServiceProcess
from footfall.host import Outcome, Status, open_host
from footfall.machine import load_average
from footfall.simulate import BlobTarget, PlannedUpload, SimConfig, simulate
from functions.settings import Settings

REPO = Path(__file__).resolve().parent.parent

STORES_CSV = REPO / "stream_analytics" / "stores.csv"
DAY = date(2026, 11, 23)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def connection(settings: Settings) -> str:
    """The storage connection string the demo's settings point at (Azurite)."""
    assert settings.storage_connection is not None
    return settings.storage_connection.get_secret_value()


def paced(settings: Settings, paths: DemoPaths, photos: int, rate: float,
          seed: int) -> tuple[list[float], list[Outcome]]:
    """Upload ``photos`` at ``rate``/s with the host running; per-photo latencies (s) and outcomes."""
    uploaded: dict[str, float] = {}
    done: dict[str, float] = {}
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def on_upload(upload: PlannedUpload) -> None:
        with lock:
            uploaded[upload.blob_name] = time.perf_counter()

    def on_outcome(outcome: Outcome) -> None:
        with lock:
            done[outcome.blob_name] = time.perf_counter()
            outcomes.append(outcome)

    host = open_host(REPO, receipts_path=paths.receipts, on_outcome=on_outcome, settings=settings)
    stop = threading.Event()
    thread = threading.Thread(target=host.run, args=(stop,), daemon=True)
    thread.start()
    try:
        simulate(SimConfig(photos=photos, stores=8, broken=0, day=DAY, seed=seed), BlobTarget(connection(settings)),
                 STORES_CSV, rate=rate, on_upload=on_upload)
        deadline = time.monotonic() + 120
        while len(done) < photos and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
        host.close()
    return [done[name] - uploaded[name] for name in uploaded if name in done], outcomes


def sustained(settings: Settings, paths: DemoPaths, photos: int, seed: int) -> tuple[float, dict[Status, int]]:
    """Upload a backlog, then time the host draining it; returns photos/s and the outcomes."""
    simulate(SimConfig(photos=photos, stores=8, broken=0, day=DAY, seed=seed), BlobTarget(connection(settings)),
             STORES_CSV)
    outcomes: dict[Status, int] = {}

    def on_outcome(outcome: Outcome) -> None:
        outcomes[outcome.status] = outcomes.get(outcome.status, 0) + 1

    host = open_host(REPO, receipts_path=paths.receipts, on_outcome=on_outcome, settings=settings)
    started = time.perf_counter()
    try:
        host.run(until_idle=True)
    finally:
        host.close()
    return photos / (time.perf_counter() - started), outcomes


def main(argv: list[str] | None = None) -> int:
    """Run both phases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paced", type=int, default=100, help="photos in the paced phase")
    parser.add_argument("--rate", type=float, default=10.0, help="photos/s in the paced phase")
    parser.add_argument("--backlog", type=int, default=200, help="photos in the sustained phase")
    args = parser.parse_args(argv)
    print(f"before: {load_average()}")

    with tempfile.TemporaryDirectory(prefix="footfall-bench-") as tmp:
        paths = DemoPaths.under(Path(tmp))
        with Azurite(location=paths.azurite) as azurite, \
                FaceServiceProcess(log_path=Path(tmp) / "face-service.log") as face:
            settings = function_settings(paths, azurite.connection_string, face.url)
            latencies, outcomes_paced = paced(settings, paths, args.paced, args.rate, seed=1)
            rate, outcomes = sustained(settings, paths, args.backlog, seed=2)
            from functions.ingest import reset_processor

            reset_processor()
        events, faces = count_events(paths.events)

    p50, p95 = _percentile(latencies, 0.50), _percentile(latencies, 0.95)
    print("local stack (Azurite + footfall host + analyze_upload + face service), 640x480 photos, 0-6 people")
    print(f"  upload-to-event at {args.rate:g} photos/s: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms over {len(latencies)} photos "
          f"(target p95 <= 1000 ms: {'met' if p95 <= 1.0 else 'MISSED'})")
    queued = [o.queued_s for o in outcomes_paced if o.queued_s is not None]
    invoked = [o.invoke_s for o in outcomes_paced if o.invoke_s is not None]
    print(f"    of which: waiting for a worker p50 {statistics.median(queued) * 1000:.0f} ms, "
          f"download + function (face service, event log, delete) p50 {statistics.median(invoked) * 1000:.0f} ms "
          f"p95 {_percentile(invoked, 0.95) * 1000:.0f} ms; the rest is the listing poll and upload visibility")
    print(f"  max sustained: {rate:.1f} photos/s ({args.backlog}-photo backlog drained by the host)")
    print(f"  events {events} (faces {faces}) for {args.paced + args.backlog} photos; outcomes "
          + ", ".join(f"{k.value} {v}" for k, v in outcomes.items()))
    print(f"  after: {load_average()}")
    lost = len(latencies) != args.paced or events != args.paced + args.backlog
    if lost:
        print("  FAIL: photos lost or duplicated", file=sys.stderr)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
