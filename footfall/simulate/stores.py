"""The stores a simulated day covers, from the Stream Analytics reference data ``stores.csv``."""

from __future__ import annotations

import csv
from pathlib import Path

from footfall.paths import REPO_ROOT
from functions.contracts import StoreRecord

DEFAULT_STORES_CSV = REPO_ROOT / "stream_analytics" / "stores.csv"
UNKNOWN_STORE_ID = "S9999"
"""A well-formed store id that ``stores.csv`` does not list: the unknown-store upload uses it."""


Store = StoreRecord
"""A store of the simulated day: a row of ``stores.csv`` (the contract's :class:`StoreRecord`)."""


def load_stores(path: Path = DEFAULT_STORES_CSV) -> list[Store]:
    """Every store in the CSV, in file order."""
    with open(path, newline="", encoding="utf-8") as f:
        return [StoreRecord.model_validate(row) for row in csv.DictReader(f)]


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
