"""`footfall` dispatches each subcommand to its own module and explains itself."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from footfall import cli


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_unknown_command_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_module_exists_and_has_main(name: str) -> None:
    module_name = cli.COMMANDS[name][0]
    assert importlib.util.find_spec(module_name) is not None, f"{module_name} is missing"
    module = importlib.import_module(module_name)
    assert callable(getattr(module, "main", None)), f"{module_name}.main(argv) is missing"


