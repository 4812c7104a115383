"""Fixtures of the local report store's, API's and dashboard's tests: the fleet day in a report store."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.reports.store import ReportStore


@pytest.fixture
def filled_store(tmp_path: Path, fleet) -> ReportStore:
    """A report store holding the fleet day, written through ``write_output`` as the job does."""
    store = ReportStore(tmp_path / "reports.duckdb")
    store.write_output("store_windows", fleet.rows)
    store.write_output("zone_windows", fleet.zone_rows)
    return store
