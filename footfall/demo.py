"""``footfall demo``: the whole pipeline on one machine.

1. Azurite (data in ``<state>/azurite``) and the face service start on loopback ports.
2. The camera simulator uploads a day for several stores (a visit crop per visitor from each
   entrance camera, whole frames from another camera) while the local trigger host runs
   ``analyze_upload`` on each photo (two progress bars: uploads and processing). Every simulated
   visitor is then filmed walking in and out of their store's entrance (with a member of staff
   pacing behind the till, in the camera's exclusion zone) and the edge module's pipeline -
   person detector, ByteTrack, exclusion zone, door line - counts them
   (:mod:`footfall.simulate.entrance`): its CountEvents go to the local event log's ``counts``
   stream, with the zone camera's (from the plan; its browsing is not filmed).
3. Once every upload is processed, the Stream Analytics job runs on the local engine over the
   event log and writes the report database (``<state>/reports.duckdb``).
4. A summary is printed (photos, faces, events, quarantined, windows written, visitors measured
   against visitors simulated; the counts must add up: uploads = events + quarantined) and the
   dashboard is served until Ctrl-C. Visitors measured are the door entries the edge pipeline
   counted; visitors simulated are the plan's.
   Run from a terminal it serves by default; run without one (CI, a script, ``make demo`` in a
   pipeline) it exits after the summary, as ``--no-serve`` does; ``--serve`` forces serving.

Each run starts from clean local state (Azurite data, event log, receipts, report database) so
its counts stand on their own; ``--keep-state`` keeps what a previous run left.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
import sys
import threading
import time
from contextlib import ExitStack
from datetime import UTC, date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from footfall.azurite import Azurite, free_port
from footfall.face_process import FaceServiceProcess
from footfall.paths import REPO_ROOT, state_dir
from functions.settings import Settings

PROJECT_DIR = REPO_ROOT / "stream_analytics"


class DemoPaths(BaseModel):
    """Where a demo run keeps its state."""

    root: Path
    azurite: Path
    events: Path
    receipts: Path
    reports: Path
    asa_output: Path
    log: Path
    summary: Path

    @classmethod
    def under(cls, root: Path) -> DemoPaths:
        """The layout under a state folder."""
        return cls(root=root, azurite=root / "azurite", events=root / "events",
                   receipts=root / "host" / "receipts.sqlite", reports=root / "reports.duckdb",
                   asa_output=root / "asa", log=root / "demo.log", summary=root / "demo-summary.json")

    def reset(self) -> None:
        """Forget what an earlier run left (only the demo's own state)."""
        for path in (self.azurite, self.events, self.receipts.parent, self.asa_output):
            shutil.rmtree(path, ignore_errors=True)
        for path in (self.reports, self.reports.with_suffix(".duckdb.wal")):
            path.unlink(missing_ok=True)


class DemoSummary(BaseModel):
    """What a demo run did; ``counts_add_up`` is the acceptance check."""

    uploads: int
    photos: int
    broken_uploads: int
    stores: int
    events: int
    faces: int
    quarantined: int
    quarantine_reasons: dict[str, int] = {}
    pending: int = 0
    duplicates: int = Field(default=0, description="uploads of an event already sent (the function's duplicates "
                            "counter): deleted without a second event")
    poisoned: int
    retried: int
    windows_written: dict[str, int]
    visitors_simulated: int
    visitors_measured: int
    seconds: float
    dashboard_url: str | None = None

    @property
    def counts_add_up(self) -> bool:
        """Every upload became exactly one event or one quarantined blob, is still pending in ``uploads``,
        or was a duplicate of an event already sent: the counts are of distinct events in the log, of blobs
        in the containers and the function's duplicates counter."""
        return self.uploads == self.events + self.quarantined + self.pending + self.duplicates

    @property
    def visitor_error(self) -> float:
        """Visitors measured against visitors simulated, as a relative error."""
        return (self.visitors_measured - self.visitors_simulated) / self.visitors_simulated \
            if self.visitors_simulated else 0.0

    def text(self) -> str:
        """The summary for people."""
        verdict = "yes" if self.counts_add_up else "NO"
        windows = ", ".join(f"{k} {v}" for k, v in sorted(self.windows_written.items())) or "none"
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.quarantine_reasons.items()))
        lines = [
            f"photos uploaded   {self.uploads} ({self.photos} photos + {self.broken_uploads} broken on purpose) "
            f"from {self.stores} stores",
            f"visitors          {self.visitors_measured} counted at the doors, "
            f"{self.visitors_simulated} simulated ({self.visitor_error:+.1%})",
            f"faces analysed    {self.faces}",
            f"events            {self.events}",
            f"quarantined       {self.quarantined} ({reasons or 'none'})",
            f"retries           {self.retried} (attempts exhausted, left in uploads for the re-drive: {self.poisoned})",
            f"counts add up     {verdict}: {self.uploads} = {self.events} events + {self.quarantined} quarantined"
            f" + {self.pending} pending + {self.duplicates} duplicates",
            f"windows written   {windows}",
            f"took              {self.seconds:.1f} s",
        ]
        if self.dashboard_url:
            lines.append(f"dashboard         {self.dashboard_url}")
        return "\n".join(lines)


def count_events(events_dir: Path) -> tuple[int, int]:
    """Distinct events and their faces in the local event log."""
    from functions.sinks.local_log import read_events

    seen = {event.event_id: event.face_count for event in read_events(events_dir)}
    return len(seen), sum(seen.values())


def function_settings(paths: DemoPaths, connection_string: str, face_url: str, day: date | None = None) -> Settings:
    """The Functions app's settings, pointed at the local stack (the rest from the environment).

    The demo replays a whole ``day`` in minutes, so the plausible capture window (8 days back, 5
    minutes ahead) is widened to hold that day: a day long past, or today's evening still to come.
    """
    from datetime import datetime, time, timedelta

    window_days = Settings.model_fields["capture_max_age_days"].default
    ahead_s = Settings.model_fields["capture_max_future_s"].default
    if day is not None:
        now = datetime.now(UTC)
        window_days = max(window_days, (now.date() - day).days + 2)
        day_ends = datetime.combine(day, time(), tzinfo=UTC) + timedelta(days=2)  # any store's local day
        ahead_s = max(ahead_s, (day_ends - now).total_seconds())
    values: dict[str, Any] = {
        "FOOTFALL_CAPTURE_MAX_AGE_DAYS": window_days,
        "FOOTFALL_CAPTURE_MAX_FUTURE_S": ahead_s,
        "AzureWebJobsStorage": connection_string,
        "FOOTFALL_FACE_ENDPOINT": face_url,
        "FOOTFALL_EVENT_SINK": "local",
        "FOOTFALL_LOCAL_EVENT_LOG": paths.events,
        "FOOTFALL_KNOWN_STORES": str(PROJECT_DIR / "stores.csv"),
        "FOOTFALL_AFTER_SUCCESS": "delete",
        "FOOTFALL_UPLOADS_CONTAINER": "uploads",
        "FOOTFALL_QUARANTINE_CONTAINER": "quarantine",
    }
    return Settings(**values)


def run_demo(args: argparse.Namespace, stop: threading.Event) -> DemoSummary:
    """Run the pipeline; serve the dashboard unless ``--no-serve``; returns the summary."""
    from tqdm import tqdm

    from footfall.host import Outcome, Status, open_host
    from footfall.simulate import BlobTarget, SimConfig, simulate

    started = time.monotonic()
    paths = DemoPaths.under(state_dir())
    if not args.keep_state:
        paths.reset()
    paths.root.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=paths.log, level=logging.INFO, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = SimConfig(photos=args.photos, stores=args.stores, broken=args.broken, seed=args.seed,
                       **({"day": args.date} if args.date else {}))
    with ExitStack() as stack:
        print(f"footfall demo: state in {paths.root}, log in {paths.log}")
        print("starting Azurite and the face service on loopback ...", flush=True)
        azurite = stack.enter_context(Azurite(location=paths.azurite))
        face = stack.enter_context(FaceServiceProcess(log_path=paths.root / "face-service.log", log_level="info"))
        settings = function_settings(paths, azurite.connection_string, face.url, config.day)

        total = config.photos + config.broken
        # Without a terminal (CI logs) the bars print a line each update: a few lines a run will do.
        every = 0.1 if sys.stderr.isatty() else 10.0
        uploads_bar = stack.enter_context(
            tqdm(total=total, desc="uploads   ", unit="photo", position=0, mininterval=every))
        done_bar = stack.enter_context(
            tqdm(total=total, desc="processing", unit="photo", position=1, mininterval=every))
        outcomes: dict[Status, int] = {}
        finished = threading.Event()
        lock = threading.Lock()

        def on_outcome(outcome: Outcome) -> None:
            with lock:
                outcomes[outcome.status] = outcomes.get(outcome.status, 0) + 1
                done_bar.update()
                if sum(outcomes.values()) >= total:
                    finished.set()

        host = open_host(REPO_ROOT, receipts_path=paths.receipts, workers=args.workers, on_outcome=on_outcome,
                         settings=settings)
        host_stop = threading.Event()
        host_thread = threading.Thread(target=host.run, args=(host_stop,), name="footfall-host", daemon=True)
        host_thread.start()

        def stop_host() -> None:
            if not host_stop.is_set():
                host_stop.set()
                host_thread.join()
                host.close()

        stack.callback(stop_host)
        manifest = simulate(config, BlobTarget(azurite.connection_string), PROJECT_DIR / "stores.csv",
                            on_upload=lambda _: uploads_bar.update(), stop=stop)
        (paths.root / "simulate-manifest.json").write_text(manifest.model_dump_json(indent=1))
        from footfall.simulate.counts import count_events as planned_counts
        from footfall.simulate.counts import plan_visits
        from footfall.simulate.entrance import measure_entrances
        from footfall.simulate.plan import FRAME_CAMERA
        from functions.sinks.local_log import LocalEventLogSink

        # Visitors are measured: every planned visitor is filmed walking through the entrance and the
        # edge pipeline (detector, tracker, exclusion zone, door line) counts them. The zone camera's
        # browsing is not filmed: its counts come from the plan.
        visits = plan_visits(manifest)
        print(f"filming {len(visits)} visitors at the entrances; the edge pipeline counts them ...", flush=True)
        counts = measure_entrances(manifest, visits) + planned_counts(manifest, visits, cameras=(FRAME_CAMERA,))
        LocalEventLogSink(paths.events, stream="counts").send(counts)
        while not finished.wait(0.2):
            if not host_thread.is_alive():
                raise RuntimeError(f"the trigger host stopped early; see {paths.log}")
        stop_host()
        uploads_bar.close()
        done_bar.close()

        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        reasons: dict[str, int] = {}
        for blob in service.get_container_client("quarantine").list_blobs(include=["metadata"]):
            reason = (blob.metadata or {}).get("reason", "unknown")
            reasons[reason] = reasons.get(reason, 0) + 1
        pending = sum(1 for _ in service.get_container_client("uploads").list_blobs())
        events, faces = count_events(paths.events)
        from functions.ingest import counters as ingest_counters

        function_counters = ingest_counters()
        duplicates = function_counters.snapshot().duplicates if function_counters is not None else 0
        print("running the Stream Analytics job on the local engine ...", flush=True)
        from footfall.asa import run_job

        windows = run_job(PROJECT_DIR, output_dir=paths.asa_output, report_database=paths.reports)
        from footfall.reports.database import ReportDatabase

        measured = sum(row["visitors"] for row in ReportDatabase(paths.reports).rows("store_windows"))
    summary = DemoSummary(
        uploads=len(manifest.uploads), photos=len(manifest.photos), broken_uploads=len(manifest.broken),
        stores=len(manifest.stores), events=events, faces=faces, quarantined=sum(reasons.values()),
        quarantine_reasons=reasons, pending=pending, duplicates=duplicates,
        poisoned=outcomes.get(Status.POISONED, 0), retried=host.counters.retried,
        windows_written=windows, visitors_simulated=len(visits), visitors_measured=measured,
        seconds=time.monotonic() - started,
    )
    if _should_serve(args):
        from footfall.reports.server import serve_dashboard

        server = serve_dashboard(paths.reports, "127.0.0.1", _port(args.port))
        summary.dashboard_url = server.url
        _report(summary, paths)
        print("Ctrl-C to stop.", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:  # the normal end of a served demo
            print("\nfootfall demo: dashboard stopped.", flush=True)
        finally:
            server.stop()
    else:
        _report(summary, paths)
        if not args.no_serve:
            print("no terminal to stop a server with Ctrl-C: exiting after the summary "
                  f"(`footfall dashboard --database {paths.reports}` serves these reports; "
                  "`footfall demo --serve` forces serving).", flush=True)
    return summary


def _should_serve(args: argparse.Namespace) -> bool:
    """Serve when asked to, or by default when a person at a terminal can stop it with Ctrl-C."""
    if args.no_serve:
        return False
    return bool(args.serve) or sys.stdin.isatty()


def _port(wanted: int) -> int:
    """``wanted`` if it is free on loopback, else any free port."""
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", wanted))
            return wanted
        except OSError:
            return free_port()


def _report(summary: DemoSummary, paths: DemoPaths) -> None:
    paths.summary.write_text(summary.model_dump_json(indent=1))
    print("\n" + summary.text(), flush=True)


def main(argv: list[str]) -> int:
    """``footfall demo``: exit 0 when the counts add up, 1 when they do not, 130 on Ctrl-C."""
    parser = argparse.ArgumentParser(prog="footfall demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=300, help="valid photos in the simulated day")
    parser.add_argument("--stores", type=int, default=8, help="stores, spread over regions")
    parser.add_argument("--broken", type=int, default=6, help="deliberately broken uploads")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="simulated day (default today, UTC)")
    parser.add_argument("--workers", type=int, default=None, help="photos in flight in the trigger host")
    parser.add_argument("--port", type=int, default=8080, help="dashboard port (another free one if taken)")
    serving = parser.add_mutually_exclusive_group()
    serving.add_argument("--no-serve", action="store_true", help="exit after the summary")
    serving.add_argument("--serve", action="store_true",
                         help="serve the dashboard until Ctrl-C even without a terminal (default: only with one)")
    parser.add_argument("--keep-state", action="store_true", help="do not clear the previous run's local state")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM shuts down like Ctrl-C
    try:
        summary = run_demo(args, stop)
    except KeyboardInterrupt:
        stop.set()
        print("\nfootfall demo: stopped.", file=sys.stderr)
        return 130
    return 0 if summary.counts_add_up else 1
