"""Fixtures for the engine tests: run a query text over in-memory events."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from footfall.asa import Engine, InputSource, JobConfig

Rows = list[dict]
RunQuery = Callable[..., dict[str, Rows]]


@pytest.fixture
def run_query(tmp_path: Path) -> RunQuery:
    """``run_query(sql, events=[...], stores=[...], job=JobConfig(...), **other_streams)`` -> outputs."""
    counter = iter(range(10_000))

    def _run(sql: str, events: Rows | None = None, stores: Rows | None = None,
             job: JobConfig | None = None, **streams: Rows) -> dict[str, Rows]:
        sources: dict[str, InputSource] = {}
        for alias, rows in {"input": events or [], **streams}.items():
            path = tmp_path / f"{alias}-{next(counter)}.json"
            path.write_text("".join(json.dumps(r) + "\n" for r in rows))
            sources[alias] = InputSource(alias=alias, path=path)
        if stores is not None:
            path = tmp_path / f"stores-{next(counter)}.csv"
            cols = list(stores[0])
            path.write_text(",".join(cols) + "\n" + "".join(",".join(str(r[c]) for c in cols) + "\n" for r in stores))
            sources["stores"] = InputSource(alias="stores", path=path, format="Csv", is_reference=True)
        return Engine(sql, job or JobConfig()).run(sources)

    return _run
