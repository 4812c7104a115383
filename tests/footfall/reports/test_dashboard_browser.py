"""The web dashboard in headless Debian Chromium, driven by Playwright, over a filled report database.

Expectations are computed from the people behind the fleet fixture, not from the report code.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fleet import REFERENCE, shifted, window_start
from playwright.sync_api import Browser, Page, sync_playwright

from footfall.azurite import free_port
from footfall.reports.database import ReportDatabase
from footfall.reports.server import DashboardServer, serve_dashboard

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory, fleet) -> Iterator[tuple[DashboardServer, Any]]:
    """The dashboard on a free loopback port over a store holding the fleet day (2026-11-23) and the same
    windows a week earlier (2026-11-16), for comparisons."""
    path = tmp_path_factory.mktemp("dashboard") / "reports.duckdb"
    ReportDatabase(path, k=5).write_output("store_windows", fleet.rows + shifted(fleet.rows, -7))
    ReportDatabase(path, k=5).write_output("zone_windows", fleet.zone_rows)
    server = serve_dashboard(path, "127.0.0.1", free_port(), k=5)
    try:
        yield server, fleet
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, dashboard) -> Iterator[Page]:
    server, _ = dashboard
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url}"))
    page.goto(server.url)
    page.wait_for_selector("body[data-status=ready]", timeout=15_000)
    page.wait_for_function("() => document.getElementById('filter-from').value === '2026-11-17'")
    page.fill("#filter-from", "2026-11-23")  # the fleet day
    settled(page, "start=2026-11-23")
    yield page
    page.close()
    assert errors == [], errors


def shown(page: Page, chart: str) -> tuple[str, Any]:
    """The state and the data a chart shows (``data-state``, ``data-values``)."""
    figure = page.locator(f'[data-chart="{chart}"]')
    values = figure.get_attribute("data-values")
    return figure.get_attribute("data-state"), json.loads(values) if values else None


def settled(page: Page, expect_in_query: str) -> None:
    """Wait until the report whose query holds ``expect_in_query`` is drawn."""
    page.wait_for_function(
        "q => document.body.dataset.status === 'ready' && (document.body.dataset.query || '').includes(q)",
        arg=expect_in_query, timeout=15_000,
    )


def choose(page: Page, control: str, value: str, expect_in_query: str) -> None:
    """Pick a filter value and wait until the report for it is drawn."""
    page.select_option(f"#filter-{control}", value)
    page.wait_for_function(
        "q => document.body.dataset.status === 'ready' && (document.body.dataset.query || '').includes(q)",
        arg=expect_in_query, timeout=15_000,
    )


def per_hour(visits) -> list[int]:
    """Visitors per store-local hour 00-23 of the fleet day, by the (start, end] windows of their entry."""
    hours = Counter(window_start(v.entered).astimezone(ZoneInfo(REFERENCE[v.store_id]["time_zone"] or "UTC")).hour
                    for v in visits)
    return [hours[h] for h in range(24)]


def gender_of(visits) -> dict[str, int]:
    genders = [v.face[0] for v in visits]
    return {"female": genders.count("female"), "male": genders.count("male"), "unknown": genders.count(None)}


def test_switching_region_and_store_filters_redraws_the_charts(page: Page, dashboard, artifacts_dir: Path) -> None:
    _, fleet = dashboard

    # The whole fleet: one bar per hour, every visitor counted once, at the door.
    state, visitors = shown(page, "visitors")
    assert state == "ready"
    assert visitors["visitors"] == per_hour(fleet.visits) and visitors["total"] == len(fleet.visits)
    assert visitors["local_starts"][8] == "2026-11-23T08:00"
    assert page.locator("#time-basis").inner_text() == "each store's local time (6 zones)"
    assert page.locator("#tile-visitors").inner_text() == f"{len(fleet.visits):,}"
    assert page.locator("#tile-faces").inner_text() == f"{len(fleet.faces_where()):,}"

    # Region Nordics: its hours, its cities, and the gender split of its published visits.
    choose(page, "region", "Nordics", "region=Nordics")
    nordics = fleet.visits_where(region="Nordics")
    assert shown(page, "visitors")[1]["visitors"] == per_hour(nordics)
    published = fleet.published_faces(region="Nordics")
    assert shown(page, "gender") == ("ready", gender_of(published))
    state, ages = shown(page, "age")
    assert state == "ready" and sum(ages.values()) == len(published)
    assert "Female" in page.locator('[data-chart="gender"]').text_content()  # labels from /api/meta
    cities = page.locator("#groups tbody tr")
    assert cities.evaluate_all("rows => rows.map(r => [r.dataset.key, Number(r.dataset.visitors)])") == [
        ["Oslo", len(fleet.visits_where(city="Oslo"))], ["Stockholm", len(fleet.visits_where(city="Stockholm"))]]
    assert page.locator("#filter-city option").all_inner_texts() == ["All cities", "Oslo (NO)", "Stockholm (SE)"]
    page.screenshot(path=str(artifacts_dir / "dashboard.png"), full_page=True)

    # A store with fewer than k visit faces in every window: shown as suppressed, never as zero.
    choose(page, "store", "S0004", "store_id=S0004")
    kiosk = fleet.visits_where(store_id="S0004")
    assert page.locator("#filter-city").input_value() == "Oslo"
    state, visitors = shown(page, "visitors")
    assert visitors["total"] == len(kiosk)
    assert visitors["suppressed_faces"] == visitors["visit_faces"]
    for chart in ("gender", "age", "emotions"):
        assert shown(page, chart) == ("suppressed", None)
        assert "Suppressed" in page.locator(f'[data-chart="{chart}"]').text_content()
    assert page.locator("#tile-happy").inner_text() == "suppressed"
    report = json.loads(page.locator("#report-data").inner_text())
    assert report["suppressed"] is True and report["demographics"] is None
    page.screenshot(path=str(artifacts_dir / "dashboard-suppressed.png"), full_page=True)

    # A busy store in another region: its published 15-minute windows only, and its zones.
    choose(page, "region", "Iberia", "region=Iberia")
    choose(page, "store", "S0101", "store_id=S0101")
    published_rows = [r for r in fleet.rows_where(store_id="S0101") if not r["suppressed"]]
    state, gender = shown(page, "gender")
    assert state == "ready"
    assert gender == {"female": sum(r["gender_female"] for r in published_rows),
                      "male": sum(r["gender_male"] for r in published_rows),
                      "unknown": sum(r["gender_unknown"] for r in published_rows)}
    assert len(shown(page, "visitors")[1]["visitors"]) == 24  # the local hours of the day
    assert page.locator("#time-basis").inner_text() == "Europe/Madrid"
    zones = page.locator("#zones tbody tr")
    assert zones.evaluate_all("rows => rows.map(r => [r.dataset.zone, Number(r.dataset.visits)])") == [
        [zone, sum(z["visits"] for z in fleet.zone_rows if z["store_id"] == "S0101" and z["zone"] == zone)]
        for zone in ("floor", "tills")]
    cells = "r => [...r.cells].map(c => [c.className, c.textContent])"
    name, visits, dwell, occupancy_mean, occupancy_max = zones.first.evaluate(cells)
    assert name == ["", "floor"] and [visits[0], dwell[0], occupancy_mean[0], occupancy_max[0]] == ["num"] * 4
    assert dwell[1].endswith(" min") or dwell[1] == "–"
    page.screenshot(path=str(artifacts_dir / "dashboard-store.png"), full_page=True)


def test_date_range_outside_the_data_shows_no_windows(page: Page) -> None:
    page.fill("#filter-from", "2026-11-24")
    page.fill("#filter-to", "2026-11-24")
    settled(page, "2026-11-24")
    state, visitors = shown(page, "visitors")
    assert state == "empty" and visitors["total"] == 0
    assert shown(page, "gender")[0] == "suppressed"  # no visits at all: nothing may be shown
    page.click("#filter-reset")  # back to the last week of data
    settled(page, "start=2026-11-17")
    assert shown(page, "visitors")[1]["total"] > 0


def test_a_dashboard_opened_before_the_data_fills_in_as_it_arrives(browser: Browser, tmp_path: Path, fleet) -> None:
    """`footfall demo` serves the dashboard first and writes windows as the job produces them."""
    path = tmp_path / "reports.duckdb"
    store = ReportDatabase(path)
    with serve_dashboard(path, "127.0.0.1", 0) as server:
        page = browser.new_page()
        try:
            page.goto(f"{server.url}/?refresh=1")
            page.wait_for_selector("body[data-status=ready]", timeout=15_000)
            assert shown(page, "visitors")[0] == "empty"
            assert page.locator("#filter-region option").all_inner_texts() == ["All regions"]

            store.write_output("store_windows", fleet.rows_where(region="Benelux"))
            page.wait_for_function(
                "() => [...document.querySelectorAll('#filter-region option')].some(o => o.value === 'Benelux')",
                timeout=15_000)
            page.wait_for_function(
                "() => JSON.parse(document.querySelector('[data-chart=visitors]').dataset.values).total > 0",
                timeout=15_000)
            assert shown(page, "visitors")[1]["total"] == len(fleet.visits_where(region="Benelux"))
            assert page.locator("#filter-to").input_value() == "2026-11-23"
        finally:
            page.close()


def test_a_store_manager_switches_to_days_compares_with_last_week_and_exports(
        page: Page, dashboard, artifacts_dir: Path, tmp_path: Path) -> None:
    """Acceptance, as a new user would: pick a store, switch to days, compare with the previous period, export."""
    _, fleet = dashboard
    choose(page, "store", "S0001", "store_id=S0001")
    page.fill("#filter-from", "2026-11-17")
    settled(page, "start=2026-11-17")
    choose(page, "granularity", "day", "granularity=day")
    choose(page, "compare", "previous_period", "compare=previous_period")

    day = len(fleet.visits_where(store_id="S0001"))
    state, visitors = shown(page, "visitors")
    assert state == "ready"
    assert visitors["periods"] == [f"2026-11-{d}" for d in range(17, 24)]
    assert visitors["visitors"] == [0] * 6 + [day]
    assert visitors["previous_periods"] == [f"2026-11-{d:02d}" for d in range(10, 17)]
    assert visitors["previous"] == [0] * 6 + [day]  # the same people a week earlier
    assert page.locator("#change-visitors").inner_text() == "0.0% vs previous period"
    assert page.locator("#tile-compare").inner_text() == f"{day:,} visitors"
    # Occupancy and dwell from the door counts: the average visit is close to the people's real visits.
    true_dwell = sum((v.left - v.entered).total_seconds() for v in fleet.visits_where(store_id="S0001")) / day
    shown_dwell = float(page.locator("#tile-dwell").inner_text().removesuffix(" min")) * 60
    assert abs(shown_dwell - true_dwell) / true_dwell < 0.05
    assert int(page.locator("#tile-peak").inner_text()) > 0
    state, flow = shown(page, "flow")
    assert state == "ready" and flow["measure"] == "avg_dwell_minutes" and flow["values"][-1] > 0
    # Busiest times: the weekday x local-hour grid of the range (one Monday in it: 2026-11-23).
    state, heat = shown(page, "heatmap")
    assert state == "ready"
    at_18 = sum(1 for v in fleet.visits_where(store_id="S0001")
                if window_start(v.entered).astimezone(ZoneInfo("Europe/Stockholm")).hour == 18)
    assert [c[2] for c in heat["cells"] if c[0] == 1 and c[1] == 18] == [at_18]
    assert sum(c[2] for c in heat["cells"]) == day
    assert "Mon 18:00 (local)" in page.locator('[data-chart="heatmap"] rect.busiest title').text_content()
    page.screenshot(path=str(artifacts_dir / "dashboard-compare.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#export-csv")
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(saved.open(encoding="utf-8")))
    current = [r for r in rows if r["series"] == "current" and r["period"] != "total"]
    assert [r["period"] for r in current] == visitors["periods"]
    assert [int(r["visitors"]) for r in current] == visitors["visitors"]
    assert {r["series"] for r in rows} == {"current", "previous_period", "change_pct"}
    suppressed = [r for r in current if r["suppressed"] == "True"]
    assert suppressed and all(r["gender_female"] == "" for r in suppressed)  # empty, never zero


def test_a_region_shows_its_top_and_bottom_stores(page: Page, dashboard) -> None:
    _, fleet = dashboard
    choose(page, "region", "Nordics", "region=Nordics")
    ranking = page.locator("#ranking tbody tr")
    rows = ranking.evaluate_all(
        "rows => rows.map(r => [r.dataset.position, r.dataset.store, Number(r.dataset.visitors)])")
    by_visitors = sorted(("S0001", "S0002", "S0003", "S0004"), key=lambda s: -len(fleet.visits_where(store_id=s)))
    assert [r[1] for r in rows if r[0] == "top"] == by_visitors[:3]
    assert [r[1] for r in rows if r[0] == "bottom"] == [by_visitors[3]]  # the rest, fewest first
    numbers = ranking.first.evaluate("r => [...r.cells].map(c => c.className === 'num')")
    assert numbers == [False, False, False, True, True]  # rank, store, city; visitors, dwell
    assert page.locator("#ranking-title").inner_text() == "Top and bottom stores of Nordics"


def test_k_from_the_one_setting_reaches_the_dashboard(browser: Browser, tmp_path: Path, fleet,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.settings import use_settings

    path = tmp_path / "reports.duckdb"
    ReportDatabase(path, k=9).write_output("store_windows", fleet.rows_where(region="Iberia"))
    monkeypatch.setenv("FOOTFALL_K", "9")
    use_settings(None)
    try:
        server = serve_dashboard(path, "127.0.0.1", 0)
    finally:
        use_settings(None)
    with server:
        page = browser.new_page()
        try:
            page.goto(server.url)
            page.wait_for_selector("body[data-status=ready]", timeout=15_000)
            assert page.locator("#privacy-note [data-k]").inner_text() == "9"
            assert "k=9" in page.locator("#rule").inner_text()
        finally:
            page.close()
