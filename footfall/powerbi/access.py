"""Who may read which stores: Microsoft Entra ID groups mapped to regions or stores.

``powerbi/access_groups.csv`` holds the mapping, one row per (group, region) or (group, store)::

    group_id,group_name,scope,value
    <Entra group object id>,Footfall US Northeast,region,US Northeast
    <Entra group object id>,Footfall Oxford Street,store,S0007

A group reads the union of its rows. The Power BI model gets one row-level security role per group
(named after ``group_name``, filtering ``Stores`` to its regions and stores); in the Power BI service
the group itself is made the member of the role of its name. The reports API's group mapping (issue
12) is meant to read the same file, so that a manager sees the same stores in both.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.contracts import ID_PATTERN, StoreRecord

ACCESS_GROUPS_CSV = Path(__file__).resolve().parents[2] / "powerbi" / "access_groups.csv"

Scope = Literal["region", "store"]


class AccessGroupRow(BaseModel):
    """One row of ``access_groups.csv``: a group may read one region or one store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    group_id: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        description="The Microsoft Entra ID group's object id (as App Service authentication sends it in the "
        "groups claim).",
    )
    group_name: str = Field(
        min_length=1, max_length=100, pattern=r"^[^'\"\[\]]+$",
        description="A readable name; the Power BI role of this group has this name.",
    )
    scope: Scope = Field(description="``region``: every store of a region; ``store``: one store.")
    value: str = Field(min_length=1, max_length=200, description="The region name or the store id.")


class AccessGroup(BaseModel):
    """One Entra group and every region and store it may read."""

    model_config = ConfigDict(frozen=True)

    group_id: str
    name: str
    regions: tuple[str, ...] = Field(description="Regions (stores.csv ``region``) the group may read.")
    stores: tuple[str, ...] = Field(description="Single stores (``store_id``) the group may read.")


def read_rows(path: Path = ACCESS_GROUPS_CSV) -> list[AccessGroupRow]:
    """The rows of an access groups file."""
    with path.open(newline="", encoding="utf-8") as f:
        return [AccessGroupRow.model_validate(row) for row in csv.DictReader(f)]


def groups(rows: Iterable[AccessGroupRow], stores: Iterable[StoreRecord]) -> list[AccessGroup]:
    """The groups of ``rows``, each with its regions and stores, checked against the reference stores.

    Raises ``ValueError`` for a region or store that ``stores.csv`` does not list, and for one group id
    under two names (or one name for two group ids): a role must mean one group.
    """
    known = list(stores)
    regions = {s.region for s in known}
    store_ids = {s.store_id for s in known}
    by_id: dict[str, tuple[str, list[str], list[str]]] = {}
    names: dict[str, str] = {}
    for row in rows:
        if row.scope == "region" and row.value not in regions:
            raise ValueError(f"access group {row.group_name!r}: no region {row.value!r} in stores.csv")
        if row.scope == "store" and (not re.fullmatch(ID_PATTERN, row.value) or row.value not in store_ids):
            raise ValueError(f"access group {row.group_name!r}: no store {row.value!r} in stores.csv")
        if names.setdefault(row.group_name, row.group_id) != row.group_id:
            raise ValueError(f"access group name {row.group_name!r} is used by two group ids")
        name, region_list, store_list = by_id.setdefault(row.group_id, (row.group_name, [], []))
        if name != row.group_name:
            raise ValueError(f"group {row.group_id} is named both {name!r} and {row.group_name!r}")
        (region_list if row.scope == "region" else store_list).append(row.value)
    return [
        AccessGroup(group_id=gid, name=name, regions=tuple(sorted(set(r))), stores=tuple(sorted(set(s))))
        for gid, (name, r, s) in by_id.items()
    ]
