"""Access groups: Entra groups mapped to regions and stores, checked against stores.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.powerbi.access import ACCESS_GROUPS_CSV, AccessGroupRow, groups, read_rows
from footfall.simulate.stores import load_stores

HEADER = "group_id,group_name,scope,value\n"
G1 = "00000000-0000-4000-8000-000000000001"
G2 = "00000000-0000-4000-8000-000000000002"


def write(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "access_groups.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_the_committed_mapping_names_only_known_regions_and_stores() -> None:
    found = groups(read_rows(ACCESS_GROUPS_CSV), load_stores())
    assert found and all(g.regions or g.stores for g in found)


def test_a_group_reads_the_union_of_its_rows(tmp_path: Path) -> None:
    path = write(tmp_path, f"{G1},Managers,region,UK South\n{G1},Managers,store,S0001\n{G1},Managers,region,UK South\n")
    [group] = groups(read_rows(path), load_stores())
    assert (group.group_id, group.name, group.regions, group.stores) == (G1, "Managers", ("UK South",), ("S0001",))


@pytest.mark.parametrize(("rows", "message"), [
    (f"{G1},Managers,region,Atlantis\n", "no region 'Atlantis'"),
    (f"{G1},Managers,store,S9999\n", "no store 'S9999'"),
    (f"{G1},Managers,region,UK South\n{G1},Other,region,UK South\n", "named both"),
    (f"{G1},Managers,region,UK South\n{G2},Managers,region,UK South\n", "used by two group ids"),
])
def test_a_mapping_that_names_what_does_not_exist_is_refused(tmp_path: Path, rows: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        groups(read_rows(write(tmp_path, rows)), load_stores())


@pytest.mark.parametrize("row", [
    {"group_id": "not-a-guid", "group_name": "G", "scope": "region", "value": "UK South"},
    {"group_id": G1, "group_name": "G's", "scope": "region", "value": "UK South"},
    {"group_id": G1, "group_name": "G", "scope": "city", "value": "London"},
])
def test_rows_are_validated(row: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        AccessGroupRow.model_validate(row)
