"""The Stream Analytics query is generated from the contracts, committed, and carries k once."""

from __future__ import annotations

import re

import pytest

from footfall.asa.script import parse_script
from footfall.stream_job import INPUTS, K_PATTERN, OUTPUTS, POWERBI_QUERY_PATH, QUERY_PATH, render, with_k
from functions.aggregates import STORE_WINDOW, ZONE_WINDOW
from functions.contracts import DEFAULT_K


def test_the_committed_queries_are_what_the_contracts_generate() -> None:
    assert QUERY_PATH.read_text(encoding="utf-8") == render(), "stale: run `footfall asa generate`"
    assert POWERBI_QUERY_PATH.read_text(encoding="utf-8") == render(powerbi=True), "stale: run `footfall asa generate`"


def test_the_power_bi_variant_only_adds_the_power_bi_output() -> None:
    plain, powerbi = parse_script(render()), parse_script(render(powerbi=True))
    assert sorted(powerbi.outputs) == sorted([*OUTPUTS, "powerbi"])
    selects = {s.name: s.select.sql() for s in powerbi.statements if s.kind == "output"}
    assert selects["powerbi"] == selects["store_windows"]
    assert [s.select.sql() for s in plain.statements] == [
        s.select.sql() for s in powerbi.statements if s.name != "powerbi"]


def test_the_query_reads_every_input_and_writes_exactly_the_published_outputs() -> None:
    script = parse_script(render())
    assert sorted(script.outputs) == sorted(OUTPUTS)
    text = render()
    for name in INPUTS:
        assert re.search(rf"\b(FROM|JOIN)\s+{name}\b", text), name


@pytest.mark.parametrize(("output", "columns"), [("store_windows", STORE_WINDOW), ("zone_windows", ZONE_WINDOW)])
def test_each_output_selects_its_contract_columns_in_order(output: str, columns: tuple) -> None:
    statement = next(s for s in parse_script(render()).statements if s.kind == "output" and s.name == output)
    assert [e.alias_or_name for e in statement.select.expressions] == [c.name for c in columns]


def test_k_appears_once_and_with_k_sets_it_as_terraform_does() -> None:
    query = render()
    assert len(re.findall(K_PATTERN, query)) == 1
    assert f"visit_faces < {DEFAULT_K} THEN 1" in query
    assert with_k(query, 7) == render(k=7)
    assert with_k(render(powerbi=True), 7) == render(k=7, powerbi=True)
    assert "visit_faces < 7 THEN 1" in with_k(query, 7)
    with pytest.raises(ValueError):
        with_k(query, 0)
    with pytest.raises(ValueError):
        with_k("SELECT 1", 5)
