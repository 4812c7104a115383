# IoT Hub for the store edge devices: one IoT Edge device per store, device id = store_id.
# Operators and the deploy workflow apply module deployments with Entra ID
# (az iot edge set-modules --auth-type login); devices use their own device credentials.

resource "azurerm_iothub" "main" {
  #checkov:skip=CKV_AZURE_108:The stores' IoT Edge devices connect over the internet (MQTT/AMQP over TLS 1.2 with per-device credentials); hub-scoped SAS keys are disabled.
  name                = local.names.iothub
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location

  sku {
    name     = var.iothub_sku
    capacity = var.iothub_capacity
  }

  # Hub-scoped shared access policies are off.
  local_authentication_enabled = false

  # Routes CountEvents to Event Hubs with this identity (no keys).
  identity {
    type = "SystemAssigned"
  }
  public_network_access_enabled = true
  min_tls_version               = "1.2"

  tags = local.tags
}

# --- CountEvents: edgeHub output "counts" -> $upstream -> this route -> event hub footfall-counts-raw ---
# (relay_counts forwards each event id once from there to footfall-counts: eventhubs.tf)
# The edge module sets the application property schema=footfall.count.v1 on every CountEvent.
# IoT Hub keeps one device's messages in order on one partition.

resource "azurerm_role_assignment" "iothub_counts_sender" {
  scope                = azurerm_eventhub.counts_raw.id
  role_definition_name = "Azure Event Hubs Data Sender"
  principal_id         = azurerm_iothub.main.identity[0].principal_id
}

resource "azurerm_iothub_endpoint_eventhub" "counts" {
  name                = "counts"
  iothub_id           = azurerm_iothub.main.id
  resource_group_name = azurerm_resource_group.main.name
  authentication_type = "identityBased"
  endpoint_uri        = "sb://${azurerm_eventhub_namespace.main.name}.servicebus.windows.net"
  entity_path         = azurerm_eventhub.counts_raw.name

  depends_on = [azurerm_role_assignment.iothub_counts_sender]
}

resource "azurerm_iothub_route" "counts" {
  name                = "counts"
  resource_group_name = azurerm_resource_group.main.name
  iothub_name         = azurerm_iothub.main.name
  source              = "DeviceMessages"
  condition           = "schema = 'footfall.count.v1'"
  endpoint_names      = [azurerm_iothub_endpoint_eventhub.counts.name]
  enabled             = true
}

# Everything else (the modules' telemetry) stays on the built-in endpoint.
resource "azurerm_iothub_fallback_route" "builtin" {
  resource_group_name = azurerm_resource_group.main.name
  iothub_name         = azurerm_iothub.main.name
  source              = "DeviceMessages"
  condition           = "true"
  endpoint_names      = ["events"]
  enabled             = true
}

# The deploying identity applies edge deployments and lists the fleet's devices.
resource "azurerm_role_assignment" "deployer_iothub" {
  scope                = azurerm_iothub.main.id
  role_definition_name = "IoT Hub Data Contributor"
  principal_id         = data.azurerm_client_config.current.object_id
}

# --- How edge devices reach Azure without account keys ------------------------------------------

# Image pulls: a repository-scoped ACR token that can only read footfall-edge-module. Its
# passwords are generated with an expiry by the deploy workflow (never stored in Terraform) and
# delivered in the deployment manifest's registryCredentials.
resource "azurerm_container_registry_scope_map" "edge_pull" {
  name                    = "edge-module-pull"
  container_registry_name = azurerm_container_registry.main.name
  resource_group_name     = azurerm_resource_group.main.name
  actions = [
    "repositories/${local.edge_module_image}/content/read",
    "repositories/${local.edge_module_image}/metadata/read",
  ]
}

resource "azurerm_container_registry_token" "edge_pull" {
  name                    = "edge-module-pull"
  container_registry_name = azurerm_container_registry.main.name
  resource_group_name     = azurerm_resource_group.main.name
  scope_map_id            = azurerm_container_registry_scope_map.edge_pull.id
}

# Photo uploads: shared keys are disabled, so devices get a user delegation SAS on "uploads"
# (create + write only, at most 7 days) that the deploy workflow signs with this identity and
# rotates weekly. A user delegation SAS can never grant more than its signer holds.
resource "azurerm_role_assignment" "deployer_uploads_sas_signer" {
  scope                = azurerm_storage_container.uploads.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_role_assignment" "deployer_delegation_key" {
  scope                = azurerm_storage_account.main.id
  role_definition_name = "Storage Blob Delegator"
  principal_id         = data.azurerm_client_config.current.object_id
}
