"""Pictures of what each Power BI page is meant to show, rendered from the local dashboard.

Power BI Desktop runs only on Windows and the service needs a tenant, so neither can run here; the
local dashboard serves the same published store windows with the same k rule. This test drives it in
headless Debian Chromium over the fleet day and saves one picture per page into
``test-artifacts/powerbi/`` (and into ``powerbi/screenshots/`` with ``FOOTFALL_UPDATE_SCREENSHOTS=1``,
which is how the README's pictures were made). It also checks that each picture shows what the page
promises.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from footfall.azurite import free_port
from footfall.powerbi.model import POWERBI_DIR
from footfall.reports.database import ReportDatabase
from footfall.reports.server import serve_dashboard

pytestmark = pytest.mark.browser

SCREENSHOTS = POWERBI_DIR / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, fleet) -> Iterator[Page]:
    path = tmp_path_factory.mktemp("powerbi-screens") / "reports.duckdb"
    ReportDatabase(path).write_output("store_windows", fleet.rows)
    ReportDatabase(path).write_output("zone_windows", fleet.zone_rows)
    server = serve_dashboard(path, "127.0.0.1", free_port(), k=5)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server.url)
            page.wait_for_selector("body[data-status=ready]", timeout=15_000)
            yield page
            browser.close()
    finally:
        server.stop()


def _pick(page: Page, control: str, value: str) -> None:
    page.select_option(f"#filter-{control}", value)
    page.wait_for_function("q => document.body.dataset.status === 'ready' && document.body.dataset.query.includes(q)",
                           arg=f"={value}", timeout=15_000)


def _save(page: Page, name: str, artifacts_dir: Path) -> None:
    target = artifacts_dir / "powerbi"
    target.mkdir(exist_ok=True)
    page.screenshot(path=str(target / name), full_page=True)
    if os.environ.get("FOOTFALL_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        shutil.copy(target / name, SCREENSHOTS / name)


def test_pictures_of_the_overview_store_and_demographics_pages(page: Page, fleet, artifacts_dir: Path) -> None:
    # Overview: every region's visitors over the day, counted at the door.
    assert page.locator("#tile-visitors").inner_text() == f"{len(fleet.visits):,}"
    assert page.locator("#groups tbody tr").count() >= 3  # the regions
    _save(page, "overview.png", artifacts_dir)

    # Store: one store's day and its zones.
    _pick(page, "region", "Iberia")
    _pick(page, "store", "S0101")
    assert page.locator("#zones tbody tr").count() == 2
    _save(page, "store.png", artifacts_dir)

    # Demographics: a region with published windows shows shares ...
    page.click("#filter-reset")
    page.wait_for_selector("body[data-status=ready]")
    _pick(page, "region", "Nordics")
    assert page.locator('[data-chart="gender"]').get_attribute("data-state") == "ready"
    _save(page, "demographics.png", artifacts_dir)

    # ... and a store with fewer than k visit faces says "suppressed", never 0.
    _pick(page, "store", "S0004")
    assert page.locator('[data-chart="gender"]').get_attribute("data-state") == "suppressed"
    assert page.locator("#tile-happy").inner_text() == "suppressed"
    _save(page, "demographics-suppressed.png", artifacts_dir)
