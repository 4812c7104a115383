"""The IoT Edge packaging agrees with the code: module.json, Dockerfiles, deployment template."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from edge_module.config import LiveConfig, ModuleSettings

EDGE = Path(__file__).resolve().parents[2] / "edge_module"
REPO = EDGE.parent


def substitute(text: str, values: dict[str, str]) -> str:
    """What the IoT Edge tooling does with ``${VAR}`` placeholders."""
    missing = sorted(set(re.findall(r"\$\{(\w+)\}", text)) - set(values))
    assert not missing, f"placeholders without a value: {missing}"
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)


PLACEHOLDERS = {
    "CONTAINER_REGISTRY_ADDRESS": "footfallacr.azurecr.io", "CONTAINER_REGISTRY_USERNAME": "edge-module-pull",
    "CONTAINER_REGISTRY_PASSWORD": "pw", "EDGE_PLATFORM": "arm64v8", "STORE_ID": "S0042", "CAMERA_ID": "C07",
    "CAMERA_URL": "rtsp://127.0.0.1:8554/stream1", "STORAGE_ACCOUNT_URL": "https://footfall.blob.core.windows.net",
    "UPLOADS_SAS_TOKEN": "sv=2024-08-04&sp=cw&sig=x", "STORE_TIMEZONE": "Europe/Paris",
    "FOOTFALL_BUFFER_HOST_DIR": "/var/lib/footfall/buffer",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads(substitute((EDGE / "deployment.template.json").read_text(), PLACEHOLDERS))["modulesContent"]


def test_module_json_points_at_existing_dockerfiles_and_a_context_holding_the_contract() -> None:
    module = json.loads((EDGE / "module.json").read_text())
    platforms = module["image"]["tag"]["platforms"]
    assert set(platforms) == {"amd64", "arm64v8"}
    for dockerfile in platforms.values():
        text = (EDGE / dockerfile).read_text()
        assert 'CMD ["python", "-m", "edge_module"]' in text
        context = (EDGE / module["image"]["contextPath"]).resolve()
        for src in re.findall(r"^COPY (.+) \S+$", text, re.M):
            for path in src.split():
                assert (context / path).exists(), f"{dockerfile} copies {path}, missing from the build context"
        assert "USER 1000" in text
        assert (EDGE / f"{Path(dockerfile).name}.dockerignore").is_file()


def test_template_runs_edge_agent_edge_hub_and_our_module(manifest: dict[str, Any]) -> None:
    agent = manifest["$edgeAgent"]["properties.desired"]
    assert set(agent["systemModules"]) == {"edgeAgent", "edgeHub"}
    ours = agent["modules"]["footfall-edge"]
    assert ours["settings"]["image"] == "footfallacr.azurecr.io/footfall-edge-module:0.1.0-arm64v8"
    assert ours["restartPolicy"] == "always"


def test_buffer_is_a_host_volume_at_the_configured_path(manifest: dict[str, Any]) -> None:
    ours = manifest["$edgeAgent"]["properties.desired"]["modules"]["footfall-edge"]
    binds = ours["settings"]["createOptions"]["HostConfig"]["Binds"]
    host, container = binds[0].split(":")
    assert host == "/var/lib/footfall/buffer"
    assert container == ours["env"]["FOOTFALL_BUFFER_DIR"]["value"] == str(ModuleSettings().buffer_dir)


def test_module_env_is_what_the_settings_read(manifest: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    env = manifest["$edgeAgent"]["properties.desired"]["modules"]["footfall-edge"]["env"]
    for key, item in env.items():
        monkeypatch.setenv(key, item["value"])
    s = ModuleSettings()
    assert (s.store_id, s.camera_id, s.source, s.timezone) == ("S0042", "C07", "rtsp://127.0.0.1:8554/stream1", "Europe/Paris")
    assert s.storage_account_url and s.storage_sas_token is not None


def test_desired_properties_in_the_template_are_a_valid_live_config(manifest: dict[str, Any]) -> None:
    desired = manifest["footfall-edge"]["properties.desired"]
    live = LiveConfig().patched(desired)
    assert live.timezone == "Europe/Paris" and live.capture.min_interval_s == 10
    assert live.opening_hours.model_dump()["sun"] == "10:00-18:00"


def test_telemetry_output_is_routed_upstream(manifest: dict[str, Any]) -> None:
    routes = manifest["$edgeHub"]["properties.desired"]["routes"].values()
    output = ModuleSettings().telemetry_output
    assert f"FROM /messages/modules/footfall-edge/outputs/{output} INTO $upstream" in routes


def test_count_events_output_is_routed_upstream(manifest: dict[str, Any]) -> None:
    routes = manifest["$edgeHub"]["properties.desired"]["routes"].values()
    output = ModuleSettings().counts_output
    assert f"FROM /messages/modules/footfall-edge/outputs/{output} INTO $upstream" in routes
