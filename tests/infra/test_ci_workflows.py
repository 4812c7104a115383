"""The GitHub Actions workflows: CI checks everything `make test` and Terraform need, and the
tagged-release deployment signs in with OIDC only."""

from __future__ import annotations

import pytest
import yaml
from tf_model import REPO

WORKFLOWS = REPO / ".github" / "workflows"


def _load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads a bare `on` as true
    return workflow


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict) -> list[dict]:
    return [step for step in job["steps"] if "uses" in step]


@pytest.fixture(scope="module")
def ci() -> dict:
    return _load("ci.yml")


@pytest.fixture(scope="module")
def deploy() -> dict:
    return _load("deploy.yml")


def test_ci_runs_on_pushes_and_pull_requests_with_read_only_token(ci: dict) -> None:
    assert {"push", "pull_request"} <= set(ci["on"])
    assert ci["permissions"] == {"contents": "read"}


def test_ci_runs_the_test_suite_as_the_readme_does(ci: dict) -> None:
    runs = _runs(ci["jobs"]["test"])
    assert ".ci/run" in runs or "make test" in runs
    assert (REPO / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith("make test")


def test_ci_checks_terraform_format_validity_and_checkov(ci: dict) -> None:
    runs = _runs(ci["jobs"]["terraform"])
    assert "terraform fmt -check -recursive" in runs
    assert "terraform init -backend=false" in runs
    assert "terraform validate" in runs
    assert "checkov -d infra/terraform --framework terraform --skip-download" in runs
    assert ci["jobs"]["terraform"]["defaults"]["run"]["working-directory"] == "infra/terraform"


def test_deploy_runs_on_release_tags(deploy: dict) -> None:
    assert deploy["on"]["push"] == {"tags": ["v*"]}
    assert deploy["jobs"]["infrastructure"]["if"] == "github.event_name != 'schedule'"


def test_deploy_signs_in_with_oidc_and_stores_no_secret(deploy: dict) -> None:
    assert deploy["permissions"] == {"id-token": "write", "contents": "read"}
    text = (WORKFLOWS / "deploy.yml").read_text(encoding="utf-8")
    assert "secrets." not in text
    assert deploy["env"]["ARM_USE_OIDC"] == "true"
    logins = [s for job in deploy["jobs"].values() for s in _uses(job) if s["uses"].startswith("azure/login@")]
    assert len(logins) == len(deploy["jobs"]), "every job signs in"
    for login in logins:
        assert login["with"] == {
            "client-id": "${{ vars.AZURE_CLIENT_ID }}",
            "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
            "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
        }


def test_deploy_applies_terraform_publishes_the_function_and_starts_the_job(deploy: dict) -> None:
    runs = _runs(deploy["jobs"]["infrastructure"])
    for command in (
        "terraform init",
        "-backend-config=",
        "terraform apply -auto-approve",
        "az acr build",
        "--file face_service/Dockerfile",
        "--file edge_module/Dockerfile.amd64",
        "func azure functionapp publish",
        "az stream-analytics job start",
    ):
        assert command in runs, command
    # The Event Grid subscription is applied after the function code exists.
    assert runs.index("func azure functionapp publish") < runs.rindex('blob_events_enabled=true')


def test_deploy_rolls_out_the_edge_module_to_every_store_with_one_at_scale_deployment(deploy: dict) -> None:
    """No loop over devices and no per-store value: one deployment, targeted by device twin tags
    (tests/edge_module/test_deployment.py runs the render step itself)."""
    runs = _runs(deploy["jobs"]["edge"])
    assert "footfall.cli edge-manifest --strict" in runs
    assert "az iot edge deployment create" in runs and '--target-condition "$TARGET_CONDITION"' in runs
    assert "set-modules" not in runs and "envsubst" not in runs
    loop = runs[runs.index("for device in $devices"):runs.index("done")]
    assert "deployment create" not in loop, "the one loop over stores renews their upload SAS, nothing else"
    assert "--auth-type login" in runs
    assert "--permissions cw" in runs and "--as-user" in runs, "devices get a create/write-only user delegation SAS"
    assert "az iot edge deployment delete" in runs, "old deployments go: a hub holds at most 100"
    assert deploy["jobs"]["edge"]["steps"][-1]["if"] == "always()", "the rendered credentials are removed"


def test_each_device_gets_a_sas_for_its_own_stores_directory_only(deploy: dict) -> None:
    runs = _runs(deploy["jobs"]["edge"])
    assert "az storage container generate-sas" not in runs, "no container-wide SAS: any device could write any store"
    assert 'az storage fs directory generate-sas --account-name "$STORAGE_ACCOUNT"' in runs
    assert '--file-system uploads --name "$device" --permissions cw' in runs  # device id = store id
    loop = runs[runs.index("for device in $devices"):]
    assert loop.index("fs directory generate-sas") < loop.index("module-twin update"), "minted per device, in the loop"
    assert '--module-id footfall-edge' in loop and '{\\"storage_sas_token\\": \\"$sas\\"}' in loop


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_every_action_is_pinned_to_a_release(name: str) -> None:
    workflow = _load(name)
    for job in workflow["jobs"].values():
        for step in _uses(job):
            action, _, ref = step["uses"].partition("@")
            assert ref and ref not in {"main", "master", "latest"}, f"{name}: {step['uses']} is not pinned"
