"""The report store takes the Stream Analytics job's own expected outputs as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.asa.testing import read_rows
from footfall.paths import REPO_ROOT
from footfall.reports.store import ReportStore
from functions.reports.models import WindowSelection

CASES = sorted((REPO_ROOT / "stream_analytics" / "test" / "cases").glob("*/cosmos.json"))


def test_the_job_has_expected_outputs_to_check_against() -> None:
    assert len(CASES) >= 3, "stream_analytics/test/cases/*/cosmos.json are the contract's worked examples"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.parent.name)
def test_job_outputs_round_trip_through_the_store(case: Path, tmp_path: Path) -> None:
    store = ReportStore(tmp_path / "r.duckdb")
    cosmos = read_rows(case)
    powerbi = read_rows(case.with_name("powerbi.json")) if case.with_name("powerbi.json").exists() else []
    assert store.write_output("cosmos", cosmos) == len({r["id"] for r in cosmos})
    assert store.write_output("powerbi", powerbi) == len(powerbi)
    stored = {r.id: r.model_dump(mode="json") for level in ("store", "city", "region")
              for r in store.windows(WindowSelection(level=level))}
    for row in cosmos:
        assert stored[row["id"]] == row, f"{case.parent.name}: {row['id']} changed on the way through"
