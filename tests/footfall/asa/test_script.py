"""Parsing Stream Analytics SQL: the clauses T-SQL lacks are lifted out without moving lines."""

from __future__ import annotations

import pytest

from footfall.asa.errors import AsaSyntaxError
from footfall.asa.script import mask, parse_script, preprocess


def test_timestamp_by_is_lifted_and_the_input_renamed_per_clause():
    cleaned, found = preprocess("SELECT a INTO o FROM frames f TIMESTAMP BY captured_at WHERE a = 1")
    (stream, clause), = found.items()
    assert clause.input_name == "frames" and clause.alias == "f" and clause.expression == "captured_at"
    assert f"FROM {stream} f" in cleaned and "TIMESTAMP" not in cleaned and "WHERE a = 1" in cleaned


def test_timestamp_by_without_alias_keeps_the_input_name_as_alias():
    cleaned, found = preprocess("SELECT frames.a INTO o FROM frames TIMESTAMP BY t")
    (stream, _), = found.items()
    assert f"FROM {stream} AS frames" in cleaned


def test_text_in_comments_and_strings_is_left_alone():
    text = "-- TIMESTAMP BY x\nSELECT 'TIMESTAMP BY y' AS s INTO o FROM i TIMESTAMP BY t /* System.Timestamp() */"
    cleaned, found = preprocess(text)
    assert len(found) == 1
    assert "'TIMESTAMP BY y'" in cleaned and "-- TIMESTAMP BY x" in cleaned
    assert len(mask(text)) == len(text)


def test_line_numbers_survive_preprocessing():
    text = "SELECT a\nINTO o\nFROM i\nTIMESTAMP BY\n  t\nPARTITION BY PartitionId\nWHERE a = 1"
    cleaned, _ = preprocess(text)
    assert cleaned.count("\n") == text.count("\n")
    assert cleaned.splitlines()[6] == "WHERE a = 1"


def test_statements_need_no_semicolons_and_with_steps_are_shared():
    script = parse_script(
        "WITH A AS (SELECT x FROM i TIMESTAMP BY t), B AS (SELECT x FROM A)\n"
        "SELECT x INTO o1 FROM A\nSELECT x INTO o2 FROM B;\nSELECT x INTO o1 FROM B")
    assert [(s.kind, s.name) for s in script.statements] == [
        ("step", "a"), ("step", "b"), ("output", "o1"), ("output", "o2"), ("output", "o1")]
    assert script.outputs == ["o1", "o2"]
    assert [s.line for s in script.statements if s.kind == "output"] == [2, 3, 4]


def test_system_timestamp_with_or_without_parentheses():
    cleaned, _ = preprocess("SELECT System.Timestamp() AS a, system.timestamp AS b INTO o FROM i")
    assert cleaned.count("__system_timestamp()") == 2


def test_timestamp_by_over_names_the_substream_keys():
    script = parse_script("SELECT a INTO o\nFROM i TIMESTAMP BY t OVER deviceId, site WHERE a = 1")
    (clause,) = script.timestamp_by.values()
    assert clause.expression == "t" and clause.over == ("deviceId", "site")
    with pytest.raises(AsaSyntaxError, match="OVER needs one or more key columns"):
        parse_script("SELECT a INTO o FROM i TIMESTAMP BY t OVER WHERE a = 1")


def test_parse_errors_carry_the_line():
    with pytest.raises(AsaSyntaxError) as err:
        parse_script("SELECT a INTO o FROM i\nWHERE a = = 1")
    assert err.value.line == 2
