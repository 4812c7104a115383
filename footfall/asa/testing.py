"""Run Stream Analytics test cases (``testConfig.json``, the CI/CD tool's format) on the local engine.

Each case runs the project's query on the case's input files and compares every expected
output as a multiset of rows (order ignored, ``IgnoreFields`` left out, floats equal within
1e-9 relative, ISO 8601 datetimes equal as instants whatever their number of fractional digits,
so expected outputs may be written in Azure's own ``.0000000Z`` form). A case fails when a
``Required`` output differs.

Engine extension: a ``JobConfig.json`` next to ``testConfig.json`` replaces the project's,
so the same query can be tested under another event-ordering policy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from footfall.asa.config import AsaProject, JobConfig, TestCase, TestConfig
from footfall.asa.datetimes import canonical
from footfall.asa.engine import Engine
from footfall.asa.errors import AsaError
from footfall.asa.inputs import InputSource

Row = dict[str, Any]


@dataclass
class CaseResult:
    """The outcome of one test case."""

    name: str
    passed: bool
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Events the engine dropped or re-timed (data errors, early, late, out of order)."""


def read_rows(path: Path) -> list[Row]:
    """Rows of a JSON file: a JSON array, or one object per line."""
    text = path.read_text(encoding="utf-8-sig").strip()
    if not text:
        return []
    if text.startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (a == b and type(a) is type(b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, str) and isinstance(b, str):
        return a == b or canonical(a) == canonical(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def compare_rows(expected: list[Row], actual: list[Row], ignore: Sequence[str] = ()) -> list[str]:
    """Differences between two multisets of rows (empty when they match)."""
    drop = {f.lower() for f in ignore}

    def clean(r: Row) -> Row:
        return {k: v for k, v in r.items() if k.lower() not in drop}

    left = [clean(r) for r in actual]
    problems: list[str] = []
    for row in (clean(r) for r in expected):
        for i, cand in enumerate(left):
            if _equal(row, cand):
                del left[i]
                break
        else:
            problems.append(f"missing row {json.dumps(row, sort_keys=True)}")
    problems += [f"unexpected row {json.dumps(r, sort_keys=True)}" for r in left]
    return problems


def run_case(case: TestCase, base: Path, engine: Engine) -> CaseResult:
    """Run one case; paths in the case are relative to ``base`` (the testConfig folder)."""
    sources = {
        inp.input_alias.lower(): InputSource(
            alias=inp.input_alias.lower(), path=(base / inp.file_path).resolve(),
            format=inp.format, is_reference=inp.is_reference,
        )
        for inp in case.inputs
    }
    try:
        outputs = engine.run(sources)
    except AsaError as exc:
        return CaseResult(case.name, False, [f"error: {exc}"])
    result = CaseResult(case.name, True, warnings=[str(d) for d in engine.dropped])
    for exp_out in case.expected_outputs:
        alias = exp_out.output_alias.lower()
        if alias not in outputs:
            result.passed = result.passed and not exp_out.required
            result.messages.append(f"{alias}: the query has no such output")
            continue
        problems = compare_rows(read_rows(base / exp_out.file_path), outputs[alias], exp_out.ignore_fields)
        if problems:
            if exp_out.required:
                result.passed = False
            result.messages += [f"{alias}: {p}" for p in problems[:10]]
            if len(problems) > 10:
                result.messages.append(f"{alias}: ... and {len(problems) - 10} more differences")
    return result


def run_tests(config_path: Path, project_dir: Path | None = None,
              report: Callable[[str], None] | None = print) -> list[CaseResult]:
    """Run every case of a ``testConfig.json``; prints one PASS/FAIL line per case via ``report``."""
    config_path = Path(config_path).resolve()
    config = TestConfig.load(config_path)
    base = config_path.parent
    if project_dir is None:
        project_dir = (base / config.script).resolve().parent if config.script else base.parent
    project = AsaProject.load(Path(project_dir))
    script = (base / config.script).resolve() if config.script else project.script_path
    job = project.job_config
    if (base / "JobConfig.json").exists():
        job = JobConfig.load(base / "JobConfig.json")
    engine = Engine(script.read_text(encoding="utf-8-sig"), job)
    results = []
    for case in config.test_cases:
        res = run_case(case, base, engine)
        results.append(res)
        if report:
            report(f"{'PASS' if res.passed else 'FAIL'}  {res.name}")
            for msg in res.messages:
                report(f"      {msg}")
            for msg in res.warnings:
                report(f"      warning: {msg}")
    return results
