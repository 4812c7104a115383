# Names, tags and the resource group. One file per concern follows:
#   monitoring.tf        Log Analytics + Application Insights
#   storage.tf           photo storage, containers, lifecycle backstop, reference data
#   eventhubs.tf         namespace, hub "footfall-events", consumer group for Stream Analytics
#   keyvault.tf          Key Vault and the face service key
#   function.tf          Flex Consumption Function App, its role assignments, Event Grid feed
#   face_service.tf      container registry, Container Apps environment, face service app
#   cosmos.tf            Cosmos DB account, database, reports container (TTL one year)
#   stream_analytics.tf  the job, its query from stream_analytics/footfall.asaql, inputs, outputs
#   iothub.tf            IoT Hub for the edge devices
#   telemetry.tf         edge telemetry and CountEvents into Log Analytics, face service telemetry role
#   alerts.tf            action group and alert rules (dead camera, quarantine, face service, function, ASA)

data "azurerm_client_config" "current" {}

resource "random_string" "suffix" {
  length  = 5
  lower   = true
  upper   = false
  numeric = true
  special = false
}

locals {
  base   = "${var.prefix}-${var.environment}"
  suffix = random_string.suffix.result

  # Globally unique names carry the random suffix; storage, registry and Key Vault names
  # allow no hyphens (and Key Vault at most 24 characters).
  names = {
    resource_group     = "rg-${local.base}"
    log_analytics      = "log-${local.base}"
    app_insights       = "appi-${local.base}"
    storage_account    = "st${var.prefix}${var.environment}${local.suffix}"
    eventhub_namespace = "evhns-${local.base}-${local.suffix}"
    key_vault          = "kv${var.prefix}${var.environment}${local.suffix}"
    function_plan      = "asp-${local.base}"
    function_app       = "func-${local.base}-${local.suffix}"
    event_grid_topic   = "evgt-${local.base}-uploads"
    container_registry = "cr${var.prefix}${var.environment}${local.suffix}"
    container_app_env  = "cae-${local.base}"
    face_service       = "ca-${var.prefix}-face-${var.environment}"
    face_identity      = "id-${local.base}-face"
    cosmos_account     = "cosmos-${local.base}-${local.suffix}"
    stream_analytics   = "asa-${local.base}"
    iothub             = "iot-${local.base}-${local.suffix}"
  }

  # Contract names shared with the code (ARCHITECTURE.md); change them only together.
  uploads_container    = "uploads"
  quarantine_container = "quarantine"
  sent_container       = "sent"
  reference_container  = "reference"
  eventhub_name        = "footfall-events"
  face_service_image   = "footfall-face-service"
  edge_module_image    = "footfall-edge-module"
  face_service_port    = 5000

  # Log Analytics tables the data collection rule fills (telemetry.tf) and the alerts read (alerts.tf).
  log_tables = {
    counts         = "FootfallCounts_CL"
    edge_telemetry = "FootfallEdgeTelemetry_CL"
  }

  tags = merge(
    {
      application = "footfall"
      environment = var.environment
      managed_by  = "terraform"
    },
    var.tags,
  )
}

resource "azurerm_resource_group" "main" {
  name     = local.names.resource_group
  location = var.location
  tags     = local.tags
}
