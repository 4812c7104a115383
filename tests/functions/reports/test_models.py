"""The report row models: built from the column lists, and typed for mypy by their bases.

The bases declare, for mypy only (``if TYPE_CHECKING:``), the fields code reads by name. Nothing at
run time checks those declarations, so this test does: each must name a field of the built model with
the type create_model gave it, or strict mypy would be checking a fiction.
"""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.reports import models
from functions.reports.models import OUTPUT_MODELS, StoreDay, StoreWindow, ZoneWindow

BASES = {StoreWindow: models._StoreWindowBase, ZoneWindow: models._ZoneWindowBase, StoreDay: models._StoreDayBase}


def declared_for_mypy(base: type) -> dict[str, str]:
    """The annotations inside ``if TYPE_CHECKING:`` in the bodies of ``base`` and of the bases it inherits
    from :mod:`functions.reports.models`, as written."""
    found: dict[str, str] = {}
    for klass in reversed(base.__mro__):
        if klass.__module__ != models.__name__:
            continue
        tree = ast.parse(inspect.getsource(klass))
        (cls,) = tree.body
        assert isinstance(cls, ast.ClassDef)
        for node in cls.body:
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                for item in node.body:
                    assert isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                    found[item.target.id] = ast.unparse(item.annotation)
    return found


def runtime_type(annotation: Any) -> str:
    """A field annotation as it would be written: ``str | None``, ``datetime``, ``int``."""
    if isinstance(annotation, type):
        return annotation.__name__
    return " | ".join("None" if a is type(None) else a.__name__ for a in annotation.__args__)


@pytest.mark.parametrize("model", list(BASES), ids=lambda m: m.__name__)
def test_fields_declared_for_mypy_are_the_built_fields(model: Any) -> None:
    declared = declared_for_mypy(BASES[model])
    assert declared, "the base declares the fields code reads by name"
    built = {name: runtime_type(info.annotation) for name, info in model.model_fields.items()}
    assert {name: built.get(name) for name in declared} == declared


def test_every_output_model_is_built_on_its_typed_base() -> None:
    assert {alias: model.__mro__[1] for alias, model in OUTPUT_MODELS.items()} == {
        "store_windows": models.StoreWindowRow, "zone_windows": models.ZoneWindowRow,
        "store_days": models.StoreDayRow}


def test_row_ids_read_the_declared_fields() -> None:
    end = datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    assert StoreWindow.model_construct(store_id="S0001", window_end=end).row_id() == "S0001|2026-11-23T08:15:00.000Z"
    zone = ZoneWindow.model_construct(store_id="S0001", zone="tills", window_end=end)
    assert zone.row_id() == "S0001|tills|2026-11-23T08:15:00.000Z"
    assert StoreDay.model_construct(store_id="S0001", date="2026-11-23").row_id() == "S0001|2026-11-23"
