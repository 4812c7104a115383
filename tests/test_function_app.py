"""The Functions app as the host sees it: registered bindings, host.json, local settings, .funcignore."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from ingest_helpers import registered_functions

from functions.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def analyze_upload() -> Any:
    return registered_functions()["analyze_upload"]


def test_every_blueprint_module_is_registered_and_names_are_unique() -> None:
    import importlib

    names = set(registered_functions())
    for path in sorted((REPO / "functions" / "blueprints").glob("*.py")):
        if path.stem == "__init__":
            continue
        module = importlib.import_module(f"functions.blueprints.{path.stem}")
        app = func.FunctionApp()
        # a module exposes its blueprint as `bp`, or as `blueprint()` when a setting read at indexing shapes it
        app.register_functions(module.blueprint() if hasattr(module, "blueprint") else module.bp)
        assert {f.get_function_name() for f in app.get_functions()} <= names, path.name
    assert "analyze_upload" in names


def test_function_app_registers_analyze_upload_as_a_blob_trigger_on_uploads() -> None:
    fn = analyze_upload()
    trigger = fn.get_trigger()
    assert trigger.get_binding_name() == "blobTrigger"
    assert (trigger.name, trigger.path, trigger.connection) == ("blob", "uploads/{name}", "AzureWebJobsStorage")
    assert trigger.source == "LogsAndContainerScan"
    binding = json.loads(fn.get_function_json())["bindings"][0]
    assert binding == {"direction": "IN", "type": "blobTrigger", "name": "blob", "path": "uploads/{name}",
                       "connection": "AzureWebJobsStorage", "source": "LogsAndContainerScan"}


def test_the_cloud_uses_the_event_grid_source(monkeypatch: pytest.MonkeyPatch) -> None:
    import functions.blueprints.ingest as blueprint

    monkeypatch.setenv("FOOTFALL_BLOB_TRIGGER_SOURCE", "EventGrid")
    try:
        importlib.reload(blueprint)
        assert analyze_upload().get_trigger().source == "EventGrid"
    finally:
        monkeypatch.delenv("FOOTFALL_BLOB_TRIGGER_SOURCE")
        importlib.reload(blueprint)


def test_the_user_function_takes_one_input_stream_named_blob() -> None:
    import inspect

    signature = inspect.signature(analyze_upload().get_user_function())
    assert list(signature.parameters) == ["blob"]
    assert signature.parameters["blob"].annotation in (func.InputStream, "func.InputStream")


def test_host_json_uses_extension_bundle_v4_and_bounds_blob_retries() -> None:
    host = json.loads((REPO / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"] == {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"}
    assert 1 <= host["extensions"]["blobs"]["poisonBlobThreshold"] <= 10
    assert host["logging"]["logLevel"]["Function"] == "Information"


def test_every_setting_in_the_local_example_is_one_the_app_reads() -> None:
    values = json.loads((REPO / "local.settings.example.json").read_text())["Values"]
    fields = Settings.model_fields.values()
    known = {a.lower() for f in fields for a in _aliases(f.validation_alias)}
    known |= {"functions_worker_runtime", "azurewebjobsfeatureflags", "footfall_blob_trigger_source"}
    assert {k for k in values if k.lower() not in known} == set()
    # and the example really configures a working local app
    Settings(**{k: v for k, v in values.items() if k.lower() in known and v})


def _aliases(alias: object) -> list[str]:
    if alias is None:
        return []
    if isinstance(alias, str):
        return [alias]
    return [c for c in getattr(alias, "choices", []) if isinstance(c, str)]


def test_funcignore_ships_the_app_but_not_the_local_stack_or_tests() -> None:
    patterns = {line.strip() for line in (REPO / ".funcignore").read_text().splitlines() if line.strip()}
    assert {"tests/", "footfall/", "face_service/", ".venv/", "local.settings.json"} <= patterns
    assert not any(re.match(r"^/?functions/?$", p) or p in {"function_app.py", "host.json", "requirements.txt"}
                   for p in patterns)


def test_requirements_hold_what_azure_installs_and_nothing_for_tests() -> None:
    names = {re.split(r"[<>=\[ ]", line.strip())[0].lower()
             for line in (REPO / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")}
    assert {"azure-functions", "azure-storage-blob", "azure-eventhub", "azure-ai-vision-face",
            "azure-identity", "pillow", "pydantic", "pydantic-settings"} <= names
    assert not names & {"pytest", "httpx", "scikit-image", "numpy", "fastapi", "uvicorn"}


def test_the_deployed_code_does_not_import_the_local_stack() -> None:
    for path in [REPO / "function_app.py", *(REPO / "functions").rglob("*.py")]:
        source = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+(footfall|face_service|edge_module)\b", source, re.M), path


def _level(log_levels: dict[str, str], category: str) -> str:
    """The level host.json gives a log category: the longest configured prefix wins (.NET logger filters)."""
    matches = [key for key in log_levels if category == key or category.startswith(key + ".")]
    return log_levels[max(matches, key=len)] if matches else log_levels["default"]


def test_the_host_does_not_send_the_blob_name_of_each_invocation() -> None:
    """The host's 'Executing 'Functions.analyze_upload' (Reason='New blob detected(...): uploads/<name>')' and
    'Executed ...' lines are category Function.analyze_upload at Information, and its request records
    (Host.Results) carry the same trigger reason as a property: both are kept out of Application Insights.
    Our own log lines (Function.analyze_upload.User, names never in them) stay, and every function's
    request record is our own span (functions/telemetry.py invocation_span)."""
    levels = json.loads((REPO / "host.json").read_text())["logging"]["logLevel"]
    order = ["Trace", "Debug", "Information", "Warning", "Error", "Critical", "None"]
    assert order.index(_level(levels, "Function.analyze_upload")) > order.index("Information")
    assert _level(levels, "Function.analyze_upload.User") == "Information"
    assert _level(levels, "Host.Results") == "None"
