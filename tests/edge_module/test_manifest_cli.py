"""``footfall edge-manifest``: on a fresh clone, with no argument, it writes the fleet's deployment with example
values, valid against SchemaStore's IoT Edge schemas; ``--strict`` is what the workflow runs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from edge_helpers import REPO
from edge_helpers import validate_modules_content as validate

from edge_module.manifest_cli import main


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh shell: no FOOTFALL_* setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTFALL_")}
    return {**env, **extra}


def test_no_arguments_but_out_writes_a_valid_deployment_readable_by_its_owner_only(tmp_path: Path) -> None:
    out = tmp_path / "edge-deployment.json"
    done = subprocess.run([str(Path(sys.executable).parent / "footfall"), "edge-manifest", "--out", str(out)],
                          cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    deployment = json.loads(out.read_text())
    validate(deployment["content"]["modulesContent"])
    assert "${" not in out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600, "the content carries the registry password"
    assert "example values for" in done.stderr


def test_without_out_the_deployment_goes_to_standard_output(capsys) -> None:
    assert main(["--image-tag", "v9.9.9-arm64v8"]) == 0
    deployment = json.loads(capsys.readouterr().out)
    agent = deployment["content"]["modulesContent"]["$edgeAgent"]["properties.desired"]
    assert agent["modules"]["footfall-edge"]["settings"]["image"].endswith("/footfall-edge-module:v9.9.9-arm64v8")


def test_strict_refuses_to_render_example_values(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "footfall.cli", "edge-manifest", "--strict", "--out",
                           str(tmp_path / "d.json")], cwd=REPO, env=clean_env(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and not (tmp_path / "d.json").exists()
    assert "--strict: no value given for image_tag, registry, registry_password" in done.stderr


def test_secrets_are_not_command_line_options() -> None:
    done = subprocess.run([sys.executable, "-m", "footfall.cli", "edge-manifest", "--help"], cwd=REPO,
                          env=clean_env(), capture_output=True, text=True, timeout=60)
    assert "--registry-password" not in done.stdout
    assert "FOOTFALL_EDGE_REGISTRY_PASSWORD" in done.stdout


def test_an_invalid_value_is_reported_not_raised(capsys) -> None:
    assert main(["--registry", "Not A Registry"]) == 2
    assert "registry" in capsys.readouterr().err


def test_a_refused_secret_is_not_echoed(monkeypatch, capsys) -> None:
    monkeypatch.setenv("FOOTFALL_EDGE_REGISTRY_PASSWORD", "TopSecret${ACR_PASSWORD}")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "registry_password: Value error, an unrendered ${...} placeholder" in err
    assert "TopSecret" not in err
