# The Stream Analytics job. Its query and job settings are the project's own files (one source
# of truth, tested locally with `footfall asa test`); the aliases below are the ones the query
# and stream_analytics/Inputs|Outputs use.

locals {
  # footfall.asaql is generated from the contracts (`footfall asa generate`); the .powerbi variant
  # also writes the deprecated Power BI streaming output, only when powerbi_output is set.
  asa_query_path      = "${local.stream_analytics_dir}/${var.powerbi_output ? "footfall.powerbi.asaql" : "footfall.asaql"}"
  asa_job_config_path = "${local.stream_analytics_dir}/JobConfig.json"
  asa_job_config      = jsondecode(file(local.asa_job_config_path))
  # k appears once in the query; the same replacement as footfall.stream_job.with_k.
  asa_query = replace(file(local.asa_query_path), "/visit_faces < [0-9]+ THEN 1/", "visit_faces < ${var.k_anonymity} THEN 1")
}

resource "azurerm_stream_analytics_job" "main" {
  name                = local.names.stream_analytics
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  sku_name            = local.asa_job_config.Sku.Name
  streaming_units     = var.asa_streaming_units
  compatibility_level = local.asa_job_config.CompatibilityLevel
  data_locale         = local.asa_job_config.DataLocale

  events_late_arrival_max_delay_in_seconds = local.asa_job_config.EventsLateArrivalMaxDelayInSeconds
  events_out_of_order_max_delay_in_seconds = local.asa_job_config.EventsOutOfOrderMaxDelayInSeconds
  events_out_of_order_policy               = local.asa_job_config.EventsOutOfOrderPolicy
  output_error_policy                      = local.asa_job_config.OutputErrorPolicy

  transformation_query = local.asa_query

  identity {
    type = "SystemAssigned"
  }

  tags = local.tags
}

# --- Inputs ------------------------------------------------------------------------------------

resource "azurerm_stream_analytics_stream_input_eventhub_v2" "frames" {
  name                         = "frames"
  stream_analytics_job_id      = azurerm_stream_analytics_job.main.id
  servicebus_namespace         = azurerm_eventhub_namespace.main.name
  eventhub_name                = azurerm_eventhub.events.name
  eventhub_consumer_group_name = azurerm_eventhub_consumer_group.stream_analytics.name
  authentication_mode          = "Msi"

  serialization {
    type     = "Json"
    encoding = "UTF8"
  }

  depends_on = [azurerm_role_assignment.asa_eventhub_receiver]
}

# CountEvents: the edge modules' minute counts, routed by IoT Hub to their own event hub.
resource "azurerm_stream_analytics_stream_input_eventhub_v2" "counts" {
  name                         = "counts"
  stream_analytics_job_id      = azurerm_stream_analytics_job.main.id
  servicebus_namespace         = azurerm_eventhub_namespace.main.name
  eventhub_name                = azurerm_eventhub.counts.name
  eventhub_consumer_group_name = azurerm_eventhub_consumer_group.counts_stream_analytics.name
  authentication_mode          = "Msi"

  serialization {
    type     = "Json"
    encoding = "UTF8"
  }

  depends_on = [azurerm_role_assignment.asa_counts_receiver]
}

resource "azurerm_stream_analytics_reference_input_blob" "stores" {
  name                      = "stores"
  stream_analytics_job_name = azurerm_stream_analytics_job.main.name
  resource_group_name       = azurerm_resource_group.main.name
  storage_account_name      = azurerm_storage_account.main.name
  storage_container_name    = azurerm_storage_container.reference.name
  path_pattern              = azurerm_storage_blob.stores_csv.name
  date_format               = "yyyy/MM/dd"
  time_format               = "HH"
  authentication_mode       = "Msi"

  serialization {
    type            = "Csv"
    encoding        = "UTF8"
    field_delimiter = ","
  }

  depends_on = [azurerm_role_assignment.asa_reference_reader]
}

resource "azurerm_stream_analytics_reference_input_blob" "cameras" {
  name                      = "cameras"
  stream_analytics_job_name = azurerm_stream_analytics_job.main.name
  resource_group_name       = azurerm_resource_group.main.name
  storage_account_name      = azurerm_storage_account.main.name
  storage_container_name    = azurerm_storage_container.reference.name
  path_pattern              = azurerm_storage_blob.cameras_csv.name
  date_format               = "yyyy/MM/dd"
  time_format               = "HH"
  authentication_mode       = "Msi"

  serialization {
    type            = "Csv"
    encoding        = "UTF8"
    field_delimiter = ","
  }

  depends_on = [azurerm_role_assignment.asa_reference_reader]
}

# --- Outputs -----------------------------------------------------------------------------------

# Both outputs upsert into one container partitioned on /store_id; doc_type tells them apart.
resource "azurerm_stream_analytics_output_cosmosdb" "windows" {
  for_each                 = toset(["store_windows", "zone_windows"])
  name                     = each.key
  stream_analytics_job_id  = azurerm_stream_analytics_job.main.id
  cosmosdb_sql_database_id = azurerm_cosmosdb_sql_database.reports.id
  container_name           = azurerm_cosmosdb_sql_container.reports.name
  document_id              = "id"
  authentication_mode      = "Msi"
  # Required by the provider schema but unused with Msi; account keys are disabled anyway
  # (local_authentication_disabled on the account).
  cosmosdb_account_key = azurerm_cosmosdb_account.main.primary_key

  depends_on = [azurerm_cosmosdb_sql_role_assignment.asa_reports_writer]
}

# Deprecated by Microsoft (no new Power BI outputs after 31 October 2027; see infra/README.md), so
# off by default. Authenticates with the job's managed identity, which must be a Contributor of
# the Power BI workspace (a Power BI permission, not an Azure role).
resource "azurerm_stream_analytics_output_powerbi" "powerbi" {
  count                   = var.powerbi_output ? 1 : 0
  name                    = "powerbi"
  stream_analytics_job_id = azurerm_stream_analytics_job.main.id
  dataset                 = var.powerbi_dataset
  table                   = var.powerbi_table
  group_id                = var.powerbi_group_id
  group_name              = var.powerbi_group_name
}

# --- What the job's identity may do ------------------------------------------------------------

resource "azurerm_role_assignment" "asa_eventhub_receiver" {
  scope                = azurerm_eventhub.events.id
  role_definition_name = "Azure Event Hubs Data Receiver"
  principal_id         = azurerm_stream_analytics_job.main.identity[0].principal_id
}

resource "azurerm_role_assignment" "asa_counts_receiver" {
  scope                = azurerm_eventhub.counts.id
  role_definition_name = "Azure Event Hubs Data Receiver"
  principal_id         = azurerm_stream_analytics_job.main.identity[0].principal_id
}

resource "azurerm_role_assignment" "asa_reference_reader" {
  scope                = azurerm_storage_container.reference.id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = azurerm_stream_analytics_job.main.identity[0].principal_id
}

# Cosmos DB data-plane RBAC: built-in "Cosmos DB Built-in Data Contributor" on the database.
resource "azurerm_cosmosdb_sql_role_assignment" "asa_reports_writer" {
  resource_group_name = azurerm_resource_group.main.name
  account_name        = azurerm_cosmosdb_account.main.name
  role_definition_id  = "${azurerm_cosmosdb_account.main.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002"
  principal_id        = azurerm_stream_analytics_job.main.identity[0].principal_id
  scope               = "${azurerm_cosmosdb_account.main.id}/dbs/${azurerm_cosmosdb_sql_database.reports.name}"
}
