"""``footfall dashboard``: serve the reports API and web dashboard over the local report database."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from footfall.reports.api import LOOPBACK_HOSTS
from footfall.reports.database import default_database_path
from footfall.reports.server import dashboard_app


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``footfall dashboard``."""
    parser = argparse.ArgumentParser(
        prog="footfall dashboard",
        description="Serve the reports API and web dashboard over the local report database.")
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK_HOSTS,
                        help="loopback address to bind (the dashboard has no sign-in: it serves this machine only)")
    parser.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    parser.add_argument("--database", "--store", dest="database", type=Path, default=None,
                        help="report database file (default: <state_dir>/reports.duckdb; --store: deprecated name)")
    parser.add_argument("--k", type=int, default=None, help="k of k-anonymity (default: FOOTFALL_K or 5)")
    return parser


def main(argv: list[str]) -> int:
    """Serve until Ctrl-C."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.k is not None and args.k < 1:
        parser.error("--k must be at least 1")
    database = args.database or default_database_path()
    app = dashboard_app(database, k=args.k)
    print(f"footfall dashboard: http://{args.host}:{args.port}/  (report database {database})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    return 0
