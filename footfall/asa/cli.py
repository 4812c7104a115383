"""``footfall asa run``, ``footfall asa test`` and ``footfall asa generate``: the Stream Analytics job
on the local engine, and its query written from the contracts."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from footfall.asa.errors import AsaError
from footfall.asa.job import DEFAULT_PROJECT, run_job
from footfall.asa.testing import run_tests


def _pair(text: str) -> tuple[str, Path]:
    alias, sep, path = text.partition("=")
    if not sep or not alias or not path:
        raise argparse.ArgumentTypeError(f"expected alias=PATH, got {text!r}")
    return alias, Path(path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="footfall asa", description=__doc__)
    parser.add_argument("--project", type=Path, default=DEFAULT_PROJECT, help="Stream Analytics project folder")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the job on local input files")
    run.add_argument("--input", action="append", type=_pair, default=[], metavar="ALIAS=PATH",
                     help="input file or folder (frames defaults to the local event log, stores to stores.csv)")
    run.add_argument("--output-dir", type=Path, default=None, help="where <output>.jsonl go (default .state/asa)")
    run.add_argument("--report-database", "--report-store", dest="report_database", type=Path, default=None,
                     help="also write the outputs to this report database (--report-store: deprecated name)")
    run.add_argument("--recorded-arrival", action="store_true",
                     help="read the local event log with the arrival times it recorded (a live run) instead of "
                          "replaying each event at its capture time (the demo's compressed day)")
    run.add_argument("--k", type=int, default=None,
                     help="k-anonymity for this run (default: FOOTFALL_K, else the query's own k)")
    test = sub.add_parser("test", help="run test/testConfig.json and fail on any failed case")
    test.add_argument("--config", type=Path, default=None,
                      help="testConfig.json (default <project>/test/testConfig.json)")
    sub.add_parser("generate", help="write stream_analytics/footfall.asaql from the contracts")
    return parser


def _k_setting() -> int | None:
    """``FOOTFALL_K`` through the settings model, when it is set."""
    from functions.settings import get_settings

    settings = get_settings()
    return settings.k_anonymity if "k_anonymity" in settings.model_fields_set else None


def main(argv: list[str]) -> int:
    """Entry point of ``footfall asa``."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "generate":
            from footfall.stream_job import write

            for path in write():
                print(f"wrote {path}")
            return 0
        if args.command == "run":
            started = time.perf_counter()
            logging.basicConfig(level=logging.WARNING, format="footfall asa: %(message)s")
            k = args.k if args.k is not None else _k_setting()
            counts = run_job(args.project, dict(args.input), args.output_dir, args.report_database,
                             replay=not args.recorded_arrival, k=k)
            took = time.perf_counter() - started
            for alias, n in counts.items():
                print(f"{alias}: {n} rows")
            print(f"done in {took:.2f} s")
            return 0
        config = args.config or args.project / "test" / "testConfig.json"
        results = run_tests(config, None if args.config else args.project)
        failed = [r for r in results if not r.passed]
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
        return 1 if failed else 0
    except AsaError as exc:
        print(f"footfall asa: {exc}", file=sys.stderr)
        return 2
