"""``footfall host``: the local trigger host for the Functions app's blob-triggered function.

It imports ``function_app`` (the same ``app`` that ``func start`` and Azure index), finds
``analyze_upload`` and its blob trigger binding, and invokes it with a ``func.InputStream`` for
every new blob version in the trigger's container (Azurite's ``uploads``). See
:mod:`footfall.host.runner` for how it mirrors the Functions host, and why it polls.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from footfall.host.launch import open_host
from footfall.host.runner import Outcome
from footfall.paths import REPO_ROOT
from functions.settings import Settings


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
    # --connection-string overrides AzureWebJobsStorage; every other setting comes from the environment.
    settings = Settings(AzureWebJobsStorage=args.connection_string) if args.connection_string else None

    def report(outcome: Outcome) -> None:
        logging.getLogger("footfall.host").info(
            "%s %s (attempt %d)", outcome.status.value, outcome.blob_name, outcome.attempts)

    host = open_host(
        args.app_dir, module=args.module, function_name=args.function, receipts_path=args.receipts,
        workers=args.workers, poll_interval_s=args.poll_interval, on_outcome=report, settings=settings,
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
