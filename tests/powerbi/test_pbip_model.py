"""The committed Power BI project: generated from the contracts, every reference resolves, and the
model's fact tables are the documents the Stream Analytics job writes to Cosmos DB.

A broken measure, a renamed column or a visual that names a missing field makes these checks fail
(proved below on copies of the committed files).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from footfall.powerbi.access import groups, read_rows
from footfall.powerbi.model import (
    DEFINITION_DIR,
    DOC_TABLES,
    POWERBI_DIR,
    REPORT_DEFINITION_DIR,
    STORE_WINDOWS,
    TMDL_TYPES,
    document_mismatches,
    measures,
)
from footfall.powerbi.project import GENERATED_DIRS, render
from footfall.powerbi.report import PAGES, missing_fields
from footfall.powerbi.tmdl import SemanticModel, check, dax_references, read_model, split_qualified
from footfall.simulate.stores import load_stores
from functions.aggregates import DOC_TYPES, STORE_WINDOW
from functions.contracts import DEFAULT_K

GENERATE = "`python -m footfall.powerbi generate`"


@pytest.fixture(scope="module")
def model() -> SemanticModel:
    return read_model(DEFINITION_DIR)


def test_the_committed_project_is_what_the_contracts_generate() -> None:
    expected = render()
    for relative, text in expected.items():
        path = POWERBI_DIR / relative
        assert path.exists(), f"{relative} missing: run {GENERATE}"
        assert path.read_text(encoding="utf-8") == text, f"{relative} is stale: run {GENERATE}"
    generated = {p.relative_to(POWERBI_DIR).as_posix() for d in GENERATED_DIRS for p in (POWERBI_DIR / d).rglob("*")
                 if p.is_file() and ".pbi" not in p.parts}
    assert generated - set(expected) == set(), f"files no generator writes: run {GENERATE}"


def test_every_reference_in_the_model_resolves(model: SemanticModel) -> None:
    assert check(model) == []


def test_the_fact_tables_are_the_documents_the_job_writes(model: SemanticModel) -> None:
    assert document_mismatches(model) == []
    assert {t.doc_type for t in DOC_TABLES} == set(DOC_TYPES)
    for spec in DOC_TABLES:
        table = model.tables[spec.name]
        documents = DOC_TYPES[spec.doc_type]
        fields = [c for c in table.columns.values() if c.source_column in {col.name for col in documents}]
        assert [(c.name, c.data_type) for c in fields] == [(c.name, TMDL_TYPES[c.type]) for c in documents]


def test_every_field_of_every_visual_is_in_the_model(model: SemanticModel) -> None:
    assert missing_fields(REPORT_DEFINITION_DIR, model) == []
    assert {p.name for p in PAGES} == {"overview", "store", "comparison", "demographics"}


def test_k_is_a_model_parameter_with_the_projects_default(model: SemanticModel) -> None:
    k = model.expressions["K"].value or ""
    assert re.match(rf"{DEFAULT_K} meta \[IsParameterQuery = true, Type = \"Number\"", k)
    assert model.tables["Parameters"].measures["k"].value == "MAX('Parameters'[k_anonymity])"


def test_every_demographic_measure_counts_only_published_windows_and_is_blank_below_k(model: SemanticModel) -> None:
    table = model.tables[STORE_WINDOWS.name]
    published = "'Store windows'[suppressed] = FALSE(), 'Store windows'[visit_faces] >= kValue"
    assert published in (table.measures["Published faces"].value or "")
    demographic = [c for c in STORE_WINDOW if c.role == "demographic"]
    counted = {r.name for m in table.measures.values() for r in dax_references(m.value or "")
               if r.table == STORE_WINDOWS.name and r.name in {c.name for c in demographic}}
    assert counted == {c.name for c in demographic}, "every demographic column has its measure"
    for m in table.measures.values():
        text = m.value or ""
        if any(f"'Store windows'[{c.name}]" in text for c in demographic):
            assert published in text and "IF(faces >= kValue" in text, m.name
    for name in ("Visitors", "Exits", "Photos", "Visit faces"):
        assert "suppressed" not in (table.measures[name].value or ""), "totals sum everything"


def test_rls_roles_are_the_access_groups_and_filter_the_stores(model: SemanticModel) -> None:
    expected = groups(read_rows(), load_stores())
    assert set(model.roles) == {g.name for g in expected}
    for group in expected:
        role = model.roles[group.name]
        assert role.properties["modelPermission"] == "read"
        [permission] = list(role.child("tablePermission"))
        assert permission.name == "Stores"
        quoted = set(re.findall(r'"([^"]+)"', permission.value or ""))
        assert quoted == set(group.regions) | set(group.stores)


def test_relationships_filter_every_fact_table_from_stores_and_dates(model: SemanticModel) -> None:
    pairs = {(split_qualified(r.properties["fromColumn"]), split_qualified(r.properties["toColumn"]))
             for r in model.relationships}
    for spec in DOC_TABLES:
        assert ((spec.name, "store_id"), ("Stores", "store_id")) in pairs
        assert ((spec.name, "local_date"), ("Date", "Date")) in pairs
    assert model.tables["Date"].node.properties.get("dataCategory") == "Time"


def test_measure_names_are_unique_and_every_measure_is_written(model: SemanticModel) -> None:
    names = [m.name for m in measures()]
    assert len(names) == len(set(names))
    assert set(names) == set(model.measure_names())


# --- Deliberate breakage is caught -------------------------------------------------------------


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """A copy of the committed project to break."""
    shutil.copytree(POWERBI_DIR / "Footfall.SemanticModel", tmp_path / "Footfall.SemanticModel")
    shutil.copytree(POWERBI_DIR / "Footfall.Report", tmp_path / "Footfall.Report")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_measure_naming_a_missing_column_fails(copied: Path) -> None:
    definition = copied / "Footfall.SemanticModel" / "definition"
    _edit(definition / "tables" / "Store windows.tmdl", "measure Visitors = SUM('Store windows'[visitors])",
          "measure Visitors = SUM('Store windows'[visitor])")
    problems = check(read_model(definition))
    assert problems == ["measure Store windows[Visitors]: no column or measure Store windows[visitor]"]


def test_a_measure_naming_a_missing_measure_fails(copied: Path) -> None:
    definition = copied / "Footfall.SemanticModel" / "definition"
    _edit(definition / "tables" / "Store days.tmdl", "[Visitors previous period], [Visitors previous period])",
          "[Visitors previous period], [Visitors before])")
    assert check(read_model(definition)) == [
        "measure Store days[Change vs previous period]: no measure [Visitors before]"]


def test_a_renamed_column_fails_the_references_and_the_match_with_the_documents(copied: Path) -> None:
    definition = copied / "Footfall.SemanticModel" / "definition"
    table = definition / "tables" / "Store windows.tmdl"
    _edit(table, "\tcolumn visitors\n", "\tcolumn entries\n")
    model = read_model(definition)
    assert "measure Store windows[Visitors]: no column or measure Store windows[visitors]" in check(model)
    assert any("missing ['visitors']" in p and "['entries']" in p for p in document_mismatches(model))


def test_a_relationship_or_role_on_a_missing_column_fails(copied: Path) -> None:
    definition = copied / "Footfall.SemanticModel" / "definition"
    _edit(definition / "relationships.tmdl", "toColumn: Stores.store_id", "toColumn: Stores.shop_id")
    _edit(definition / "roles" / "Footfall UK South.tmdl", "'Stores'[region]", "'Stores'[sales_region]")
    problems = check(read_model(definition))
    assert any("toColumn Stores.shop_id does not exist" in p for p in problems)
    assert "role 'Footfall UK South' on Stores: no column or measure Stores[sales_region]" in problems


def test_a_visual_naming_a_missing_measure_fails(copied: Path) -> None:
    definition = copied / "Footfall.SemanticModel" / "definition"
    report = copied / "Footfall.Report" / "definition"
    _edit(report / "pages" / "overview" / "visuals" / "overview-card-1" / "visual.json",
          '"Property": "Visitors"', '"Property": "Footfall"')
    assert missing_fields(report, read_model(definition)) == [
        "pages/overview/visuals/overview-card-1/visual.json: no measure Store windows[Footfall]"]


def test_a_document_field_the_model_lacks_fails(copied: Path) -> None:
    definition = copied / "Footfall.SemanticModel" / "definition"
    text = (definition / "tables" / "Zone windows.tmdl").read_text(encoding="utf-8")
    block = re.search(r"\t/// [^\n]*\n\tcolumn occupancy_max\n(?:\t\t[^\n]*\n)+\n", text)
    assert block is not None
    (definition / "tables" / "Zone windows.tmdl").write_text(text.replace(block.group(0), ""), encoding="utf-8")
    assert any("Zone windows: columns differ" in p and "'occupancy_max'" in p
               for p in document_mismatches(read_model(definition)))


def test_the_readme_states_the_models_history_and_refresh_window() -> None:
    from footfall.powerbi.model import HISTORY_MONTHS, REFRESH_DAYS, WINDOWS_PER_DAY

    readme = (POWERBI_DIR / "README.md").read_text(encoding="utf-8")
    assert f"loads {HISTORY_MONTHS} months" in readme and f"reloads the last {REFRESH_DAYS} days" in readme
    assert f"At {WINDOWS_PER_DAY} store windows per store per day" in readme
    for page in PAGES:
        assert f"| **{page.display_name}** |" in readme
