"""``footfall host``: the local trigger host for the Functions app's blob-triggered function.

It imports ``function_app`` (the same ``app`` that ``func start`` and Azure index), finds
``analyze_upload`` and its blob trigger binding, and invokes it with a ``func.InputStream`` for
every new blob version in the trigger's container (Azurite's ``uploads``). See
:mod:`footfall.host.runner` for how it mirrors the Functions host, and why it polls.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Callable, Collection
from pathlib import Path

from footfall.host.binding import (
    BlobTriggeredFunction,
    TimerTriggeredFunction,
    find_functions,
    load_local_settings,
    service_client,
)
from footfall.host.config import HostConfig, HostJson, RetryPolicy
from footfall.host.receipts import Receipt, ReceiptDatabase, Status
from footfall.host.runner import HostCounters, Outcome, TriggerHost
from footfall.paths import REPO_ROOT, state_dir

__all__ = [
    "BlobTriggeredFunction", "TimerTriggeredFunction", "HostConfig", "HostCounters", "HostJson", "Outcome",
    "Receipt", "ReceiptDatabase",
    "RetryPolicy", "Status", "TriggerHost", "default_receipts_path", "main", "open_host",
]


LOCAL_TIMERS: tuple[str, ...] = ("redrive_uploads",)
"""The app's timer functions the local host runs by default: the re-drive. ``rollup_store_days``
writes Cosmos DB rollups, which the local stack (a DuckDB report database) has no use for."""


def default_receipts_path() -> Path:
    """``<state_dir>/host/receipts.sqlite``."""
    return state_dir() / "host" / "receipts.sqlite"


def open_host(
    app_dir: Path = REPO_ROOT,
    *,
    module: str = "function_app",
    function_name: str = "analyze_upload",
    receipts_path: Path | None = None,
    workers: int | None = None,
    poll_interval_s: float = 0.25,
    host_json: Path | None = None,
    quarantine_container: str | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    timer_functions: Collection[str] | None = LOCAL_TIMERS,
) -> TriggerHost:
    """Load the app (after applying ``local.settings.json``) and build a host for its function.

    Settings such as ``AzureWebJobsStorage`` come from the environment, as in the Functions host;
    set them before calling. ``workers`` defaults to ``extensions.blobs.maxDegreeOfParallelism``
    in ``host.json``, else 4. A blob whose attempts are used up stays in its container (as in
    Azure), with a ``poisoned`` receipt; the quarantine container (``FOOTFALL_QUARANTINE_CONTAINER``
    or ``quarantine``) is where the function puts bad photos. The timer-triggered functions named in
    ``timer_functions`` (``None``: all of the app's) run on their schedules while the host runs.
    """
    load_local_settings(app_dir)
    spec = HostJson.load(host_json or app_dir / "host.json")
    function, timers = find_functions(app_dir, module, function_name)
    if timer_functions is not None:
        timers = [t for t in timers if t.name in timer_functions]
    quarantine = quarantine_container or os.environ.get("FOOTFALL_QUARANTINE_CONTAINER", "quarantine")
    config = HostConfig(
        app_dir=app_dir, app_module=module, function_name=function_name,
        receipts_path=receipts_path or default_receipts_path(),
        workers=workers or spec.max_degree_of_parallelism or 4,
        poll_interval_s=poll_interval_s, retry=spec.retry, function_timeout_s=spec.function_timeout_s,
        quarantine_container=quarantine,
    )
    client = service_client(function.connection)
    try:
        client.create_container(function.container)
    except Exception:  # already there (or the account forbids it: listing will tell)
        pass
    return TriggerHost(config, function, client, on_outcome=on_outcome, timers=timers)


def main(argv: list[str]) -> int:
    """``footfall host``: run until Ctrl-C / SIGTERM, or with ``--until-idle`` until nothing is left."""
    parser = argparse.ArgumentParser(prog="footfall host", description=__doc__)
    parser.add_argument("--app-dir", type=Path, default=REPO_ROOT, help="folder with function_app.py and host.json")
    parser.add_argument("--module", default="function_app")
    parser.add_argument("--function", default="analyze_upload")
    parser.add_argument("--connection-string", help="sets AzureWebJobsStorage (default: from the environment)")
    parser.add_argument("--receipts", type=Path, default=None,
                        help="receipts file (default <state>/host/receipts.sqlite)")
    parser.add_argument("--workers", type=int, default=None, help="photos in flight at once")
    parser.add_argument("--poll-interval", type=float, default=0.25, help="seconds between listings")
    parser.add_argument("--until-idle", action="store_true", help="exit once no blob is left to process")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.connection_string:
        os.environ["AzureWebJobsStorage"] = args.connection_string

    def report(outcome: Outcome) -> None:
        logging.getLogger("footfall.host").info(
            "%s %s (attempt %d)", outcome.status.value, outcome.blob_name, outcome.attempts)

    host = open_host(
        args.app_dir, module=args.module, function_name=args.function, receipts_path=args.receipts,
        workers=args.workers, poll_interval_s=args.poll_interval, on_outcome=report,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(
        f"footfall host: {host.function.name} on {host.function.path} "
        f"(declared source {host.function.source or 'default'}; "
        f"polling every {host.config.poll_interval_s:g} s locally) "
        f"({host.config.workers} workers, retry {host.config.retry.strategy} x{host.config.retry.max_retry_count})",
        flush=True,
    )
    try:
        counters = host.run(stop, until_idle=args.until_idle)
    except KeyboardInterrupt:
        stop.set()
        counters = host.counters
    finally:
        host.close()
    print(f"footfall host: {counters.model_dump_json()}", flush=True)
    return 0
