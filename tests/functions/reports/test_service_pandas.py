"""Acceptance: the reports service's city and region figures equal an independent pandas computation over
the published store windows, on the fleet day and on a daylight-saving day (Europe falls back on
2026-10-25: that local day has 25 hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from fleet import K, make_fleet

from footfall.reports.database import ReportDatabase
from functions.aggregates import CATEGORIES
from functions.reports.models import ReportQuery
from functions.reports.service import ReportService

DAYS = {"fleet day": datetime(2026, 11, 23, tzinfo=UTC),
        "daylight-saving day": datetime(2026, 10, 25, tzinfo=UTC)}


def windows_frame(rows: list[dict]) -> pd.DataFrame:
    """The published store windows with each store's local date and hour, computed by pandas."""
    frame = pd.DataFrame(rows)
    frame["start"] = pd.to_datetime(frame["window_start"], utc=True)
    frame["time_zone"] = frame["time_zone"].fillna("UTC")
    frame["local_date"] = ""
    frame["local_hour"] = ""
    for zone, index in frame.groupby("time_zone").groups.items():
        local = frame.loc[index, "start"].dt.tz_convert(zone)
        frame.loc[index, "local_date"] = local.dt.strftime("%Y-%m-%d")
        frame.loc[index, "local_hour"] = local.dt.strftime("%Y-%m-%dT%H:00")
    frame["published"] = ~frame["suppressed"].astype(bool) & (frame["visit_faces"] >= K)
    return frame


def expected(frame: pd.DataFrame) -> dict:
    """Totals and the k-anonymous gender breakdown of a group of windows."""
    published = frame[frame["published"]]
    covered = int(published["visit_faces"].sum())
    genders = None if covered < K else {
        v: int(published[f"gender_{v}"].sum()) for v in (*CATEGORIES[0].values, "unknown")}
    return {"visitors": int(frame["visitors"].sum()), "exits": int(frame["exits"].sum()),
            "visit_faces": int(frame["visit_faces"].sum()), "breakdown_faces": covered if genders else 0,
            "gender": genders}


def got(figures) -> dict:
    return {"visitors": figures.visitors, "exits": figures.exits, "visit_faces": figures.visit_faces,
            "breakdown_faces": figures.breakdown_faces,
            "gender": figures.demographics["gender"] if figures.demographics else None}


@pytest.fixture(scope="module", params=list(DAYS), ids=list(DAYS))
def day(request, tmp_path_factory) -> tuple[date, pd.DataFrame, ReportService]:
    fleet = make_fleet(day=DAYS[request.param])
    store = ReportDatabase(tmp_path_factory.mktemp("pandas") / "reports.duckdb", k=K)
    store.write_output("store_windows", fleet.rows)
    return DAYS[request.param].date(), windows_frame(fleet.rows), ReportService(store, k=K)


def test_every_city_s_local_day_matches_pandas(day) -> None:
    local_day, frame, service = day
    query = {"start": local_day.isoformat(), "end": (local_day + timedelta(days=1)).isoformat(), "granularity": "day"}
    on_day = frame[frame["local_date"] == local_day.isoformat()]
    for region, in_region in on_day.dropna(subset=["region"]).groupby("region"):
        report = service.report(ReportQuery(region=region, **query))
        assert got(report) == expected(in_region), region
        cities = {g.key: got(g) for g in report.groups}
        assert cities == {city: expected(part) for city, part in in_region.groupby("city")}, region
    fleet = service.report(ReportQuery(**query))
    assert got(fleet) == expected(on_day)
    assert {g.key: got(g) for g in fleet.groups} == {
        region or "": expected(part) for region, part in on_day.fillna({"region": ""}).groupby("region")}


def test_every_region_s_local_hours_match_pandas(day) -> None:
    local_day, frame, service = day
    on_day = frame[frame["local_date"] == local_day.isoformat()]
    for region, in_region in on_day.dropna(subset=["region"]).groupby("region"):
        report = service.report(ReportQuery(region=region, start=local_day.isoformat(),
                                            end=(local_day + timedelta(days=1)).isoformat(), granularity="hour"))
        hours = {p.local_start: p.visitors for p in report.series if p.visitors}
        assert hours == {h: int(n) for h, n in in_region.groupby("local_hour")["visitors"].sum().items() if n}


def test_the_daylight_saving_day_has_25_local_hours_for_european_stores(day) -> None:
    local_day, _, service = day
    report = service.report(ReportQuery(region="Nordics", start=local_day.isoformat(),
                                        end=(local_day + timedelta(days=1)).isoformat(), granularity="hour"))
    assert report.windows == (25 if local_day == date(2026, 10, 25) else 24)
