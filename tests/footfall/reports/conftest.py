"""Fixtures of the local report database's, API's and dashboard's tests: the fleet day in a report database."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.reports.database import ReportDatabase


@pytest.fixture
def filled_store(tmp_path: Path, fleet) -> ReportDatabase:
    """A report database holding the fleet day, written through ``write_output`` as the job does."""
    store = ReportDatabase(tmp_path / "reports.duckdb")
    store.write_output("store_windows", fleet.rows)
    store.write_output("zone_windows", fleet.zone_rows)
    return store
