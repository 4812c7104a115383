"""Security-relevant settings of infra/terraform, read from the HCL itself.

Each test states one property the deployment must keep: no public or key-based access to
data, TLS 1.2, managed identities with the narrowest role that works, retention limits.
"""

from __future__ import annotations

import re

import pytest
from tf_model import TERRAFORM_DIR, TerraformModule

FUNCTION = "azurerm_function_app_flex_consumption.main.identity[0].principal_id"
STREAM_ANALYTICS = "azurerm_stream_analytics_job.main.identity[0].principal_id"
FACE_IDENTITY = "azurerm_user_assigned_identity.face.principal_id"


# --- Storage -------------------------------------------------------------------------------------


def test_storage_account_allows_no_anonymous_no_key_and_no_plain_http_access(tf: TerraformModule) -> None:
    account = tf.resource("azurerm_storage_account", "main")
    assert account["allow_nested_items_to_be_public"] is False
    assert account["shared_access_key_enabled"] is False
    assert account["default_to_oauth_authentication"] is True
    assert account["https_traffic_only_enabled"] is True
    assert account["min_tls_version"] == "TLS1_2"
    assert account["local_user_enabled"] is False
    assert account["sftp_enabled"] is False


def test_storage_keeps_photos_in_one_region_and_without_soft_delete(tf: TerraformModule) -> None:
    account = tf.resource("azurerm_storage_account", "main")
    replication = tf.variables["storage_replication_type"]
    assert account["account_replication_type"] == "${var.storage_replication_type}"
    assert replication["default"] in {"LRS", "ZRS"}
    assert "GRS" not in replication["validation"][0]["condition"]
    blob_properties = tf.block(account, "blob_properties")
    assert "delete_retention_policy" not in blob_properties, "deleted photos must not stay recoverable"
    assert blob_properties["versioning_enabled"] is False


@pytest.mark.parametrize("container",
                         ["uploads", "quarantine", "reference", "function_releases", "eventgrid_deadletter"])
def test_every_container_is_private(tf: TerraformModule, container: str) -> None:
    assert tf.resource("azurerm_storage_container", container)["container_access_type"] == "private"


def test_contract_container_names(tf: TerraformModule) -> None:
    assert tf.resolve(tf.resource("azurerm_storage_container", "uploads")["name"]) == "uploads"
    assert tf.resolve(tf.resource("azurerm_storage_container", "quarantine")["name"]) == "quarantine"
    assert tf.resolve(tf.resource("azurerm_storage_container", "reference")["name"]) == "reference"


def _lifecycle_rule(tf: TerraformModule, prefix: str) -> dict:
    policy = tf.resource("azurerm_storage_management_policy", "photo_retention")
    assert policy["storage_account_id"] == "${azurerm_storage_account.main.id}"
    for rule in policy["rule"]:
        filters = tf.block(rule, "filters")
        if [tf.resolve(p) for p in filters["prefix_match"]] == [prefix]:
            return rule
    raise AssertionError(f"no lifecycle rule for prefix {prefix!r}")


def test_lifecycle_rule_deletes_unprocessed_photos_after_the_configured_days(tf: TerraformModule) -> None:
    rule = _lifecycle_rule(tf, "uploads/")
    assert rule["enabled"] is True
    base_blob = tf.block(tf.block(rule, "actions"), "base_blob")
    assert base_blob["delete_after_days_since_creation_greater_than"] == "${var.photo_retention_days}"
    days = tf.variables["photo_retention_days"]
    assert 1 <= days["default"] <= 30
    assert "var.photo_retention_days <= 30" in days["validation"][0]["condition"]


def test_lifecycle_rule_also_empties_quarantine_within_seven_days(tf: TerraformModule) -> None:
    rule = _lifecycle_rule(tf, "quarantine/")
    base_blob = tf.block(tf.block(rule, "actions"), "base_blob")
    assert base_blob["delete_after_days_since_creation_greater_than"] == "${var.quarantine_retention_days}"
    days = tf.variables["quarantine_retention_days"]
    assert days["default"] == 7
    assert "var.quarantine_retention_days <= 7" in days["validation"][0]["condition"]


def test_uploads_live_in_a_hierarchical_namespace_so_each_store_can_be_given_only_its_directory(
    tf: TerraformModule,
) -> None:
    account = tf.resource("azurerm_storage_account", "main")
    assert account["is_hns_enabled"] is True
    # Blob index tags do not exist on such an account: the function must delete, never tag.
    assert 'var.after_success == "delete"' in tf.variables["after_success"]["validation"][0]["condition"]


def test_blob_reads_writes_and_deletes_are_audited(tf: TerraformModule) -> None:
    setting = tf.resource("azurerm_monitor_diagnostic_setting", "storage_blob")
    assert setting["target_resource_id"] == "${azurerm_storage_account.main.id}/blobServices/default"
    assert {log["category"] for log in setting["enabled_log"]} == {"StorageRead", "StorageWrite", "StorageDelete"}


# --- Function App --------------------------------------------------------------------------------


def test_function_runs_python_311_on_flex_consumption_with_a_system_identity(tf: TerraformModule) -> None:
    app = tf.resource("azurerm_function_app_flex_consumption", "main")
    assert tf.resource("azurerm_service_plan", "functions")["sku_name"] == "FC1"
    assert (app["runtime_name"], app["runtime_version"]) == ("python", "3.11")
    assert tf.block(app, "identity")["type"] == "SystemAssigned"
    assert app["storage_authentication_type"] == "SystemAssignedIdentity"
    assert "storage_access_key" not in app


def test_function_accepts_https_only_with_tls_12_and_no_basic_auth_publishing(tf: TerraformModule) -> None:
    app = tf.resource("azurerm_function_app_flex_consumption", "main")
    site = tf.block(app, "site_config")
    assert app["https_only"] is True
    assert site["minimum_tls_version"] == "1.2"
    assert site["scm_minimum_tls_version"] == "1.2"
    assert app["webdeploy_publish_basic_authentication_enabled"] is False


def test_function_host_storage_is_identity_based(tf: TerraformModule) -> None:
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AzureWebJobsStorage__accountName"] == "${azurerm_storage_account.main.name}"
    # Empty on purpose, so the provider's key-less connection string never shadows the identity.
    assert settings["AzureWebJobsStorage"] == ""


def test_function_reads_the_face_key_through_a_key_vault_reference(tf: TerraformModule) -> None:
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    assert settings["FOOTFALL_FACE_KEY"] == (
        "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault_secret.face_key.versionless_id})"
    )


def test_function_identity_gets_exactly_the_data_roles_it_uses(tf: TerraformModule) -> None:
    assert tf.roles_of(FUNCTION) == {
        "Storage Blob Data Owner": {"${azurerm_storage_account.main.id}"},
        "Storage Queue Data Contributor": {"${azurerm_storage_account.main.id}"},
        "Azure Event Hubs Data Sender": {"${azurerm_eventhub.events.id}", "${azurerm_eventhub.counts.id}"},
        "Azure Event Hubs Data Receiver": {"${azurerm_eventhub.counts_raw.id}"},
        "Key Vault Secrets User": {"${azurerm_key_vault_secret.face_key.resource_versionless_id}"},
        "Monitoring Metrics Publisher": {"${azurerm_application_insights.main.id}"},
    }


def test_telemetry_requires_entra_id(tf: TerraformModule) -> None:
    assert tf.resource("azurerm_application_insights", "main")["local_authentication_disabled"] is True
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "Authorization=AAD"


# --- Event Grid ----------------------------------------------------------------------------------


def test_event_grid_delivers_only_blob_created_in_uploads_to_the_blobs_extension(tf: TerraformModule) -> None:
    subscription = tf.resource("azurerm_eventgrid_system_topic_event_subscription", "uploads_to_function")
    topic = tf.resource("azurerm_eventgrid_system_topic", "uploads")
    assert topic["topic_type"] == "Microsoft.Storage.StorageAccounts"
    assert topic["source_resource_id"] == "${azurerm_storage_account.main.id}"
    assert subscription["included_event_types"] == ["Microsoft.Storage.BlobCreated"]
    assert tf.block(subscription, "subject_filter")["subject_begins_with"] == (
        "/blobServices/default/containers/${azurerm_storage_container.uploads.name}/blobs/"
    )
    url = tf.block(subscription, "webhook_endpoint")["url"]
    assert url.startswith("https://${azurerm_function_app_flex_consumption.main.default_hostname}/runtime/webhooks/blobs?")
    assert "functionName=Host.Functions.${var.blob_trigger_function_name}" in url
    assert "code=${data.azurerm_function_app_host_keys.main[0].blobs_extension_key}" in url
    assert tf.variables["blob_trigger_function_name"]["default"] == "analyze_upload"


def test_undeliverable_blob_events_are_dead_lettered_with_the_topic_identity(tf: TerraformModule) -> None:
    subscription = tf.resource("azurerm_eventgrid_system_topic_event_subscription", "uploads_to_function")
    assert tf.block(subscription, "dead_letter_identity")["type"] == "SystemAssigned"
    destination = tf.block(subscription, "storage_blob_dead_letter_destination")
    assert destination["storage_blob_container_name"] == "${azurerm_storage_container.eventgrid_deadletter.name}"
    assert tf.roles_of("azurerm_eventgrid_system_topic.uploads.identity[0].principal_id") == {
        "Storage Blob Data Contributor": {"${azurerm_storage_container.eventgrid_deadletter.id}"},
    }


# --- Event Hubs ----------------------------------------------------------------------------------


def test_event_hubs_namespace_takes_entra_id_only_over_tls_12(tf: TerraformModule) -> None:
    namespace = tf.resource("azurerm_eventhub_namespace", "main")
    assert namespace["local_authentication_enabled"] is False
    assert namespace["minimum_tls_version"] == "1.2"
    assert "azurerm_eventhub_namespace_authorization_rule" not in tf.resources
    assert "azurerm_eventhub_authorization_rule" not in tf.resources


def test_event_hub_is_footfall_events_with_a_consumer_group_for_stream_analytics(tf: TerraformModule) -> None:
    hub = tf.resource("azurerm_eventhub", "events")
    assert tf.resolve(hub["name"]) == "footfall-events"
    assert hub["partition_count"] == "${var.eventhub_partition_count}"
    assert 2 <= tf.variables["eventhub_partition_count"]["default"] <= 32
    group = tf.resource("azurerm_eventhub_consumer_group", "stream_analytics")
    assert group["eventhub_name"] == "${azurerm_eventhub.events.name}"
    frames = tf.resource("azurerm_stream_analytics_stream_input_eventhub_v2", "frames")
    assert frames["eventhub_consumer_group_name"] == "${azurerm_eventhub_consumer_group.stream_analytics.name}"


# --- Stream Analytics ----------------------------------------------------------------------------


def test_stream_analytics_uses_its_managed_identity_for_every_input_and_output(tf: TerraformModule) -> None:
    job = tf.resource("azurerm_stream_analytics_job", "main")
    assert tf.block(job, "identity")["type"] == "SystemAssigned"
    for stream in ("frames", "counts"):
        assert tf.resource("azurerm_stream_analytics_stream_input_eventhub_v2", stream)["authentication_mode"] == "Msi"
    for name in ("stores", "cameras"):
        reference = tf.resource("azurerm_stream_analytics_reference_input_blob", name)
        assert reference["authentication_mode"] == "Msi"
        assert "storage_account_key" not in reference
    assert tf.resource("azurerm_stream_analytics_output_cosmosdb", "windows")["authentication_mode"] == "Msi"
    assert tf.roles_of(STREAM_ANALYTICS) == {
        "Azure Event Hubs Data Receiver": {"${azurerm_eventhub.events.id}", "${azurerm_eventhub.counts.id}"},
        "Storage Blob Data Reader": {"${azurerm_storage_container.reference.id}"},
    }


def test_iot_hub_routes_counts_and_telemetry_with_its_own_identity_and_may_only_send_there(tf: TerraformModule) -> None:
    hub = tf.resource("azurerm_iothub", "main")
    assert tf.block(hub, "identity")["type"] == "SystemAssigned" and hub["local_authentication_enabled"] is False
    assert tf.roles_of("azurerm_iothub.main.identity") == {
        "Azure Event Hubs Data Sender": {"${azurerm_eventhub.counts_raw.id}", "${azurerm_eventhub.edge_telemetry.id}"},
    }


def test_stream_analytics_writes_cosmos_through_data_plane_rbac(tf: TerraformModule) -> None:
    assignment = tf.resource("azurerm_cosmosdb_sql_role_assignment", "asa_reports_writer")
    assert assignment["principal_id"] == "${" + STREAM_ANALYTICS + "}"
    # Cosmos DB Built-in Data Contributor.
    assert assignment["role_definition_id"].endswith("/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002")
    assert assignment["scope"].endswith("/dbs/${azurerm_cosmosdb_sql_database.reports.name}")


def test_reports_api_reads_and_rolls_up_cosmos_with_the_function_identity_in_its_container_only(
        tf: TerraformModule) -> None:
    assignment = tf.resource("azurerm_cosmosdb_sql_role_assignment", "function_reports_rollups")
    assert assignment["principal_id"] == "${" + FUNCTION + "}"
    # Cosmos DB Built-in Data Contributor: the rollup timer writes daily store rollups; nothing beyond the
    # reports container.
    assert assignment["role_definition_id"].endswith("/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002")
    assert assignment["scope"].endswith(
        "/dbs/${azurerm_cosmosdb_sql_database.reports.name}/colls/${azurerm_cosmosdb_sql_container.reports.name}")


def test_reports_api_sits_behind_entra_id_app_service_authentication(tf: TerraformModule) -> None:
    app = tf.resource("azurerm_function_app_flex_consumption", "main")
    auth = tf.block(app, "auth_settings_v2")
    assert auth["auth_enabled"] is True and auth["require_https"] is True
    assert auth["default_provider"] == "azureactivedirectory"
    entra = tf.block(auth, "active_directory_v2")
    assert entra["client_id"] == "${var.reports_entra_client_id}"
    assert entra["tenant_auth_endpoint"].startswith("https://login.microsoftonline.com/")
    # The platform lets token-less requests through (Event Grid's webhook has none); the code refuses them.
    assert auth["unauthenticated_action"] == "AllowAnonymous"
    assert app["app_settings"]["FOOTFALL_REPORTS_AUTH"] == "app_service"


# --- Cosmos DB -----------------------------------------------------------------------------------


def test_cosmos_accepts_entra_id_only_and_no_key_based_metadata_writes(tf: TerraformModule) -> None:
    account = tf.resource("azurerm_cosmosdb_account", "main")
    assert account["local_authentication_disabled"] is True
    assert account["access_key_metadata_writes_enabled"] is False
    assert account["minimal_tls_version"] == "Tls12"
    assert account["ip_range_filter"] == '${concat(["0.0.0.0"], var.cosmos_allowed_ip_ranges)}'


def test_reports_are_kept_13_months_and_partitioned_by_store(tf: TerraformModule) -> None:
    container = tf.resource("azurerm_cosmosdb_sql_container", "reports")
    assert container["default_ttl"] == "${var.reports_ttl_seconds}"
    assert tf.variables["reports_ttl_seconds"]["default"] == 400 * 86_400
    assert container["partition_key_paths"] == ["/store_id"]


# --- Face service --------------------------------------------------------------------------------


def test_face_service_pulls_with_acr_pull_through_its_own_identity(tf: TerraformModule) -> None:
    registry = tf.resource("azurerm_container_registry", "main")
    assert registry["admin_enabled"] is False
    assert registry["anonymous_pull_enabled"] is False
    app = tf.resource("azurerm_container_app", "face")
    identity = tf.block(app, "identity")
    assert identity["type"] == "UserAssigned"
    assert identity["identity_ids"] == ["${azurerm_user_assigned_identity.face.id}"]
    assert tf.block(app, "registry")["identity"] == "${azurerm_user_assigned_identity.face.id}"
    assert tf.roles_of(FACE_IDENTITY) == {
        "AcrPull": {"${azurerm_container_registry.main.id}"},
        "Key Vault Secrets User": {"${azurerm_key_vault_secret.face_key.resource_versionless_id}"},
        "Monitoring Metrics Publisher": {"${azurerm_application_insights.main.id}"},
    }


def test_face_service_key_comes_from_key_vault(tf: TerraformModule) -> None:
    app = tf.resource("azurerm_container_app", "face")
    secret = tf.block(app, "secret")
    assert secret["key_vault_secret_id"] == "${azurerm_key_vault_secret.face_key.versionless_id}"
    assert "value" not in secret
    container = tf.block(tf.block(app, "template"), "container")
    env = {e["name"]: e for e in container["env"]}
    assert env["FOOTFALL_FACE_SERVICE_KEY"]["secret_name"] == secret["name"]


def test_face_service_scales_on_http_concurrency_and_probes_status(tf: TerraformModule) -> None:
    app = tf.resource("azurerm_container_app", "face")
    template = tf.block(app, "template")
    assert template["min_replicas"] == "${var.face_service_min_replicas}"
    assert template["max_replicas"] == "${var.face_service_max_replicas}"
    assert tf.variables["face_service_min_replicas"]["default"] >= 1
    assert tf.variables["face_service_max_replicas"]["default"] >= 6, "3x peak needs ~6 replicas"
    rule = tf.block(template, "http_scale_rule")
    assert rule["concurrent_requests"] == "${tostring(var.face_service_concurrent_requests)}"
    container = tf.block(template, "container")
    assert tf.resolve(container["image"]) == (
        "${azurerm_container_registry.main.login_server}/footfall-face-service:${var.face_service_image_tag}"
    )
    for probe in ("startup_probe", "readiness_probe", "liveness_probe"):
        block = tf.block(container, probe)
        assert (block["transport"], block["path"]) == ("HTTP", "/status")
        assert tf.resolve(str(block["port"])) == "5000"
    ingress = tf.block(app, "ingress")
    assert ingress["allow_insecure_connections"] is False
    assert tf.resolve(str(ingress["target_port"])) == "5000"


# --- Key Vault and IoT Hub -----------------------------------------------------------------------


def test_key_vault_uses_rbac_and_purge_protection(tf: TerraformModule) -> None:
    vault = tf.resource("azurerm_key_vault", "main")
    assert vault["rbac_authorization_enabled"] is True
    assert vault["purge_protection_enabled"] is True
    assert "access_policy" not in vault
    secret = tf.resource("azurerm_key_vault_secret", "face_key")
    assert secret["value"] == "${random_password.face_key.result}", "the key is generated, never written down"
    assert "expiration_date" in secret


def test_iot_hub_requires_tls_12_and_disables_hub_scoped_keys(tf: TerraformModule) -> None:
    hub = tf.resource("azurerm_iothub", "main")
    assert hub["min_tls_version"] == "1.2"
    assert hub["local_authentication_enabled"] is False
    assert "shared_access_policy" not in hub


def test_edge_devices_pull_with_a_token_limited_to_the_edge_module_image(tf: TerraformModule) -> None:
    scope_map = tf.resource("azurerm_container_registry_scope_map", "edge_pull")
    assert [tf.resolve(a) for a in scope_map["actions"]] == [
        "repositories/footfall-edge-module/content/read",
        "repositories/footfall-edge-module/metadata/read",
    ]
    token = tf.resource("azurerm_container_registry_token", "edge_pull")
    assert token["scope_map_id"] == "${azurerm_container_registry_scope_map.edge_pull.id}"
    assert "azurerm_container_registry_token_password" not in tf.resources, "passwords are minted at deploy time"


def test_only_the_deployer_can_sign_upload_sas_and_only_for_uploads(tf: TerraformModule) -> None:
    deployer = tf.roles_of("data.azurerm_client_config.current.object_id")
    assert deployer["Storage Blob Data Contributor"] == {
        "${azurerm_storage_container.uploads.id}", "${azurerm_storage_container.reference.id}",
    }
    assert deployer["Storage Blob Delegator"] == {"${azurerm_storage_account.main.id}"}


# --- Whole module --------------------------------------------------------------------------------

_SECRET_PATTERNS = [
    re.compile(r"AccountKey=[^;\"$]", re.I),
    re.compile(r"SharedAccessKey=[^;\"$]", re.I),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(password|secret|client_secret)\s*=\s*\"[^\"$]+\"", re.I),
]


@pytest.mark.parametrize("path", sorted(p.name for p in TERRAFORM_DIR.iterdir() if p.is_file()))
def test_no_secret_is_written_in_the_files(path: str) -> None:
    text = (TERRAFORM_DIR / path).read_text(encoding="utf-8")
    for pattern in _SECRET_PATTERNS:
        assert not pattern.search(text), f"{path} matches {pattern.pattern}"


def test_every_managed_identity_principal_has_a_role(tf: TerraformModule) -> None:
    principals = {a.principal_id for a in tf.role_assignments()}
    for reference in (FUNCTION, STREAM_ANALYTICS, FACE_IDENTITY):
        assert "${" + reference + "}" in principals, f"{reference} has no role assignment"


def test_count_marks_outlive_every_copy_edgehub_can_still_send(tf: TerraformModule) -> None:
    """relay_counts drops a CountEvent whose mark exists. A copy can come up to edgeHub's time to live after
    the original, and then wait up to the raw hub's retention to be relayed: marks must last that long, or
    such a copy would be counted again."""
    from edge_module.deployment import EdgeDeploymentSettings
    from functions.settings import SENT_MARK_MARGIN_DAYS

    assert tf.locals["sent_mark_retention_days"].startswith("${max(")  # whatever capture_max_age_days is set to
    # the shortest life a mark can get: the count marks' floor (capture_max_age_days may be as low as 1)
    shortest = tf.locals["count_mark_min_days"]
    edgehub_days = EdgeDeploymentSettings.model_fields["counts_ttl_s"].default / 86400
    raw_retention_days = tf.resource("azurerm_eventhub", "counts_raw")["message_retention"]
    assert shortest >= edgehub_days + raw_retention_days, (shortest, edgehub_days, raw_retention_days)
    assert tf.variables["capture_max_age_days"]["default"] + SENT_MARK_MARGIN_DAYS < shortest  # the floor matters


def test_sent_marks_are_deleted_a_day_after_the_capture_age_window_the_function_is_given(tf: TerraformModule) -> None:
    from functions.settings import SENT_MARK_MARGIN_DAYS, Settings

    rule = _lifecycle_rule(tf, "sent/")
    assert rule["enabled"] is True
    base_blob = tf.block(tf.block(rule, "actions"), "base_blob")
    assert base_blob["delete_after_days_since_creation_greater_than"] == "${local.sent_mark_retention_days}"
    assert tf.locals["sent_mark_retention_days"] == (
        "${max(var.capture_max_age_days + local.sent_mark_margin_days, local.count_mark_min_days)}")
    assert tf.locals["sent_mark_margin_days"] == SENT_MARK_MARGIN_DAYS
    # The window the function enforces is the same variable, whose default is the code's.
    settings = tf.resource("azurerm_function_app_flex_consumption", "main")["app_settings"]
    assert settings["FOOTFALL_CAPTURE_MAX_AGE_DAYS"] == "${tostring(var.capture_max_age_days)}"
    assert tf.variables["capture_max_age_days"]["default"] == Settings.model_fields["capture_max_age_days"].default
    assert settings["FOOTFALL_SENT_CONTAINER"] == "${azurerm_storage_container.sent.name}"
    assert tf.resolve(tf.resource("azurerm_storage_container", "sent")["name"]) == "sent"
    assert Settings.model_fields["sent_container"].default == "sent"
    # The function's identity may write there: Storage Blob Data Owner on the whole account.
    owner = tf.resource("azurerm_role_assignment", "function_storage_blob_owner")
    assert owner["scope"] == "${azurerm_storage_account.main.id}"
    assert owner["role_definition_name"] == "Storage Blob Data Owner"
