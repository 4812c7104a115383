"""Alert rules (alerts.tf) and the telemetry pipeline behind them (telemetry.tf): each rule exists with
the query or metric it is meant to watch, and every name it reads is the one the code emits."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from tf_model import REPO, TerraformModule

from edge_module.telemetry import TELEMETRY_SCHEMA
from face_service import telemetry as face_telemetry
from functions import telemetry as function_telemetry
from functions.contracts import COUNT_SCHEMA

QUERY_RULE = "azurerm_monitor_scheduled_query_rules_alert_v2"
METRIC_RULE = "azurerm_monitor_metric_alert"


def render(tf: TerraformModule, text: str) -> str:
    """A heredoc local as Terraform renders it: indentation stripped, locals and variable defaults filled in."""
    lines = text.splitlines()
    if lines and lines[0].startswith("<<"):
        lines = lines[1:-1]
    text = textwrap.dedent("\n".join(lines))

    def value(match: re.Match[str]) -> str:
        kind, path = match.group(1), match.group(2).split(".")
        current: Any = tf.locals if kind == "local" else {k: v.get("default") for k, v in tf.variables.items()}
        for part in path:
            current = current[part]
        return render(tf, current) if isinstance(current, str) and "${" in current else str(current)

    return re.sub(r"\$\{(local|var)\.([A-Za-z0-9_.]+)\}", value, text)


def query_of(tf: TerraformModule, name: str) -> str:
    (criteria,) = tf.resource(QUERY_RULE, name)["criteria"]
    match = re.fullmatch(r"\$\{local\.(\w+)\}", criteria["query"])
    assert match, criteria["query"]
    return render(tf, tf.locals[match.group(1)])


def function_metric_names() -> set[str]:
    reader = InMemoryMetricReader()
    instruments = function_telemetry.IngestMetrics(MeterProvider(metric_readers=[reader]))
    for field in ("invocations", "sent", "faces", "skipped"):
        instruments.count(field, 1)
    instruments.quarantine("poison")
    instruments.face_call(1.0, 429)
    data = reader.get_metrics_data()
    assert data is not None
    return {m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}


def test_every_rule_notifies_the_action_group_of_the_variable_or_the_one_created(tf: TerraformModule) -> None:
    assert tf.variables["alert_action_group_id"]["default"] is None
    group = tf.resource("azurerm_monitor_action_group", "main")
    assert group["count"] == "${var.alert_action_group_id == null ? 1 : 0}"
    (receivers,) = group["dynamic"]
    assert receivers["email_receiver"]["for_each"] == "${var.alert_email_receivers}"
    assert "var.alert_action_group_id" in tf.locals["action_group_id"]
    rules = {**tf.resources[QUERY_RULE], **tf.resources[METRIC_RULE]}
    assert set(rules) == {"camera_silent", "quarantine_rate", "face_service_errors", "function_failures",
                          "counts_relay_stalled", "asa_runtime_errors", "asa_watermark_delay"}
    for name, rule in rules.items():
        (action,) = rule["action"]
        assert action.get("action_groups") == ["${local.action_group_id}"] or \
            action.get("action_group_id") == "${local.action_group_id}", name


def test_a_camera_silent_in_opening_hours_alerts_per_store_and_camera(tf: TerraformModule) -> None:
    rule = tf.resource(QUERY_RULE, "camera_silent")
    assert rule["scopes"] == ["${azurerm_log_analytics_workspace.main.id}"]
    assert (rule["window_duration"], rule["evaluation_frequency"], rule["query_time_range_override"]) == (
        "PT30M", "PT10M", "P2D")
    (criteria,) = rule["criteria"]
    assert (criteria["time_aggregation_method"], criteria["operator"], criteria["threshold"]) == (
        "Count", "GreaterThan", 0)
    assert {d["name"] for d in criteria["dimension"]} == {"store_id", "camera_id"}
    assert tf.variables["alert_camera_silent_minutes"]["default"] == 30

    query = query_of(tf, "camera_silent")
    assert "let silent_for = 30m;" in query
    # Expected now: counted frames in the same half hour yesterday (the store's opening hours).
    assert "FootfallCounts_CL\n    | where TimeGenerated between (ago(1d + silent_for) .. ago(1d))" in query
    # Silent: no frames since, and no photo either.
    assert "| where TimeGenerated > ago(silent_for)\n    | summarize frames = sum(frames) by store_id, camera_id\n" \
           "    | where frames > 0;" in query
    assert 'AppRequests\n    | where TimeGenerated > ago(silent_for) and Name == "analyze_upload"' in query
    assert "| join kind=leftanti counted on store_id, camera_id\n| join kind=leftanti photographed" in query
    # The span attributes it reads are the ones the blueprint sets.
    blueprint = (REPO / "functions" / "blueprints" / "ingest.py").read_text(encoding="utf-8")
    for attribute in re.findall(r'Properties\["([^"]+)"\]', query):
        assert f'"{attribute}"' in blueprint, attribute


def test_quarantine_rate_reads_the_function_s_own_metrics(tf: TerraformModule) -> None:
    (criteria,) = tf.resource(QUERY_RULE, "quarantine_rate")["criteria"]
    assert (criteria["metric_measure_column"], criteria["operator"], criteria["threshold"]) == (
        "quarantine_rate", "GreaterThan", "${var.alert_quarantine_rate}")
    query = query_of(tf, "quarantine_rate")
    assert "extend quarantine_rate = quarantined / uploads" in query
    names = set(re.findall(r'"(footfall\.[a-z_.]+)"', query))
    assert names == {"footfall.uploads", "footfall.quarantined"}
    assert names <= function_metric_names()


def test_face_service_5xx_and_429_rate_reads_its_request_spans(tf: TerraformModule) -> None:
    (criteria,) = tf.resource(QUERY_RULE, "face_service_errors")["criteria"]
    assert (criteria["metric_measure_column"], criteria["threshold"]) == (
        "error_rate", "${var.alert_face_service_error_rate}")
    query = query_of(tf, "face_service_errors")
    assert f'AppRoleName == "{face_telemetry.SERVICE_NAME}"' in query
    assert 'countif(ResultCode == "429" or toint(ResultCode) >= 500)' in query
    assert "extend error_rate = todouble(failed) / requests" in query


def test_function_failures_count_failed_invocation_spans(tf: TerraformModule) -> None:
    (criteria,) = tf.resource(QUERY_RULE, "function_failures")["criteria"]
    assert (criteria["metric_measure_column"], criteria["threshold"]) == (
        "failure_rate", "${var.alert_function_failure_rate}")
    query = query_of(tf, "function_failures")
    assert 'Name == "analyze_upload"' in query and "countif(Success == false)" in query
    assert tf.variables["blob_trigger_function_name"]["default"] == "analyze_upload"


def test_a_counts_relay_failing_for_half_an_hour_without_a_success_alerts(tf: TerraformModule) -> None:
    """relay_counts retries a failed batch without limit, so a stall shows nowhere else but silent cameras."""
    rule = tf.resource(QUERY_RULE, "counts_relay_stalled")
    (criteria,) = rule["criteria"]
    assert (criteria["time_aggregation_method"], criteria["operator"], criteria["threshold"]) == (
        "Count", "GreaterThan", 0)
    assert rule["window_duration"] == "PT30M"
    query = query_of(tf, "counts_relay_stalled")
    assert 'Name == "relay_counts"' in query and "where failures > 0 and successes == 0" in query
    blueprint = (REPO / "functions" / "blueprints" / "counts.py").read_text(encoding="utf-8")
    assert '@bp.function_name("relay_counts")' in blueprint and 'invocation_span("relay_counts")' in blueprint


@pytest.mark.parametrize(("name", "metric", "aggregation", "threshold"), [
    ("asa_runtime_errors", "Errors", "Total", 0),
    ("asa_watermark_delay", "OutputWatermarkDelaySeconds", "Maximum", "${var.alert_watermark_delay_seconds}"),
])
def test_stream_analytics_runtime_errors_and_watermark_delay(
    tf: TerraformModule, name: str, metric: str, aggregation: str, threshold: object
) -> None:
    rule = tf.resource(METRIC_RULE, name)
    assert rule["scopes"] == ["${azurerm_stream_analytics_job.main.id}"]
    (criteria,) = rule["criteria"]
    assert criteria == {"metric_namespace": "Microsoft.StreamAnalytics/streamingjobs", "metric_name": metric,
                        "aggregation": aggregation, "operator": "GreaterThan", "threshold": threshold}


# --- the pipeline the rules read ------------------------------------------------------------


def test_iot_hub_routes_the_edge_module_s_telemetry_to_its_event_hub(tf: TerraformModule) -> None:
    route = tf.resource("azurerm_iothub_route", "edge_telemetry")
    assert route["condition"] == f"schema = '{TELEMETRY_SCHEMA}'"
    assert route["endpoint_names"] == ["${azurerm_iothub_endpoint_eventhub.edge_telemetry.name}"]
    endpoint = tf.resource("azurerm_iothub_endpoint_eventhub", "edge_telemetry")
    assert endpoint["authentication_type"] == "identityBased"
    assert endpoint["entity_path"] == "${azurerm_eventhub.edge_telemetry.name}"


def test_a_data_collection_rule_imports_counts_and_telemetry_into_log_analytics(tf: TerraformModule) -> None:
    rule = tf.resource("azurerm_monitor_data_collection_rule", "edge")
    assert tf.block(rule, "identity")["type"] == "SystemAssigned"
    flows = {render(tf, f["output_stream"]): f["transform_kql"] for f in rule["data_flow"]}
    assert set(flows) == {"Custom-FootfallCounts_CL", "Custom-FootfallEdgeTelemetry_CL"}
    assert f"tostring(e.schema) == '{COUNT_SCHEMA}'" in flows["Custom-FootfallCounts_CL"]
    assert f"tostring(e.schema) == '{TELEMETRY_SCHEMA}'" in flows["Custom-FootfallEdgeTelemetry_CL"]
    for table_name, resource in (("FootfallCounts_CL", "counts"), ("FootfallEdgeTelemetry_CL", "edge_telemetry")):
        table = tf.resource("azurerm_log_analytics_workspace_table_custom_log", resource)
        assert render(tf, table["name"]) == table_name
        columns = {c["name"] for c in table["column"]}
        projected = set(re.findall(r"(\w+) = ", flows[f"Custom-{table_name}"].split("| project ", 1)[1]))
        assert projected <= columns, projected - columns
    hubs = {a["target_resource_id"] for a in tf.resources["azurerm_monitor_data_collection_rule_association"].values()}
    assert hubs == {"${azurerm_eventhub.counts.id}", "${azurerm_eventhub.edge_telemetry.id}"}
    assert tf.roles_of("azurerm_monitor_data_collection_rule.edge.identity") == {
        "Azure Event Hubs Data Receiver": hubs}
    groups = {tf.resource("azurerm_eventhub_consumer_group", n)["name"]
              for n in ("counts_log_analytics", "edge_telemetry_log_analytics")}
    (source,) = tf.block(tf.block(rule, "data_sources"), "data_import")["event_hub_data_source"]
    assert groups == {"log-analytics"} and source["consumer_group"].endswith("counts_log_analytics.name}")


def test_the_face_service_is_told_where_and_as_whom_to_send_telemetry(tf: TerraformModule) -> None:
    app = tf.resource("azurerm_container_app", "face")
    (container,) = tf.block(app, "template")["container"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["APPLICATIONINSIGHTS_CONNECTION_STRING"] == "${azurerm_application_insights.main.connection_string}"
    assert env["AZURE_CLIENT_ID"] == "${azurerm_user_assigned_identity.face.client_id}"
    fields = face_telemetry.TelemetrySettings.model_fields
    assert fields["connection_string"].validation_alias == "APPLICATIONINSIGHTS_CONNECTION_STRING"
    assert fields["managed_identity_client_id"].validation_alias == "AZURE_CLIENT_ID"
