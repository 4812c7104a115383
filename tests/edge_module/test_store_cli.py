"""``footfall edge-store``: the example store's two JSON files and the az commands that apply them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from edge_helpers import REPO

from edge_module.config import LiveConfig
from footfall.cli import main as footfall

EXAMPLE = REPO / "edge_module" / "examples" / "S0001.cameras.json"


def test_the_example_store_is_written_with_the_commands_that_apply_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert footfall(["edge-store", str(EXAMPLE), "--out", str(tmp_path), "--hub", "iot-footfall-prod-x1y2z"]) == 0
    out = capsys.readouterr().out
    tags = json.loads((tmp_path / "S0001.tags.json").read_text())
    desired = json.loads((tmp_path / "S0001.desired.json").read_text())
    assert tags["footfall"]["store"] == "S0001"
    assert len(LiveConfig().patched(desired).cameras) == 3
    common = "--hub-name iot-footfall-prod-x1y2z --device-id S0001 --auth-type login"
    assert f"az iot hub device-identity create {common} --edge-enabled" in out
    assert f"az iot hub device-twin update {common} --tags @{tmp_path}/S0001.tags.json" in out
    assert (f"az iot hub module-twin update {common} --module-id footfall-edge --desired @{tmp_path}/S0001.desired.json"
            in out)
    assert "3 cameras" in out and "of 32768" in out


def test_a_store_that_does_not_check_out_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(EXAMPLE.read_text())
    data["cameras"][0]["source"] = "rtsp://admin:hunter2@10.20.1.11/stream1"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert footfall(["edge-store", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "camera credentials file" in err and "hunter2" not in err
    assert not (tmp_path / "out").exists()
