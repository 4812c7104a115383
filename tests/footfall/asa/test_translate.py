"""Expressions of a job script are parsed as T-SQL, and one that does not parse is an AsaError naming its line."""

from __future__ import annotations

import pytest
from sqlglot import exp

from footfall.asa import AsaError
from footfall.asa.translate import parse_expression


def test_an_expression_parses_and_a_broken_one_names_its_line_and_what_it_is() -> None:
    assert isinstance(parse_expression("DATEADD(minute, -15, window_end)", 3), exp.Expression)
    with pytest.raises(AsaError, match=r"^line 7: cannot parse TIMESTAMP BY expression 'captured_at \+'$"):
        parse_expression("captured_at +", 7, "TIMESTAMP BY expression")
    with pytest.raises(AsaError, match=r"^line 2: cannot parse 'SUM\(\('$"):
        parse_expression("SUM((", 2)
