"""Cases built from Microsoft's documentation, in the official testConfig.json format.

Each folder of ``doc_cases/`` holds one documented query, its documented input and its documented
output (``query.asaql`` names the page it comes from; a ``JobConfig.json`` holds the event-ordering
settings the page states). Every case must give Azure's documented output, or be refused with an
error naming the unsupported construct and its line: never a wrong answer without a word.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.asa import run_tests

CASES = Path(__file__).parent / "doc_cases"
REFUSED: set[str] = set()
"""Cases the engine refuses by name (stream-to-stream JOIN); every other case must pass."""


def _names() -> list[str]:
    return sorted(p.parent.name for p in CASES.glob("*/testConfig.json"))


@pytest.mark.parametrize("name", _names())
def test_doc_case_gives_the_documented_output_or_names_what_it_cannot_run(name: str):
    (result,) = run_tests(CASES / name / "testConfig.json", report=None)
    if name in REFUSED:
        assert not result.passed
        assert [m for m in result.messages if m.startswith("error: unsupported construct")], result.messages
    else:
        assert result.passed, result.messages


def test_there_are_doc_cases_from_several_pages():
    assert len(_names()) >= 15
