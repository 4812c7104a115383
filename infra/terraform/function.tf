# The ingest function: Python 3.11 on Flex Consumption, system-assigned identity, no keys.
# Flex Consumption runs blob triggers only with source = EventGrid, which is the design anyway
# (BlobCreated events pushed to the function instead of container polling).

resource "azurerm_service_plan" "functions" {
  #checkov:skip=CKV_AZURE_225:Flex Consumption (FC1) places and scales instances per function itself; the plan has no zone_balancing setting to turn on here.
  #checkov:skip=CKV_AZURE_212:Flex Consumption has no fixed worker count; capacity is function_maximum_instance_count on the app, and Event Grid retries undelivered events for 24 h.
  name                = local.names.function_plan
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  os_type             = "Linux"
  sku_name            = "FC1"
  tags                = local.tags
}

# powerbi/access_groups.csv is the one mapping of Entra ID groups to the regions and stores they may
# read: the Power BI model's roles and the reports API's FOOTFALL_REPORTS_ACCESS are both made from it.
locals {
  access_rows = csvdecode(file("${path.module}/../../powerbi/access_groups.csv"))
  reports_access = {
    for id in distinct([for row in local.access_rows : row.group_id]) : id => {
      regions = [for row in local.access_rows : row.value if row.group_id == id && row.scope == "region"]
      stores  = [for row in local.access_rows : row.value if row.group_id == id && row.scope == "store"]
    }
  }
}

resource "azurerm_function_app_flex_consumption" "main" {
  name                = local.names.function_app
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  service_plan_id     = azurerm_service_plan.functions.id

  runtime_name           = "python"
  runtime_version        = "3.11"
  maximum_instance_count = var.function_maximum_instance_count
  instance_memory_in_mb  = var.function_instance_memory_mb

  # Deployment packages are read with the app's own identity (Storage Blob Data Owner below).
  storage_container_type      = "blobContainer"
  storage_container_endpoint  = "${azurerm_storage_account.main.primary_blob_endpoint}${azurerm_storage_container.function_releases.name}"
  storage_authentication_type = "SystemAssignedIdentity"

  https_only                                     = true
  public_network_access_enabled                  = true
  webdeploy_publish_basic_authentication_enabled = false

  identity {
    type = "SystemAssigned"
  }

  # The reports API behind Microsoft Entra ID (App Service authentication). The platform validates
  # bearer tokens and passes the caller to the code as X-MS-CLIENT-PRINCIPAL (a header clients cannot
  # set); FOOTFALL_REPORTS_AUTH=app_service makes every reports route answer 401 without it and filter
  # each query to the caller's groups (FOOTFALL_REPORTS_ACCESS). Unauthenticated requests are let
  # through to the code on purpose: Event Grid delivers BlobCreated to /runtime/webhooks/blobs with
  # the blobs extension key and no Entra token, and must keep reaching the blob trigger.
  auth_settings_v2 {
    auth_enabled           = true
    require_authentication = false
    unauthenticated_action = "AllowAnonymous"
    default_provider       = "azureactivedirectory"
    require_https          = true

    active_directory_v2 {
      client_id            = var.reports_entra_client_id
      tenant_auth_endpoint = "https://login.microsoftonline.com/${data.azurerm_client_config.current.tenant_id}/v2.0"
      allowed_audiences    = ["api://${var.reports_entra_client_id}", var.reports_entra_client_id]
    }

    login {
      token_store_enabled = false
    }
  }

  site_config {
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    http2_enabled                          = true
    application_insights_connection_string = azurerm_application_insights.main.connection_string
  }

  # Names match functions/settings.py; values are endpoints and identities, never keys.
  app_settings = {
    # Identity-based host storage (also the blob trigger's connection). "AzureWebJobsStorage" is
    # set empty on purpose: the provider otherwise injects a key-less connection string that the
    # host prefers over the identity settings (hashicorp/terraform-provider-azurerm#29149, #29693);
    # the empty value is dropped. Only __accountName, no per-service URIs: the host has had
    # intermittent 401s with __blobServiceUri on Flex Consumption (Azure/azure-functions-host#11787).
    "AzureWebJobsStorage"              = ""
    "AzureWebJobsStorage__accountName" = azurerm_storage_account.main.name
    "AzureWebJobsStorage__credential"  = "managedidentity"

    # The function's own blob client (functions/settings.py: storage_account_url), with
    # DefaultAzureCredential, i.e. the same managed identity.
    "FOOTFALL_STORAGE_ACCOUNT_URL" = trimsuffix(azurerm_storage_account.main.primary_blob_endpoint, "/")

    # Telemetry with Entra ID (Application Insights has local auth disabled).
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING" = "Authorization=AAD"

    # functions/blueprints/ingest.py declares the blob trigger with source=EventGrid when set.
    "FOOTFALL_BLOB_TRIGGER_SOURCE" = "EventGrid"

    "FOOTFALL_UPLOADS_CONTAINER"    = azurerm_storage_container.uploads.name
    "FOOTFALL_QUARANTINE_CONTAINER" = azurerm_storage_container.quarantine.name
    "FOOTFALL_SENT_CONTAINER"       = azurerm_storage_container.sent.name
    "FOOTFALL_AFTER_SUCCESS"        = var.after_success

    # Only stores in the reference data may upload: others are quarantined unknown_store and never
    # reach fleet totals. The list is stores.csv's store_id column, read at plan time.
    "FOOTFALL_KNOWN_STORES" = join(",", [for store in csvdecode(file(local.stores_csv_path)) : store.store_id])

    # The capture-age window; the sent marks' lifecycle rule (storage.tf) keeps them a day longer.
    "FOOTFALL_CAPTURE_MAX_AGE_DAYS" = tostring(var.capture_max_age_days)

    # The re-drive timer deletes quarantined evidence after the same days as the lifecycle rule.
    "FOOTFALL_QUARANTINE_RETENTION_DAYS" = tostring(var.quarantine_retention_days)

    "FOOTFALL_FACE_ENDPOINT" = "https://${azurerm_container_app.face.ingress[0].fqdn}"
    "FOOTFALL_FACE_KEY"      = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault_secret.face_key.versionless_id})"

    "FOOTFALL_EVENT_SINK"         = "eventhub"
    "FOOTFALL_EVENTHUB_NAMESPACE" = "${azurerm_eventhub_namespace.main.name}.servicebus.windows.net"
    "FOOTFALL_EVENTHUB_NAME"      = azurerm_eventhub.events.name
    # relay_counts: CountEvents from the hub IoT Hub routes them to, each event id once to the job's hub.
    "FOOTFALL_COUNTS_RELAY_SOURCE"               = azurerm_eventhub.counts_raw.name
    "FOOTFALL_COUNTS_EVENTHUB_NAME"              = azurerm_eventhub.counts.name
    "FOOTFALL_EVENTHUB__fullyQualifiedNamespace" = "${azurerm_eventhub_namespace.main.name}.servicebus.windows.net"

    "FOOTFALL_K" = tostring(var.k_anonymity)

    # Reports: Entra ID callers only, each reading the regions and stores their groups are granted;
    # daily store rollups (written by the rollup_store_days timer) outlive the windows' 400 days.
    "FOOTFALL_REPORTS_AUTH"    = "app_service"
    "FOOTFALL_REPORTS_ACCESS"  = jsonencode({ groups = local.reports_access })
    "FOOTFALL_ROLLUP_TTL_DAYS" = tostring(var.reports_rollup_ttl_days)

    # Emotion recognition off for the stores whose stores.csv row says emotion = no (EU AI Act).
    "FOOTFALL_EMOTION_OFF" = join(",", [for s in csvdecode(file(local.stores_csv_path)) : s.store_id if lower(s.emotion) == "no"])

    # Reports API (HTTP functions) reads the window aggregates with the app's identity, no key.
    "FOOTFALL_COSMOS_ENDPOINT"  = azurerm_cosmosdb_account.main.endpoint
    "FOOTFALL_COSMOS_DATABASE"  = azurerm_cosmosdb_sql_database.reports.name
    "FOOTFALL_COSMOS_CONTAINER" = azurerm_cosmosdb_sql_container.reports.name
  }

  tags = local.tags
}

# --- What the function's identity may do (instead of keys) --------------------------------------

# Host storage (leases, deployment package) and the photos: read, tag, delete, move to quarantine,
# and write the sent marks.
resource "azurerm_role_assignment" "function_storage_blob_owner" {
  scope                = azurerm_storage_account.main.id
  role_definition_name = "Storage Blob Data Owner"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
}

# The Functions host keeps the blob trigger's poison queue in queue storage.
resource "azurerm_role_assignment" "function_storage_queue" {
  scope                = azurerm_storage_account.main.id
  role_definition_name = "Storage Queue Data Contributor"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
}

resource "azurerm_role_assignment" "function_eventhub_sender" {
  scope                = azurerm_eventhub.events.id
  role_definition_name = "Azure Event Hubs Data Sender"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
}

# relay_counts reads the routed CountEvents and sends each once to the hub Stream Analytics reads.
resource "azurerm_role_assignment" "function_counts_raw_receiver" {
  scope                = azurerm_eventhub.counts_raw.id
  role_definition_name = "Azure Event Hubs Data Receiver"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
}

resource "azurerm_role_assignment" "function_counts_sender" {
  scope                = azurerm_eventhub.counts.id
  role_definition_name = "Azure Event Hubs Data Sender"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
}

resource "azurerm_role_assignment" "function_face_key_reader" {
  scope                = azurerm_key_vault_secret.face_key.resource_versionless_id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
}

# The reports API reads aggregates and the rollup timer writes daily store rollups beside them:
# Cosmos DB data-plane "Built-in Data Contributor", on the reports container only.
resource "azurerm_cosmosdb_sql_role_assignment" "function_reports_rollups" {
  resource_group_name = azurerm_resource_group.main.name
  account_name        = azurerm_cosmosdb_account.main.name
  role_definition_id  = "${azurerm_cosmosdb_account.main.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002"
  principal_id        = azurerm_function_app_flex_consumption.main.identity[0].principal_id
  scope               = "${azurerm_cosmosdb_account.main.id}/dbs/${azurerm_cosmosdb_sql_database.reports.name}/colls/${azurerm_cosmosdb_sql_container.reports.name}"
}

resource "azurerm_role_assignment" "function_telemetry" {
  scope                = azurerm_application_insights.main.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
}

# --- Event Grid: BlobCreated in "uploads" -> the blob trigger's webhook ------------------------

resource "azurerm_eventgrid_system_topic" "uploads" {
  name                = local.names.event_grid_topic
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  source_resource_id  = azurerm_storage_account.main.id
  topic_type          = "Microsoft.Storage.StorageAccounts"

  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

# Event Grid writes undeliverable events with its own identity.
resource "azurerm_role_assignment" "eventgrid_deadletter_writer" {
  scope                = azurerm_storage_container.eventgrid_deadletter.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_eventgrid_system_topic.uploads.identity[0].principal_id
}

# The blobs extension's system key authenticates Event Grid to the webhook. It exists only once
# the function code is published, hence blob_events_enabled (see variables.tf).
data "azurerm_function_app_host_keys" "main" {
  count               = var.blob_events_enabled ? 1 : 0
  name                = azurerm_function_app_flex_consumption.main.name
  resource_group_name = azurerm_resource_group.main.name
}

resource "azurerm_eventgrid_system_topic_event_subscription" "uploads_to_function" {
  count               = var.blob_events_enabled ? 1 : 0
  name                = "uploads-to-${var.blob_trigger_function_name}"
  system_topic        = azurerm_eventgrid_system_topic.uploads.name
  resource_group_name = azurerm_resource_group.main.name

  webhook_endpoint {
    url                               = "https://${azurerm_function_app_flex_consumption.main.default_hostname}/runtime/webhooks/blobs?functionName=Host.Functions.${var.blob_trigger_function_name}&code=${data.azurerm_function_app_host_keys.main[0].blobs_extension_key}"
    max_events_per_batch              = 1
    preferred_batch_size_in_kilobytes = 64
  }

  event_delivery_schema = "EventGridSchema"
  included_event_types  = ["Microsoft.Storage.BlobCreated"]

  subject_filter {
    subject_begins_with = "/blobServices/default/containers/${azurerm_storage_container.uploads.name}/blobs/"
  }

  retry_policy {
    max_delivery_attempts = 30
    event_time_to_live    = 1440
  }

  dead_letter_identity {
    type = "SystemAssigned"
  }

  storage_blob_dead_letter_destination {
    storage_account_id          = azurerm_storage_account.main.id
    storage_blob_container_name = azurerm_storage_container.eventgrid_deadletter.name
  }

  depends_on = [azurerm_role_assignment.eventgrid_deadletter_writer]
}
