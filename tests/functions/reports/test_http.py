"""The reports API without a web framework: every request reads a bounded span, or is refused (422)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from list_reader import ListReader

from functions.reports.access import OPEN
from functions.reports.http import ReportsHttp
from functions.reports.models import HEATMAP_DAYS, MAX_SUB_DAY_SPAN_DAYS
from functions.reports.service import ReportService

READ_MARGIN = timedelta(hours=25 + 2 * 14)
"""What the service reads beyond a range: local midnights in every zone, and occupancy from the day's start."""


@pytest.fixture
def reader(fleet) -> ListReader:
    return ListReader(fleet.rows)


def _answer(reader: ListReader, view: str, params: dict):
    return ReportsHttp(ReportService(reader, k=5), OPEN, 5).answer(view, params, {})


@pytest.mark.parametrize(("view", "params"), [
    ("report", {"start": "2000-01-01"}),
    ("report", {"granularity": "15min", "start": "2000-01-01"}),
    ("report", {"granularity": "hour", "start": "2026-06-01"}),
    ("report", {"start": "2000-01-01T00:00:00Z"}),
    ("report", {"granularity": "15min", "start": "2026-06-01T00:00:00Z"}),
    ("heatmap", {"start": "2000-01-01"}),
    ("ranking", {"start": "2000-01-01"}),
])
def test_an_open_ended_range_past_the_span_limits_is_422(reader: ListReader, view: str, params: dict) -> None:
    answer = _answer(reader, view, params)
    assert answer.status == 422, answer.body
    assert reader.selections == []  # refused before reading a window


@pytest.mark.parametrize(("view", "params", "days"), [
    ("report", {}, 1),  # the fleet by the hour: the newest data's day
    ("report", {"granularity": "15min"}, 1),
    ("report", {"granularity": "hour", "region": "Nordics"}, 1),
    ("report", {"granularity": "day", "end": "2026-11-24"}, 31),
    ("report", {"granularity": "15min", "start": "2026-11-23"}, 1),
    ("heatmap", {}, HEATMAP_DAYS),
    ("heatmap", {"store_id": "S0001"}, HEATMAP_DAYS),
    ("heatmap", {"start": "2026-01-01", "end": "2026-11-24"}, MAX_SUB_DAY_SPAN_DAYS),  # its last quarter
])
def test_every_request_reads_a_bounded_span(reader: ListReader, fleet, view: str, params: dict, days: int) -> None:
    answer = _answer(reader, view, params)
    assert answer.status == 200, answer.body
    assert reader.selections, "it read windows"
    for selection in reader.selections:
        assert selection.start is not None and selection.end is not None
        assert selection.end - selection.start <= timedelta(days=days) + READ_MARGIN
    if view == "report":
        assert answer.json["visitors"] == sum(r["visitors"] for r in fleet.rows
                                              if params.get("region") in (None, r["region"]))
        assert answer.json["start"] is not None and answer.json["end"] is not None
    else:
        assert answer.json["start"] == ("2026-08-23" if "start" in params else "2026-10-27")


def test_the_default_range_holds_the_newest_local_day_of_every_zone() -> None:
    from datetime import UTC, datetime

    from fleet import store_row

    from functions.reports.models import StoreRef

    la = {**store_row("S0001", datetime(2026, 11, 24, 5, tzinfo=UTC), visitors=4), "time_zone": "America/Los_Angeles"}
    tokyo = {**store_row("S0101", datetime(2026, 11, 23, 1, tzinfo=UTC), visitors=3), "time_zone": "Asia/Tokyo"}
    stores = [StoreRef(store_id="S0001", time_zone="America/Los_Angeles"),
              StoreRef(store_id="S0101", time_zone="Asia/Tokyo")]
    answer = _answer(ListReader([la, tokyo], stores), "report", {})
    assert answer.status == 200, answer.body
    # The newest window ends on 2026-11-23 in Los Angeles and on 2026-11-24 in Tokyo: both local days are read.
    assert (answer.json["start"], answer.json["end"], answer.json["visitors"]) == ("2026-11-23", "2026-11-25", 7)
