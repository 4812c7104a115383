"""The semantic model generator: store-local time from zoneinfo, fact tables from the contracts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from footfall.powerbi.access import AccessGroup
from footfall.powerbi.model import (
    DOC_TABLES,
    TIME_ZONE_YEARS,
    doc_table_m,
    measures,
    offset_periods,
    role_filter,
    time_zone_offsets_m,
)
from functions.aggregates import DOC_TYPES


def local_by_periods(periods: list[tuple[datetime, int]], utc: datetime) -> datetime:
    """What the model's ToLocalTime does: the offset of the last period starting at or before ``utc``."""
    minutes = [m for start, m in periods if start <= utc][-1]
    return utc + timedelta(minutes=minutes)


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kathmandu",
                                  "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns"])
def test_offset_periods_give_the_local_time_zoneinfo_gives(zone: str) -> None:
    periods = offset_periods(zone)
    rng = random.Random(zone)
    start = datetime(TIME_ZONE_YEARS[0], 1, 1, tzinfo=UTC)
    span = int((datetime(TIME_ZONE_YEARS[1], 1, 1, tzinfo=UTC) - start).total_seconds() // 60)
    instants = [start + timedelta(minutes=rng.randrange(span)) for _ in range(2000)]
    instants += [at + timedelta(minutes=d) for at, _ in periods[1:] for d in (-1, 0, 1)]  # around each change
    for at in instants:
        expected = at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        assert local_by_periods(periods, at).replace(tzinfo=None) == expected, (zone, at)


def test_a_zone_without_daylight_saving_has_one_period_and_london_two_changes_a_year() -> None:
    assert offset_periods("Asia/Kathmandu") == [(datetime(2024, 1, 1, tzinfo=UTC), 345)]
    london = offset_periods("Europe/London")
    assert len(london) == 1 + 2 * (TIME_ZONE_YEARS[1] - TIME_ZONE_YEARS[0])
    assert london[1] == (datetime(2024, 3, 31, 1, 0, tzinfo=UTC), 60)


def test_time_zone_offsets_are_a_power_query_record_of_the_zones() -> None:
    text = time_zone_offsets_m(["Asia/Kathmandu", "Europe/London", "Asia/Kathmandu"])
    assert text.splitlines()[0] == "[" and text.splitlines()[-1] == "]"
    assert '#"Asia/Kathmandu" = {{#datetime(2024, 1, 1, 0, 0, 0), 345}},' in text
    assert '#"Europe/London" = {{#datetime(2024, 1, 1, 0, 0, 0), 0}, {#datetime(2024, 3, 31, 1, 0, 0), 60},' in text


@pytest.mark.parametrize("table", DOC_TABLES, ids=lambda t: t.doc_type)
def test_each_fact_query_reads_its_documents_in_the_refresh_range(table) -> None:
    query = doc_table_m(table)
    field = table.range_field
    assert f'each [doc_type] = "{table.doc_type}" and [{field}] >= From and [{field}] < Until' in query
    assert "RangeStart" in query and "RangeEnd" in query
    for column in DOC_TYPES[table.doc_type]:
        assert f'"{column.name}"' in query
    assert query.rstrip().endswith(table.derived[-1].name.title().replace("_", ""))


def test_role_filters_name_regions_and_stores() -> None:
    both = AccessGroup(group_id="00000000-0000-4000-8000-000000000009", name="G", regions=("UK South",),
                       stores=("S0001", "S0002"))
    assert role_filter(both) == "'Stores'[region] IN {\"UK South\"} || 'Stores'[store_id] IN {\"S0001\", \"S0002\"}"
    nothing = AccessGroup(group_id="00000000-0000-4000-8000-000000000009", name="G", regions=(), stores=())
    assert role_filter(nothing) == "FALSE()"


def test_every_measure_has_a_description_and_a_folder() -> None:
    for m in measures():
        assert m.description and m.folder, m.name


def test_the_check_command_finds_nothing_wrong_with_the_committed_project(capsys: pytest.CaptureFixture[str]) -> None:
    from footfall.powerbi.__main__ import main

    assert main(["check"]) == 0
    assert capsys.readouterr().out.strip() == "0 problem(s) in powerbi"
