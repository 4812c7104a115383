"""`make lint`, a step of `make test`: ruff and mypy with the project's settings catch a new violation,
the tree passes ruff (mypy's pass is the make step itself), and every remaining ``noqa`` or
``type: ignore`` says why."""

from __future__ import annotations

import ast
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


def mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "mypy"), "--config-file", str(REPO / "pyproject.toml"), "--no-incremental", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_make_test_runs_the_lint_step_first() -> None:
    test_recipe = make_dry_run("test")
    lint_recipe = make_dry_run("lint")
    for step in ("ruff check .", "mypy"):
        assert step in lint_recipe
        assert test_recipe.index(step) < test_recipe.index("pytest")


@pytest.mark.parametrize(("package", "strict"), [("functions", True), ("face_service", True), ("footfall", False)])
def test_mypy_is_strict_on_functions_and_face_service(tmp_path: Path, package: str, strict: bool) -> None:
    """An unannotated function fails only in the strict packages; a wrong type fails everywhere."""
    (tmp_path / package).mkdir()
    untyped = tmp_path / package / "untyped_probe.py"
    untyped.write_text("def double(x):\n    return x * 2\n", encoding="utf-8")
    wrong = tmp_path / package / "wrong_probe.py"
    wrong.write_text("def double(x: int) -> int:\n    return str(x)\n", encoding="utf-8")
    done = mypy(f"{package}/untyped_probe.py", cwd=tmp_path)
    assert (done.returncode, "[no-untyped-def]" in done.stdout) == ((1, True) if strict else (0, False)), done.stdout
    done = mypy(f"{package}/wrong_probe.py", cwd=tmp_path)
    assert done.returncode == 1 and "[return-value]" in done.stdout, done.stdout


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
            if found and not re.search(r"\w", found["why"]):
                silent.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not silent, "say why beside each suppression:\n" + "\n".join(silent)


# Configuration comes through the settings models (functions/settings.py, face_service/config.py,
# edge_module/config.py). These read the environment for another reason, said beside each.
ENVIRONMENT_USERS = {
    "face_service/worker.py": "sets thread counts for the native libraries of its own process",
    "footfall/face_process.py": "hands its environment to the face service it starts",
    "footfall/host/binding.py": "is the Functions host: app settings from local.settings.json, %NAME% in "
                                "schedules and connections, as the real host resolves them",
}


def test_settings_are_read_only_through_the_settings_models() -> None:
    readers: dict[str, list[int]] = {}
    for folder in ("functions", "face_service", "footfall", "edge_module"):
        for path in sorted((REPO / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            lines = [node.lineno for node in ast.walk(tree)
                     if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                     and node.value.id == "os" and node.attr in ("environ", "getenv", "putenv")]
            if lines:
                readers[str(path.relative_to(REPO))] = lines
    assert sorted(readers) == sorted(ENVIRONMENT_USERS), readers
