"""infra/terraform against the rest of the repository: the settings the function reads, the
Stream Analytics project it deploys, and its own variables, examples and outputs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import hcl2
import pytest
from hcl2 import SerializationOptions

from functions.settings import Settings
from tf_model import REPO, TERRAFORM_DIR, TerraformModule

ASA_QUERY = REPO / "stream_analytics" / "footfall.asaql"
STORES_CSV = REPO / "stream_analytics" / "stores.csv"
ASA_JOB_CONFIG = REPO / "stream_analytics" / "JobConfig.json"


def _settings_aliases() -> set[str]:
    aliases: set[str] = set()
    for info in Settings.model_fields.values():
        alias = info.validation_alias
        choices = getattr(alias, "choices", None)
        aliases.update(choices if choices else [alias])
    return {a.lower() for a in aliases if isinstance(a, str)}


def _render(tf: TerraformModule, value: str) -> str:
    """An app setting with variables at their defaults and other references as placeholders."""
    value = re.sub(r"\$\{tostring\(var\.(\w+)\)\}", lambda m: str(tf.variables[m.group(1)]["default"]), value)
    value = re.sub(r"\$\{var\.(\w+)\}", lambda m: str(tf.variables[m.group(1)]["default"]), value)
    value = re.sub(r"\$\{azurerm_storage_container\.(\w+)\.name\}",
                   lambda m: tf.resolve(tf.resource("azurerm_storage_container", m.group(1))["name"]), value)
    value = re.sub(r"\$\{azurerm_eventhub\.events\.name\}", tf.resolve(tf.resource("azurerm_eventhub", "events")["name"]), value)
    return re.sub(r"\$\{[^}]*\}", "ref", value)


# --- Function App settings ↔ functions/settings.py ----------------------------------------------


def test_every_footfall_app_setting_is_read_by_the_function(tf: TerraformModule) -> None:
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    known = _settings_aliases()
    blueprint = (REPO / "functions" / "blueprints" / "ingest.py").read_text(encoding="utf-8")
    for name in settings:
        if name.startswith("FOOTFALL_"):
            assert name.lower() in known or f'"{name}"' in blueprint, f"{name} is read by no code"


def test_app_settings_carry_everything_the_cloud_function_needs(tf: TerraformModule) -> None:
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    assert {"FOOTFALL_COSMOS_ENDPOINT", "FOOTFALL_COSMOS_DATABASE", "FOOTFALL_COSMOS_CONTAINER"} <= set(settings)
    assert "FOOTFALL_COSMOS_KEY" not in settings, "the reports API reads Cosmos with its managed identity"
    assert {
        "AzureWebJobsStorage__accountName", "FOOTFALL_STORAGE_ACCOUNT_URL",
        "FOOTFALL_FACE_ENDPOINT", "FOOTFALL_FACE_KEY", "FOOTFALL_EVENT_SINK", "FOOTFALL_EVENTHUB_NAMESPACE",
        "FOOTFALL_EVENTHUB_NAME", "FOOTFALL_AFTER_SUCCESS", "FOOTFALL_QUARANTINE_CONTAINER", "FOOTFALL_K",
        "FOOTFALL_BLOB_TRIGGER_SOURCE",
    } <= set(settings)
    assert settings["FOOTFALL_BLOB_TRIGGER_SOURCE"] == "EventGrid"
    assert not any(k in settings for k in ("FOOTFALL_EVENTHUB_CONNECTION", "FOOTFALL_STORAGE_CONNECTION"))
    # Host storage by account name only (per-service URIs caused host 401s on Flex Consumption).
    assert not [k for k in settings if k.startswith("AzureWebJobsStorage__") and k.endswith("ServiceUri")]


def test_app_settings_as_deployed_load_into_the_function_settings(tf: TerraformModule, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    for name in [n for n in os.environ if n.startswith(("FOOTFALL_", "AzureWebJobs"))]:
        monkeypatch.delenv(name)
    for name, value in settings.items():
        monkeypatch.setenv(name, _render(tf, value))
    loaded = Settings()
    assert loaded.event_sink == "eventhub"
    assert loaded.eventhub_namespace == "ref.servicebus.windows.net"
    assert loaded.eventhub_name == "footfall-events"
    assert loaded.eventhub_connection is None
    assert loaded.storage_account_url == "ref"
    assert not (loaded.storage_connection and loaded.storage_connection.get_secret_value())
    assert (loaded.uploads_container, loaded.quarantine_container) == ("uploads", "quarantine")
    assert loaded.after_success == "delete"
    assert loaded.k_anonymity == 5
    assert loaded.face_endpoint.startswith("https://")


# --- Stream Analytics project ------------------------------------------------------------------


def test_job_query_is_loaded_from_the_stream_analytics_project(tf: TerraformModule) -> None:
    job = tf.resource("azurerm_stream_analytics_job", "main")
    match = re.fullmatch(r"\$\{file\((local\.\w+)\)\}", job["transformation_query"])
    assert match, "the query must be file(...) of the project's .asaql, not inline text"
    path = Path(tf.resolve("${" + match.group(1) + "}"))
    assert path.resolve() == ASA_QUERY


def test_reference_data_is_the_projects_stores_csv(tf: TerraformModule) -> None:
    blob = tf.resource("azurerm_storage_blob", "stores_csv")
    assert Path(tf.resolve(blob["source"])).resolve() == STORES_CSV
    assert blob["storage_container_name"] == "${azurerm_storage_container.reference.name}"
    assert blob["content_md5"] == "${filemd5(local.stores_csv_path)}", "a changed CSV must be re-uploaded"
    stores = tf.resource("azurerm_stream_analytics_reference_input_blob", "stores")
    assert stores["path_pattern"] == "${azurerm_storage_blob.stores_csv.name}"
    assert tf.block(stores, "serialization")["type"] == "Csv"


def test_job_inputs_and_outputs_use_the_contract_aliases(tf: TerraformModule) -> None:
    frames = tf.resource("azurerm_stream_analytics_stream_input_eventhub_v2", "frames")
    assert frames["name"] == "frames"
    assert tf.block(frames, "serialization") == {"type": "Json", "encoding": "UTF8"}
    assert tf.resource("azurerm_stream_analytics_reference_input_blob", "stores")["name"] == "stores"
    cosmos = tf.resource("azurerm_stream_analytics_output_cosmosdb", "cosmos")
    assert (cosmos["name"], cosmos["document_id"]) == ("cosmos", "id")
    assert tf.resource("azurerm_stream_analytics_output_powerbi", "powerbi")["name"] == "powerbi"


def test_the_query_file_exists_and_uses_those_aliases() -> None:
    assert ASA_QUERY.is_file(), (
        f"{ASA_QUERY.relative_to(REPO)} is missing: infra/terraform/stream_analytics.tf deploys it with file()"
    )
    query = ASA_QUERY.read_text(encoding="utf-8").lower()
    for pattern in (r"\bfrom\s+\[?frames\]?", r"\bjoin\s+\[?stores\]?", r"\binto\s+\[?cosmos\]?", r"\binto\s+\[?powerbi\]?"):
        assert re.search(pattern, query), f"the query has no {pattern!r}"


def test_job_settings_come_from_the_projects_job_config(tf: TerraformModule) -> None:
    job = tf.resource("azurerm_stream_analytics_job", "main")
    assert Path(tf.resolve(tf.locals["asa_job_config_path"])).resolve() == ASA_JOB_CONFIG
    assert tf.locals["asa_job_config"] == "${jsondecode(file(local.asa_job_config_path))}"
    config = json.loads(ASA_JOB_CONFIG.read_text(encoding="utf-8"))
    for argument, key in {
        "compatibility_level": "CompatibilityLevel",
        "data_locale": "DataLocale",
        "events_late_arrival_max_delay_in_seconds": "EventsLateArrivalMaxDelayInSeconds",
        "events_out_of_order_max_delay_in_seconds": "EventsOutOfOrderMaxDelayInSeconds",
        "events_out_of_order_policy": "EventsOutOfOrderPolicy",
        "output_error_policy": "OutputErrorPolicy",
    }.items():
        assert job[argument] == "${local.asa_job_config." + key + "}"
        assert key in config, f"JobConfig.json has no {key}"
    assert job["sku_name"] == "${local.asa_job_config.Sku.Name}" and "Name" in config["Sku"]


def test_deployed_inputs_and_outputs_match_the_projects_definitions(tf: TerraformModule) -> None:
    project = REPO / "stream_analytics"
    frames = json.loads((project / "Inputs" / "frames.json").read_text(encoding="utf-8"))
    hub = frames["EventHubProperties"]
    assert hub["EventHubName"] == tf.resolve(tf.resource("azurerm_eventhub", "events")["name"])
    assert hub["ConsumerGroupName"] == tf.resource("azurerm_eventhub_consumer_group", "stream_analytics")["name"]
    stores = json.loads((project / "Inputs" / "stores.json").read_text(encoding="utf-8"))["BlobStorageProperties"]
    assert stores["Container"] == tf.resolve(tf.resource("azurerm_storage_container", "reference")["name"])
    assert stores["PathPattern"] == tf.resource("azurerm_storage_blob", "stores_csv")["name"]
    cosmos = json.loads((project / "Outputs" / "cosmos.json").read_text(encoding="utf-8"))["CosmosDbProperties"]
    assert cosmos["Database"] == tf.resource("azurerm_cosmosdb_sql_database", "reports")["name"]
    assert cosmos["ContainerName"] == tf.resource("azurerm_cosmosdb_sql_container", "reports")["name"]
    assert cosmos["DocumentId"] == tf.resource("azurerm_stream_analytics_output_cosmosdb", "cosmos")["document_id"]
    powerbi = json.loads((project / "Outputs" / "powerbi.json").read_text(encoding="utf-8"))["PowerBIProperties"]
    assert powerbi["Dataset"] == tf.variables["powerbi_dataset"]["default"]
    assert powerbi["Table"] == tf.variables["powerbi_table"]["default"]


# --- Variables, example values, outputs, versions ----------------------------------------------


def test_every_variable_is_described_and_typed(tf: TerraformModule) -> None:
    for name, variable in tf.variables.items():
        assert len(variable.get("description", "")) >= 20, f"variable {name} needs a real description"
        assert "type" in variable, f"variable {name} has no type"


def test_every_number_and_enumerated_variable_is_validated(tf: TerraformModule) -> None:
    for name, variable in tf.variables.items():
        if variable["type"] == "${number}" or variable["type"] == "number" or "contains(" in str(variable):
            assert variable.get("validation"), f"variable {name} has no validation"


def test_tfvars_example_sets_only_declared_variables_and_every_required_one(tf: TerraformModule) -> None:
    example = hcl2.loads((TERRAFORM_DIR / "terraform.tfvars.example").read_text(encoding="utf-8"),
                         serialization_options=SerializationOptions(strip_string_quotes=True, with_comments=False))
    assert set(example) <= set(tf.variables), f"undeclared: {set(example) - set(tf.variables)}"
    required = {name for name, v in tf.variables.items() if "default" not in v}
    assert required <= set(example), f"required but not in the example: {required - set(example)}"


def test_every_output_is_described(tf: TerraformModule) -> None:
    assert tf.outputs
    for name, output in tf.outputs.items():
        assert output.get("description"), f"output {name} has no description"
        assert not output.get("sensitive"), "no output should need to be secret"


def test_state_lives_in_an_azurerm_backend_with_entra_id_auth(tf: TerraformModule) -> None:
    (terraform,) = tf.terraform
    backend = terraform["backend"][0]["azurerm"]
    assert backend == {"use_azuread_auth": True}, "the rest is passed with -backend-config, never committed"
    azurerm = terraform["required_providers"][0]["azurerm"]
    assert azurerm["source"] == "hashicorp/azurerm"
    assert re.search(r">= ?4\.\d+", azurerm["version"]) and "< 5" in azurerm["version"]


def test_every_checkov_skip_gives_a_reason() -> None:
    skips = []
    for path in TERRAFORM_DIR.glob("*.tf"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "checkov:skip" in line:
                match = re.fullmatch(r"\s*#checkov:skip=(CKV2?_AZURE_\d+):(.+)", line)
                assert match, f"{path.name}: malformed skip {line.strip()!r}"
                assert len(match.group(2).strip()) >= 40, f"{path.name}: {match.group(1)} needs a real reason"
                skips.append(match.group(1))
    assert skips, "expected the documented skips"


# Azure naming rules, checked for the longest names the validated variables allow.
_NAME_RULES = {
    "storage_account": r"[a-z0-9]{3,24}",
    "key_vault": r"[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]",
    "container_registry": r"[a-zA-Z0-9]{5,50}",
    "function_app": r"[a-z0-9][a-z0-9-]{0,30}[a-z0-9]",  # 32: longer names risk host id collisions
    "face_service": r"[a-z][a-z0-9-]{0,30}[a-z0-9]",
    "cosmos_account": r"[a-z0-9][a-z0-9-]{1,42}[a-z0-9]",
    "eventhub_namespace": r"[a-zA-Z][a-zA-Z0-9-]{4,48}[a-zA-Z0-9]",
    "iothub": r"[a-zA-Z0-9][a-zA-Z0-9-]{1,48}[a-zA-Z0-9]",
}


@pytest.mark.parametrize("environment", ["dev", "test", "prod"])
def test_generated_names_obey_azure_naming_rules_for_the_longest_prefix(tf: TerraformModule, environment: str) -> None:
    assert "1,9" in tf.variables["prefix"]["validation"][0]["condition"], "prefix is at most 10 characters"
    assert tf.resource("random_string", "suffix")["length"] == 5
    values = {
        "${local.base}": f"abcdefghij-{environment}",
        "${local.suffix}": "12345",
        "${var.prefix}": "abcdefghij",
        "${var.environment}": environment,
    }
    names = tf.locals["names"]
    for key, rule in _NAME_RULES.items():
        name = names[key]
        for placeholder, value in values.items():
            name = name.replace(placeholder, value)
        assert re.fullmatch(rule, name), f"{key}: {name!r} breaks {rule}"
