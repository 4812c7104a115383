"""Serve the dashboard with uvicorn: blocking (``footfall dashboard``) or in a thread (``footfall demo``)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from footfall.reports.api import create_app
from footfall.reports.database import ReportDatabase
from functions.settings import get_settings


def dashboard_app(database_path: Path | None = None, *, k: int | None = None) -> FastAPI:
    """The dashboard over the DuckDB report database at ``database_path`` (default ``<state_dir>/reports.duckdb``)."""
    k = k if k is not None else get_settings().k_anonymity
    return create_app(ReportDatabase(database_path, k=k), k=k, l_diversity=get_settings().l_diversity)


class DashboardServer:
    """A uvicorn server for the dashboard app, run in a background thread and stopped cleanly."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.host = host
        self.port = port
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                                     access_log=False, lifespan="off"))
        self._thread: threading.Thread | None = None
        self._failure: str | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8080``."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> DashboardServer:
        """Start serving in a daemon thread; return once the socket accepts connections."""
        self._thread = threading.Thread(target=self._run, name="footfall-dashboard", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"dashboard failed to start on {self.host}:{self.port}: {self._failure}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"dashboard did not start in {timeout_s} s")
            time.sleep(0.02)
        if self.port == 0:  # the OS picked a free port: report the real one
            self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def _run(self) -> None:
        try:
            self._server.run()
        except SystemExit as exc:  # uvicorn exits when it cannot bind: report it from start()
            self._failure = f"uvicorn exited with status {exc.code} (port taken?)"

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the server to finish its requests and exit; wait for the thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout_s)
            self._thread = None

    def __enter__(self) -> DashboardServer:
        return self if self._thread else self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve_dashboard(database_path: Path | None = None, host: str = "127.0.0.1", port: int = 8080,
                    *, k: int | None = None) -> DashboardServer:
    """Start the dashboard over the report database in a background thread; ``.stop()`` ends it.

    ``port=0`` picks a free port (see ``.url``). Example::

        server = serve_dashboard(Path(".state/reports.duckdb"), "127.0.0.1", 8080)
        print(server.url)
        ...
        server.stop()
    """
    return DashboardServer(dashboard_app(database_path, k=k), host, port).start()
