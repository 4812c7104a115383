"""infra/terraform against the rest of the repository: the settings the function reads, the
Stream Analytics project it deploys, and its own variables, examples and outputs."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import hcl2
import pytest
from hcl2 import SerializationOptions
from tf_model import REPO, TERRAFORM_DIR, TerraformModule

from edge_module.deployment import IMAGE_REPOSITORY
from footfall.stream_job import K_PATTERN, OUTPUTS, render
from functions.settings import Settings

ASA_QUERY = REPO / "stream_analytics" / "footfall.asaql"
STORES_CSV = REPO / "stream_analytics" / "stores.csv"
CAMERAS_CSV = REPO / "stream_analytics" / "cameras.csv"
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
    hub_name = tf.resolve(tf.resource("azurerm_eventhub", "events")["name"])
    value = re.sub(r"\$\{azurerm_eventhub\.events\.name\}", hub_name, value)
    return re.sub(r"\$\{[^}]*\}", "ref", value)


# --- Function App settings ↔ functions/settings.py ----------------------------------------------


def test_every_footfall_app_setting_is_read_by_the_function(tf: TerraformModule) -> None:
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    known = _settings_aliases()
    blueprints = "".join(p.read_text(encoding="utf-8") for p in (REPO / "functions" / "blueprints").glob("*.py"))
    for name in settings:
        if name.startswith("FOOTFALL_"):
            connection = name.split("__")[0]  # an identity-based binding connection: PREFIX__property
            assert name.lower() in known or f'"{connection}"' in blueprints, f"{name} is read by no code"


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


def test_app_settings_as_deployed_load_into_the_function_settings(
    tf: TerraformModule, monkeypatch: pytest.MonkeyPatch
) -> None:
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


def test_job_query_is_the_generated_asaql_with_k_from_the_one_variable(tf: TerraformModule) -> None:
    job = tf.resource("azurerm_stream_analytics_job", "main")
    assert job["transformation_query"] == "${local.asa_query}"
    match = re.fullmatch(r'\$\{replace\(file\(local\.asa_query_path\), "/(.+)/", "(.+)"\)\}', tf.locals["asa_query"])
    assert match, "the query must be file() of the project's .asaql with k replaced, not inline text"
    pattern, replacement = match.groups()
    assert pattern == K_PATTERN and replacement == "visit_faces < ${var.k_anonymity} THEN 1"
    # What Terraform deploys equals the query generated for the variable's k, as footfall.stream_job.with_k makes it.
    k = tf.variables["k_anonymity"]["default"]
    assert re.sub(pattern, replacement.replace("${var.k_anonymity}", str(k)), ASA_QUERY.read_text()) == render(k=k)
    paths = tf.locals["asa_query_path"]
    assert "footfall.powerbi.asaql" in paths and "footfall.asaql" in paths and "var.powerbi_output" in paths


def test_k_changed_in_the_one_variable_reaches_the_job_and_the_function(tf: TerraformModule) -> None:
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    assert settings["FOOTFALL_K"] == "${tostring(var.k_anonymity)}"
    pattern = re.search(r'"/(.+)/"', tf.locals["asa_query"]).group(1)
    deployed = re.sub(pattern, "visit_faces < 9 THEN 1", ASA_QUERY.read_text())
    assert deployed == render(k=9) != ASA_QUERY.read_text()


def test_reference_data_is_the_projects_stores_and_cameras_csv(tf: TerraformModule) -> None:
    for name, path in (("stores", STORES_CSV), ("cameras", CAMERAS_CSV)):
        blob = tf.resource("azurerm_storage_blob", f"{name}_csv")
        assert Path(tf.resolve(blob["source"])).resolve() == path
        assert blob["storage_container_name"] == "${azurerm_storage_container.reference.name}"
        assert blob["content_md5"] == f"${{filemd5(local.{name}_csv_path)}}", "a changed CSV must be re-uploaded"
        reference = tf.resource("azurerm_stream_analytics_reference_input_blob", name)
        assert reference["name"] == name
        assert reference["path_pattern"] == f"${{azurerm_storage_blob.{name}_csv.name}}"
        assert tf.block(reference, "serialization")["type"] == "Csv"


def test_job_inputs_and_outputs_use_the_contract_aliases(tf: TerraformModule) -> None:
    for name, hub in (("frames", "events"), ("counts", "counts")):
        stream = tf.resource("azurerm_stream_analytics_stream_input_eventhub_v2", name)
        assert stream["name"] == name and stream["authentication_mode"] == "Msi"
        assert stream["eventhub_name"] == f"${{azurerm_eventhub.{hub}.name}}"
        assert tf.block(stream, "serialization") == {"type": "Json", "encoding": "UTF8"}
    windows = tf.resource("azurerm_stream_analytics_output_cosmosdb", "windows")
    assert windows["for_each"] == '${toset(["store_windows", "zone_windows"])}'
    assert (windows["name"], windows["document_id"]) == ("${each.key}", "id")
    powerbi = tf.resource("azurerm_stream_analytics_output_powerbi", "powerbi")
    assert powerbi["name"] == "powerbi" and powerbi["count"] == "${var.powerbi_output ? 1 : 0}"
    assert tf.variables["powerbi_output"]["default"] is False


def test_counts_reach_the_job_through_an_iot_hub_route_and_the_relay(tf: TerraformModule) -> None:
    """IoT Hub routes CountEvents to the raw hub; relay_counts reads it and sends each event id once to the
    hub the job reads (functions/count_relay.py)."""
    route = tf.resource("azurerm_iothub_route", "counts")
    assert route["condition"] == "schema = 'footfall.count.v1'" and route["source"] == "DeviceMessages"
    endpoint = tf.resource("azurerm_iothub_endpoint_eventhub", "counts")
    assert endpoint["authentication_type"] == "identityBased"
    assert endpoint["entity_path"] == "${azurerm_eventhub.counts_raw.name}"
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    assert settings["FOOTFALL_COUNTS_RELAY_SOURCE"] == "${azurerm_eventhub.counts_raw.name}"
    assert settings["FOOTFALL_COUNTS_EVENTHUB_NAME"] == "${azurerm_eventhub.counts.name}"
    assert settings["FOOTFALL_EVENTHUB__fullyQualifiedNamespace"] == (
        "${azurerm_eventhub_namespace.main.name}.servicebus.windows.net")
    job_input = tf.resource("azurerm_stream_analytics_stream_input_eventhub_v2", "counts")
    assert job_input["eventhub_name"] == "${azurerm_eventhub.counts.name}"
    assert tf.resource("azurerm_eventhub", "counts_raw")["message_retention"] == 7
    assert tf.resource("azurerm_iothub_fallback_route", "builtin")["endpoint_names"] == ["events"]


def test_the_query_files_exist_and_use_those_aliases() -> None:
    assert ASA_QUERY.is_file(), (
        f"{ASA_QUERY.relative_to(REPO)} is missing: infra/terraform/stream_analytics.tf deploys it with file()"
    )
    for path, outputs in ((ASA_QUERY, OUTPUTS), (ASA_QUERY.with_name("footfall.powerbi.asaql"), (*OUTPUTS, "powerbi"))):
        query = path.read_text(encoding="utf-8").lower()
        for pattern in (r"\bfrom\s+\[?frames\]?", r"\bfrom\s+\[?counts\]?", r"\bjoin\s+\[?stores\]?",
                        r"\bjoin\s+\[?cameras\]?", *(rf"\binto\s+\[?{o}\]?" for o in outputs)):
            assert re.search(pattern, query), f"{path.name} has no {pattern!r}"


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
    # Capacity is a variable (sized per fleet); the project file that the VS Code tools deploy says the same.
    assert job["streaming_units"] == "${var.asa_streaming_units}"
    assert config["Sku"]["StreamingUnits"] == tf.variables["asa_streaming_units"]["default"] == 10


def test_deployed_inputs_and_outputs_match_the_projects_definitions(tf: TerraformModule) -> None:
    project = REPO / "stream_analytics"
    frames = json.loads((project / "Inputs" / "frames.json").read_text(encoding="utf-8"))
    hub = frames["EventHubProperties"]
    assert hub["EventHubName"] == tf.resolve(tf.resource("azurerm_eventhub", "events")["name"])
    assert hub["ConsumerGroupName"] == tf.resource("azurerm_eventhub_consumer_group", "stream_analytics")["name"]
    stores = json.loads((project / "Inputs" / "stores.json").read_text(encoding="utf-8"))["BlobStorageProperties"]
    assert stores["Container"] == tf.resolve(tf.resource("azurerm_storage_container", "reference")["name"])
    assert stores["PathPattern"] == tf.resource("azurerm_storage_blob", "stores_csv")["name"]
    for alias in OUTPUTS:
        cosmos = json.loads((project / "Outputs" / f"{alias}.json").read_text(encoding="utf-8"))
        assert cosmos["Name"] == alias
        props = cosmos["CosmosDbProperties"]
        assert props["Database"] == tf.resource("azurerm_cosmosdb_sql_database", "reports")["name"]
        assert props["ContainerName"] == tf.resource("azurerm_cosmosdb_sql_container", "reports")["name"]
        assert props["DocumentId"] == tf.resource("azurerm_stream_analytics_output_cosmosdb", "windows")["document_id"]
    for alias, hub in (("frames", "events"), ("counts", "counts")):
        declared = json.loads((project / "Inputs" / f"{alias}.json").read_text(encoding="utf-8"))
        assert declared["Name"] == alias and declared["Type"] == "Data Stream"
        deployed = tf.resource("azurerm_stream_analytics_stream_input_eventhub_v2", alias)
        assert deployed["eventhub_name"] == "${azurerm_eventhub." + hub + ".name}"
        hub_name = tf.resolve(tf.resource("azurerm_eventhub", hub)["name"])
        assert declared["EventHubProperties"]["EventHubName"] == hub_name
        assert declared["EventHubProperties"]["ConsumerGroupName"] == "stream-analytics"
    cameras = json.loads((project / "Inputs" / "cameras.json").read_text(encoding="utf-8"))["BlobStorageProperties"]
    assert cameras["PathPattern"] == tf.resource("azurerm_storage_blob", "cameras_csv")["name"]


def test_cosmos_keeps_13_months_partitioned_by_store(tf: TerraformModule) -> None:
    container = tf.resource("azurerm_cosmosdb_sql_container", "reports")
    assert container["partition_key_paths"] == ["/store_id"]
    assert container["default_ttl"] == "${var.reports_ttl_seconds}"
    assert tf.variables["reports_ttl_seconds"]["default"] >= 400 * 86400
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    assert settings["FOOTFALL_COSMOS_CONTAINER"] == "${azurerm_cosmosdb_sql_container.reports.name}"


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


def _holds(condition: str, name: str, value: object) -> bool | None:
    """A variable's validation condition evaluated for ``value``; None when it uses more than comparisons,
    arithmetic, floor, contains and can(regex(...)) (those few are left to ``terraform validate``)."""
    expr = condition.removeprefix("${").removesuffix("}")
    if re.search(r"\b(alltrue|cidrhost|for)\b", expr):
        return None
    expr = re.sub(r'can\(regex\(("(?:[^"\\]|\\.)*"), var\.(\w+)\)\)', r"_regex(\1, var_\2)", expr)
    expr = re.sub(r"contains\((\[[^\]]*\]), ", r"_contains(\1, ", expr)
    expr = re.sub(r"var\.(\w+)", r"var_\1", expr).replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"\bnull\b", "None", expr)
    scope = {"__builtins__": {}, "floor": math.floor, f"var_{name}": value,
             "_regex": lambda pattern, v: v is not None and re.search(pattern, v) is not None,
             "_contains": lambda values, v: v in values}
    return bool(eval(expr, scope))  # our own Terraform conditions, rewritten above: no builtins


def test_every_default_and_example_value_passes_its_variables_validation(tf: TerraformModule) -> None:
    example = hcl2.loads((TERRAFORM_DIR / "terraform.tfvars.example").read_text(encoding="utf-8"),
                         serialization_options=SerializationOptions(strip_string_quotes=True, with_comments=False))
    checked = 0
    for name, variable in tf.variables.items():
        values = [("default", variable["default"])] if variable.get("default") is not None else []
        values += [("example", example[name])] if name in example else []
        for rule in variable.get("validation", []):
            for where, value in values:
                verdict = _holds(rule["condition"], name, value)
                assert verdict is not False, f"{where} {name} = {value!r}: {rule['error_message']}"
                checked += verdict is not None
    assert checked > 40
    # The evaluator refuses what the rules refuse.
    rule = tf.variables["quarantine_retention_days"]["validation"][0]["condition"]
    assert _holds(rule, "quarantine_retention_days", 14) is False and _holds(rule, "quarantine_retention_days", 7)
    rule = tf.variables["asa_streaming_units"]["validation"][0]["condition"]
    assert [_holds(rule, "asa_streaming_units", n) for n in (3, 5, 20, 25)] == [True, False, True, False]


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


def test_the_reports_api_and_power_bi_read_the_same_group_map(tf: TerraformModule) -> None:
    """powerbi/access_groups.csv is the one home: Terraform renders it into FOOTFALL_REPORTS_ACCESS."""
    import csv

    from footfall.powerbi.access import ACCESS_GROUPS_CSV, groups, read_rows
    from functions.contracts import StoreRecord
    from functions.reports.access import AccessMap

    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    assert settings["FOOTFALL_REPORTS_ACCESS"] == "${jsonencode({groups = local.reports_access})}"
    assert 'powerbi/access_groups.csv' in tf.locals["access_rows"]
    assert "csvdecode" in tf.locals["access_rows"]
    # What the locals' for-expressions render from the file (the same grouping, written out here) ...
    rows = list(csv.DictReader(ACCESS_GROUPS_CSV.open(encoding="utf-8")))
    rendered = json.dumps({"groups": {
        gid: {"regions": [r["value"] for r in rows if r["group_id"] == gid and r["scope"] == "region"],
              "stores": [r["value"] for r in rows if r["group_id"] == gid and r["scope"] == "store"]}
        for gid in dict.fromkeys(r["group_id"] for r in rows)}})
    # ... gives every group the API the same regions and stores as its Power BI role.
    access = AccessMap.parse(rendered)
    with STORES_CSV.open(encoding="utf-8") as f:
        stores = [StoreRecord.model_validate(r) for r in csv.DictReader(f)]
    for group in groups(read_rows(), stores):
        scope = access.scope_of({group.group_id})
        assert scope.regions == frozenset(group.regions) and scope.stores == frozenset(group.stores), group.name
    assert settings["FOOTFALL_ROLLUP_TTL_DAYS"] == "${tostring(var.reports_rollup_ttl_days)}"
    ttl_default = str(tf.variables["reports_rollup_ttl_days"]["default"])
    ttl_days = Settings(FOOTFALL_ROLLUP_TTL_DAYS=ttl_default).rollup_ttl_days
    assert ttl_days * 86400 > tf.variables["reports_ttl_seconds"]["default"], "rollups outlive the windows"


def test_emotion_is_off_where_the_stores_reference_says_so(tf: TerraformModule) -> None:
    import csv

    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    expression = settings["FOOTFALL_EMOTION_OFF"]
    assert "csvdecode(file(local.stores_csv_path))" in expression and 'lower(s.emotion) == "no"' in expression
    with STORES_CSV.open(newline="") as f:
        off = [row["store_id"] for row in csv.DictReader(f) if row["emotion"].lower() == "no"]
    assert off, "stores.csv shows how a store turns emotion off"


def test_only_stores_of_the_reference_data_may_upload_in_azure(tf: TerraformModule,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import csv

    value = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]["FOOTFALL_KNOWN_STORES"]
    assert value == '${join(",", [for store in csvdecode(file(local.stores_csv_path)) : store.store_id])}'
    assert tf.resolve("${local.stores_csv_path}").endswith("stream_analytics/stores.csv")
    with STORES_CSV.open(newline="", encoding="utf-8") as f:
        ids = [row["store_id"] for row in csv.DictReader(f)]
    monkeypatch.setenv("FOOTFALL_KNOWN_STORES", ",".join(ids))  # what Terraform renders
    assert Settings().known_store_ids() == frozenset(ids) and len(ids) > 1


def test_the_function_deletes_quarantined_evidence_after_the_lifecycle_rules_days(tf: TerraformModule) -> None:
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    assert settings["FOOTFALL_QUARANTINE_RETENTION_DAYS"] == "${tostring(var.quarantine_retention_days)}"


def test_the_edge_deployment_pulls_the_image_the_registry_token_is_scoped_to(tf: TerraformModule) -> None:
    assert tf.locals["edge_module_image"] == IMAGE_REPOSITORY
