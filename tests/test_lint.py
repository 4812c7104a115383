"""`make lint`, a step of `make test`: ruff with the project's rules catches a new violation, the
tree passes it, and every remaining ``noqa`` says why."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CODE_DIRS = ("functions", "face_service", "footfall", "edge_module", "benchmarks", "tests")


def make_dry_run(target: str) -> str:
    done = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, check=True)
    return done.stdout


def ruff(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "ruff"), "check", "--config", str(REPO / "pyproject.toml"), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def python_files() -> list[Path]:
    files = [REPO / "function_app.py"]
    for folder in CODE_DIRS:
        files += sorted((REPO / folder).rglob("*.py"))
    return files


def test_make_test_runs_the_lint_step_first() -> None:
    test_recipe = make_dry_run("test")
    lint_recipe = make_dry_run("lint")
    assert "ruff check ." in lint_recipe
    assert "ruff check ." in test_recipe
    assert test_recipe.index("ruff check .") < test_recipe.index("pytest")


def test_the_tree_passes_ruff() -> None:
    done = ruff(".")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("source", "rule"), [
    ("import os\n", "F401"),  # an unused import
    ("x = 1\n" + "y = '" + "a" * 120 + "'\n", "E501"),  # a line over 120 characters
    ("import sys\nimport os\n\nprint(os, sys)\n", "I001"),  # imports out of order
    ("from datetime import timezone\n\nprint(timezone.utc)\n", "UP017"),  # datetime.UTC, the house choice
    ("def f(x=[]):\n    return x\n", "B006"),  # a mutable default
    ("import os\n\nprint(os)  # noqa: E501\n", "RUF100"),  # a noqa that no longer applies
])
def test_a_new_violation_fails_the_lint_step(tmp_path: Path, source: str, rule: str) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    done = ruff("--output-format", "concise", str(probe), cwd=tmp_path)
    assert done.returncode == 1
    assert rule in done.stdout


def test_first_party_packages_sort_after_third_party(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from functions.contracts import FrameEvent\nimport pydantic\n\nprint(FrameEvent, pydantic)\n")
    assert ruff("--fix", str(probe), cwd=tmp_path).returncode == 0
    assert probe.read_text().splitlines()[:3] == ["import pydantic", "", "from functions.contracts import FrameEvent"]


# A suppression names its codes and then says why, as in tests/functions/conftest.py:
# "noqa: E402 (after the sys.path fix above)", or "type: ignore[override]  # the base types it loosely".
SUPPRESSION = re.compile(r"#\s*(noqa|type:\s*ignore)\b(?P<codes>:\s*[A-Z0-9, ]+|\[[a-z, -]+\])?(?P<why>.*)$")


def test_every_noqa_and_type_ignore_says_why() -> None:
    silent = []
    for path in python_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found = SUPPRESSION.search(line)
            if found and found[1] == "noqa" and not re.search(r"\w", found["why"]):
                silent.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not silent, "say why beside each suppression:\n" + "\n".join(silent)
