"""The IoT Edge deployment every store's device runs: one at-scale deployment for the whole fleet.

The deploy workflow renders it with :func:`render_deployment` (``footfall edge-manifest``) and
applies it with ``az iot edge deployment create``, targeted by device twin tags
(:data:`TARGET_CONDITION`): one API call for 1, 1,000 or 100,000 stores, no per-store step.

What is common to every store is here: edgeAgent and edgeHub (routes of the module's ``counts``
and ``telemetry`` outputs to ``$upstream``, store-and-forward), and the ``footfall-edge`` module
(image, container options as IoT Edge carries them, the fleet's environment: the storage account
and the camera credentials file). What differs per store is not: the store id is the device id
(``IOTEDGE_DEVICEID``), the store's cameras, time zone and opening hours are the module twin's
desired properties, set per store by ``footfall edge-store`` (edge_module/store_twin.py), and so
is its upload SAS (scoped to its own directory), which the deploy workflow renews there.
So the content carries no ``footfall-edge`` module twin section: IoT Hub leaves a module twin
alone when a deployment does not name it, and a new release never overwrites a store's cameras.

Deployment content cannot change after creation, so each run creates a new deployment with a
higher :func:`priority` than the last (it then wins on every device it targets) and labels that
find the fleet's deployments again (:data:`APP_LABEL`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from edge_module.config import ModuleSettings
from edge_module.create_options import join_create_options, split_create_options

MODULE_NAME = "footfall-edge"
"""The module's name on the device (its module identity and twin)."""
IMAGE_REPOSITORY = "footfall-edge-module"
"""The module's image in the registry (infra/terraform local.edge_module_image)."""
RUNTIME_VERSION = "1.5"
"""IoT Edge LTS release of edgeAgent and edgeHub."""
TARGET_CONDITION = "tags.footfall.store != ''"
"""Every device onboarded as a store (``footfall edge-store`` sets ``tags.footfall.store``)."""
APP_LABEL = {"app": "footfall"}
"""Label of every deployment this module renders: how the workflow finds the fleet's deployments."""
PRIORITY_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
"""Priorities count seconds from here: later deployments win, and the value fits IoT Hub's int32 until 2088."""
CONTAINER_SECRETS_DIR = "/run/secrets/footfall"
"""Where the device's secrets folder is bound, read-only, in the module's container."""
CAMERA_CREDENTIALS_FILE = "cameras.json"
"""The camera credentials file's name in that folder (edge_module/camera_credentials.py)."""
EDGEHUB_STORAGE_DIR = "/iotedge/storage"
"""edgeHub's store-and-forward folder inside its container, bound to the host so it survives restarts."""
PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
"""``${NAME}``: a template placeholder, never valid in a rendered deployment."""
REQUIRED_IN_STRICT = frozenset(
    {"registry", "registry_username", "registry_password", "image_tag", "storage_account_url"},
)
"""The settings that differ per environment: ``--strict`` (the workflow) refuses their example values."""


class EdgeDeploymentSettings(BaseSettings):
    """What the fleet's deployment is rendered from: environment ``FOOTFALL_EDGE_*`` or the command line.

    Every field has an example value, so ``footfall edge-manifest`` renders on a fresh clone; the
    workflow passes ``--strict``, which refuses an example value for :data:`REQUIRED_IN_STRICT`.
    """

    model_config = SettingsConfigDict(env_prefix="FOOTFALL_EDGE_", extra="forbid", frozen=True)

    registry: str = Field(
        default="crfootfallexample.azurecr.io", pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9](:[0-9]+)?$",
        description="the container registry's login server (Terraform output container_registry_login_server)",
    )
    registry_username: str = Field(
        default="edge-module-pull", min_length=1,
        description="the pull-only ACR token (Terraform output edge_registry_token_name)",
    )
    registry_password: SecretStr = Field(
        default=SecretStr("example-registry-password"),
        description="a password of that token, generated with an expiry by the workflow",
    )
    image_tag: str = Field(
        default="0.1.0-amd64", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
        description="the module image's tag: release and platform, e.g. v1.4.0-amd64",
    )
    storage_account_url: str = Field(
        default="https://stfootfallexample.blob.core.windows.net", pattern=r"^https://[^\s/?#]+/?$",
        description="the Blob Storage endpoint the visit crops go to (Terraform output storage_blob_endpoint)",
    )
    buffer_host_dir: str = Field(
        default="/var/lib/footfall/buffer", pattern=r"^/[^\s:]*$",
        description="the device folder of the module's photo and CountEvent buffer (owned by uid 1000)",
    )
    secrets_host_dir: str = Field(
        default="/etc/footfall/secrets", pattern=r"^/[^\s:]*$",
        description=f"the device folder holding {CAMERA_CREDENTIALS_FILE} (camera passwords), bound read-only",
    )
    edgehub_host_dir: str = Field(
        default="/var/lib/footfall/edgehub", pattern=r"^/[^\s:]*$",
        description="the device folder of edgeHub's store-and-forward queue (owned by uid 1000)",
    )
    counts_ttl_s: int = Field(
        default=7 * 24 * 3600, gt=0, le=4294967295,
        description="how long edgeHub keeps CountEvents while the store is offline (as long as the module's buffer)",
    )
    telemetry_ttl_s: int = Field(
        default=24 * 3600, gt=0, le=4294967295, description="how long edgeHub keeps telemetry while offline",
    )
    memory_mb: int = Field(default=2048, ge=256, description="the module container's memory limit")
    release: str = Field(
        default="example", pattern=r"^[A-Za-z0-9_.:+-]{1,128}$",
        description="the release this deployment carries, as a deployment label",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_placeholder(cls, v: Any) -> Any:
        text = v.get_secret_value() if isinstance(v, SecretStr) else v
        if isinstance(text, str) and PLACEHOLDER.search(text):
            raise ValueError("an unrendered ${...} placeholder")
        return v

    @field_validator("registry_password")
    @classmethod
    def _password_given(cls, v: SecretStr) -> SecretStr:
        if not v.get_secret_value():
            raise ValueError("empty")
        return v

    @property
    def image(self) -> str:
        """The module's full image name."""
        return f"{self.registry}/{IMAGE_REPOSITORY}:{self.image_tag}"

    def examples_left(self) -> list[str]:
        """Per-environment settings still at their example value (given neither by env nor argument)."""
        return sorted(REQUIRED_IN_STRICT - self.model_fields_set)


def _env(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: {"value": value} for name, value in values.items()}


def _module_env_name(field: str) -> str:
    """The environment variable :class:`ModuleSettings` reads ``field`` from."""
    if field not in ModuleSettings.model_fields:
        raise KeyError(field)
    return f"{ModuleSettings.model_config.get('env_prefix', '')}{field}".upper()


def render_modules_content(settings: EdgeDeploymentSettings) -> dict[str, Any]:
    """``modulesContent``: edgeAgent, edgeHub and the footfall module, with no per-store value."""
    module_defaults = ModuleSettings.model_fields
    buffer_dir = str(module_defaults["buffer_dir"].default)
    counts_output = module_defaults["counts_output"].default
    telemetry_output = module_defaults["telemetry_output"].default
    log_config = {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}

    module_options = {"HostConfig": {
        "Binds": [
            f"{settings.buffer_host_dir}:{buffer_dir}", f"{settings.secrets_host_dir}:{CONTAINER_SECRETS_DIR}:ro",
        ],
        "LogConfig": log_config,
        "Memory": settings.memory_mb * 1024 * 1024,
        "CapDrop": ["ALL"],
        "SecurityOpt": ["no-new-privileges"],
    }}
    # edgeHub: its queue on the host (store-and-forward survives a restart); no port published on the
    # store network, since no downstream device connects to it (modules reach it on the Docker network).
    hub_options = {"HostConfig": {
        "Binds": [f"{settings.edgehub_host_dir}:{EDGEHUB_STORAGE_DIR}"], "LogConfig": log_config,
    }}
    agent_options = {"HostConfig": {"LogConfig": log_config}}
    system_image = "mcr.microsoft.com/azureiotedge-{}:" + RUNTIME_VERSION

    agent = {
        "schemaVersion": "1.1",
        "runtime": {"type": "docker", "settings": {
            "minDockerVersion": "v1.25",
            "registryCredentials": {"footfall": {
                "address": settings.registry, "username": settings.registry_username,
                "password": settings.registry_password.get_secret_value(),
            }},
        }},
        "systemModules": {
            "edgeAgent": {
                "type": "docker",
                "settings": {"image": system_image.format("agent"), **split_create_options(agent_options)},
                # Privacy first: no runtime quality telemetry to Microsoft.
                "env": _env({"SendRuntimeQualityTelemetry": False}),
            },
            "edgeHub": {
                "type": "docker", "status": "running", "restartPolicy": "always", "startupOrder": 0,
                "settings": {"image": system_image.format("hub"), **split_create_options(hub_options)},
                "env": _env({"storageFolder": EDGEHUB_STORAGE_DIR}),
            },
        },
        "modules": {
            MODULE_NAME: {
                "version": "1.0", "type": "docker", "status": "running", "restartPolicy": "always",
                "startupOrder": 1,
                "settings": {"image": settings.image, **split_create_options(module_options)},
                "env": _env({
                    _module_env_name("use_hub"): "yes",
                    _module_env_name("buffer_dir"): buffer_dir,
                    _module_env_name("container"): module_defaults["container"].default,
                    _module_env_name("storage_account_url"): settings.storage_account_url,
                    _module_env_name("camera_credentials_file"): f"{CONTAINER_SECRETS_DIR}/{CAMERA_CREDENTIALS_FILE}",
                }),
            },
        },
    }
    hub = {
        "schemaVersion": "1.2",
        "routes": {
            # CountEvents first when a store comes back online, and kept as long as the module's own buffer.
            "footfallCountsToIoTHub": {
                "route": f"FROM /messages/modules/{MODULE_NAME}/outputs/{counts_output} INTO $upstream",
                "priority": 0, "timeToLiveSecs": settings.counts_ttl_s,
            },
            "footfallTelemetryToIoTHub": {
                "route": f"FROM /messages/modules/{MODULE_NAME}/outputs/{telemetry_output} INTO $upstream",
                "priority": 1, "timeToLiveSecs": settings.telemetry_ttl_s,
            },
        },
        "storeAndForwardConfiguration": {"timeToLiveSecs": max(settings.counts_ttl_s, settings.telemetry_ttl_s)},
    }
    return {"$edgeAgent": {"properties.desired": agent}, "$edgeHub": {"properties.desired": hub}}


def render_deployment(settings: EdgeDeploymentSettings) -> dict[str, Any]:
    """The content ``az iot edge deployment create --content`` takes, checked by :func:`check_deployment`."""
    deployment = {"content": {"modulesContent": render_modules_content(settings)}}
    check_deployment(deployment)
    return deployment


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key, f"{path}/{key} (key)")
            yield from _strings(item, f"{path}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}/{i}")


def check_deployment(deployment: Mapping[str, Any]) -> None:
    """Refuse what IoT Edge or this design cannot take; raise ``ValueError`` naming every problem.

    * a ``${...}`` placeholder anywhere (a template rendered with a value missing);
    * ``createOptions`` that is not a string, not JSON, longer than a twin value, or in broken parts,
      for every system and user module (what edgeAgent joins and parses);
    * a module twin section other than ``$edgeAgent`` and ``$edgeHub``: it would overwrite every
      store's own desired properties (its cameras) on each release.
    """
    content = deployment.get("content", deployment)
    modules_content = content.get("modulesContent") if isinstance(content, Mapping) else None
    if not isinstance(modules_content, Mapping):
        raise ValueError("no modulesContent")
    problems = [f"{path}: placeholder {m.group(0)}" for path, text in _strings(deployment)
                for m in PLACEHOLDER.finditer(text)]
    extra = sorted(set(modules_content) - {"$edgeAgent", "$edgeHub"})
    if extra:
        problems.append(f"modulesContent sets the module twins {extra}: a store's desired properties are its own "
                        "(footfall edge-store), a deployment must not overwrite them")
    agent = modules_content.get("$edgeAgent", {}).get("properties.desired", {})
    modules = {**agent.get("systemModules", {}), **agent.get("modules", {})}
    if not modules:
        problems.append("$edgeAgent has no modules")
    for name, module in modules.items():
        try:
            join_create_options(module.get("settings", {}))
        except (ValueError, json.JSONDecodeError) as exc:
            problems.append(f"{name}: createOptions: {exc}")
    if problems:
        raise ValueError("the edge deployment is not valid:\n  " + "\n  ".join(problems))


def priority(now: datetime) -> int:
    """The priority of a deployment created at ``now``: seconds since :data:`PRIORITY_EPOCH`, so the newest wins."""
    return int((now - PRIORITY_EPOCH).total_seconds())


def deployment_id(now: datetime) -> str:
    """``footfall-YYYYMMDD-HHMMSS`` (UTC): deployment ids are lowercase letters, digits and hyphens."""
    return now.astimezone(UTC).strftime("footfall-%Y%m%d-%H%M%S")


def deployment_labels(settings: EdgeDeploymentSettings) -> dict[str, str]:
    """Labels of the deployment: :data:`APP_LABEL`, the release and the image tag."""
    return {**APP_LABEL, "release": settings.release, "image": settings.image_tag}
