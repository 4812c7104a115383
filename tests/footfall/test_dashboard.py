"""`footfall dashboard` and `serve_dashboard`: start on loopback, answer, stop cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from footfall.azurite import free_port
from footfall.dashboard import build_parser, main
from footfall.reports.database import ReportDatabase
from footfall.reports.server import serve_dashboard

ROW = {
    "window_start": "2026-11-23T08:00:00.000Z", "window_end": "2026-11-23T08:15:00.000Z",
    "store_id": "S0001", "store_name": "Gallerian", "city": "Stockholm", "country": "SE", "region": "Nordics",
    "time_zone": "Europe/Stockholm", "photos": 9, "visit_photos": 4, "visit_faces": 3, "sightings": 6,
    "visitors": 4, "exits": 2, "suppressed": True,
}


def wait_until_up(url: str, proc: subprocess.Popen | None = None, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"dashboard exited early: {proc.stderr.read()}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up in {timeout_s} s")


def test_command_serves_the_database_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    store = tmp_path / "reports.duckdb"
    ReportDatabase(store).write_output("store_windows", [ROW])
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "footfall.cli", "dashboard", "--host", "127.0.0.1", "--port", str(port),
         "--database", str(store)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "FOOTFALL_STATE_DIR": str(tmp_path / "state")},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc)
        report = httpx.get(f"{url}/api/report", params={"store_id": "S0001"}).json()
        assert (report["visitors"], report["visit_faces"], report["suppressed"], report["demographics"]) == (
            4, 3, True, None)
        assert "Footfall" in httpx.get(url).text
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
        assert f"http://127.0.0.1:{port}/" in proc.stdout.read()
    finally:
        proc.kill()


def test_store_is_the_deprecated_name_of_database() -> None:
    assert build_parser().parse_args(["--store", "old.duckdb"]).database == Path("old.duckdb")


def test_default_database_lives_in_the_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOOTFALL_STATE_DIR", str(tmp_path))
    server = serve_dashboard(None, "127.0.0.1", 0)
    try:
        assert httpx.get(f"{server.url}/api/filters").json()["regions"] == []
    finally:
        server.stop()
    assert (tmp_path / "reports.duckdb").is_file()


def test_serve_dashboard_runs_in_a_thread_and_stops_cleanly(tmp_path: Path) -> None:
    store = tmp_path / "reports.duckdb"
    ReportDatabase(store).write_output("store_windows", [ROW])
    with serve_dashboard(store, "127.0.0.1", 0, k=2) as server:
        assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"
        filters = httpx.get(f"{server.url}/api/filters").json()
        assert filters["k"] == 2 and filters["regions"][0]["region"] == "Nordics"
        report = httpx.get(f"{server.url}/api/report", params={"store_id": "S0001"}).json()
        # A smaller k in the API cannot reveal what the job already withheld.
        assert (report["k"], report["suppressed"], report["demographics"]) == (2, True, None)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/api/health", timeout=2)


def test_bad_arguments_exit_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--k", "0"])
    assert exit_.value.code == 2 and "--k" in capsys.readouterr().err


def test_a_taken_port_fails_loudly_instead_of_hanging(tmp_path: Path) -> None:
    with serve_dashboard(tmp_path / "reports.duckdb", "127.0.0.1", 0) as first:
        with pytest.raises(RuntimeError, match=str(first.port)):
            serve_dashboard(tmp_path / "reports.duckdb", "127.0.0.1", first.port)
