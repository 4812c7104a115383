"""The stores a simulated day covers, from the Stream Analytics reference data ``stores.csv``."""

from __future__ import annotations

import csv
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from footfall.paths import REPO_ROOT
from functions.contracts import ID_PATTERN

DEFAULT_STORES_CSV = REPO_ROOT / "stream_analytics" / "stores.csv"
UNKNOWN_STORE_ID = "S9999"
"""A well-formed store id that ``stores.csv`` does not list: the unknown-store upload uses it."""


class Store(BaseModel):
    """One row of ``stores.csv``."""

    store_id: str = Field(pattern=ID_PATTERN)
    store_name: str
    city: str
    country: str
    region: str
    time_zone: str

    @property
    def tz(self) -> ZoneInfo:
        """The store's time zone."""
        return ZoneInfo(self.time_zone)


def load_stores(path: Path = DEFAULT_STORES_CSV) -> list[Store]:
    """Every store in the CSV, in file order."""
    with open(path, newline="", encoding="utf-8") as f:
        return [Store.model_validate(row) for row in csv.DictReader(f)]


def pick_stores(stores: list[Store], count: int) -> list[Store]:
    """``count`` stores spread over as many regions as possible: one per region in turn."""
    by_region: dict[str, list[Store]] = {}
    for store in stores:
        by_region.setdefault(store.region, []).append(store)
    picked: list[Store] = []
    while len(picked) < min(count, len(stores)):
        for region in sorted(by_region):
            if by_region[region] and len(picked) < count:
                picked.append(by_region[region].pop(0))
    return picked
