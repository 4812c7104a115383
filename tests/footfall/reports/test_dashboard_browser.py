"""The web dashboard in headless Debian Chromium, driven by Playwright, over a filled report store.

Expectations are computed from the people behind the fleet fixture, not from the report code.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from fleet import window_start

from footfall.azurite import free_port
from footfall.reports.server import DashboardServer, serve_dashboard
from footfall.reports.store import ReportStore

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory, fleet) -> Iterator[tuple[DashboardServer, Any]]:
    """The dashboard on a free loopback port over a store the fleet day was written to."""
    path = tmp_path_factory.mktemp("dashboard") / "reports.duckdb"
    ReportStore(path).write_output("store_windows", fleet.rows)
    ReportStore(path).write_output("zone_windows", fleet.zone_rows)
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
    yield page
    page.close()
    assert errors == [], errors


def shown(page: Page, chart: str) -> tuple[str, Any]:
    """The state and the data a chart shows (``data-state``, ``data-values``)."""
    figure = page.locator(f'[data-chart="{chart}"]')
    values = figure.get_attribute("data-values")
    return figure.get_attribute("data-state"), json.loads(values) if values else None


def choose(page: Page, control: str, value: str, expect_in_query: str) -> None:
    """Pick a filter value and wait until the report for it is drawn."""
    page.select_option(f"#filter-{control}", value)
    page.wait_for_function(
        "q => document.body.dataset.status === 'ready' && (document.body.dataset.query || '').includes(q)",
        arg=expect_in_query, timeout=15_000,
    )


def per_hour(visits) -> list[int]:
    """Visitors per hour (07:00-19:00 UTC), by the (start, end] windows of their entry."""
    hours = Counter(window_start(v.entered).hour for v in visits)
    return [hours[h] for h in range(7, 19)]


def gender_of(visits) -> dict[str, int]:
    genders = [v.face[0] for v in visits]
    return {"female": genders.count("female"), "male": genders.count("male"), "unknown": genders.count(None)}


def test_switching_region_and_store_filters_redraws_the_charts(page: Page, dashboard, artifacts_dir: Path) -> None:
    _, fleet = dashboard

    # The whole fleet: one bar per hour, every visitor counted once, at the door.
    state, visitors = shown(page, "visitors")
    assert state == "ready"
    assert visitors["visitors"][:12] == per_hour(fleet.visits) and visitors["total"] == len(fleet.visits)
    assert page.locator("#tile-visitors").inner_text() == f"{len(fleet.visits):,}"
    assert page.locator("#tile-faces").inner_text() == f"{len(fleet.faces_where()):,}"

    # Region Nordics: its hours, its cities, and the gender split of its published visits.
    choose(page, "region", "Nordics", "region=Nordics")
    nordics = fleet.visits_where(region="Nordics")
    assert shown(page, "visitors")[1]["visitors"][:12] == per_hour(nordics)
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
    assert len(shown(page, "visitors")[1]["visitors"]) == len(fleet.rows_where(store_id="S0101"))
    zones = page.locator("#zones tbody tr")
    assert zones.evaluate_all("rows => rows.map(r => [r.dataset.zone, Number(r.dataset.visits)])") == [
        [zone, sum(z["visits"] for z in fleet.zone_rows if z["store_id"] == "S0101" and z["zone"] == zone)]
        for zone in ("floor", "tills")]
    page.screenshot(path=str(artifacts_dir / "dashboard-store.png"), full_page=True)


def test_date_range_outside_the_data_shows_no_windows(page: Page) -> None:
    page.fill("#filter-from", "2026-11-24")
    page.fill("#filter-to", "2026-11-24")
    page.wait_for_function("document.body.dataset.status === 'ready' && document.body.dataset.query.includes('2026-11-24')")
    state, visitors = shown(page, "visitors")
    assert state == "empty" and visitors["total"] == 0
    assert shown(page, "gender")[0] == "suppressed"  # no visits at all: nothing may be shown
    page.click("#filter-reset")
    page.wait_for_function("document.body.dataset.status === 'ready' && document.body.dataset.query.includes('2026-11-23')")
    assert shown(page, "visitors")[1]["total"] > 0


def test_a_dashboard_opened_before_the_data_fills_in_as_it_arrives(browser: Browser, tmp_path: Path, fleet) -> None:
    """`footfall demo` serves the dashboard first and writes windows as the job produces them."""
    path = tmp_path / "reports.duckdb"
    store = ReportStore(path)
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
            assert page.locator("#filter-from").input_value() == "2026-11-23"
        finally:
            page.close()
