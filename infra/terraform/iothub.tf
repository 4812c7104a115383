# IoT Hub for the 1,000 store edge devices (one IoT Edge device per store, device id = store_id).
#
# File upload is the edge module's way into Blob Storage without any storage key: the device
# asks the hub for a short-lived upload URI, the hub signs it (user delegation SAS) with its own
# managed identity, and the blob lands in "uploads" as {deviceId}/{name}, which is the upload
# contract's {store_id}/{camera_id}/{YYYY}/{MM}/{DD}/{HHMMSSmmm}-{seq}.jpg when the edge module
# names the file {camera_id}/{YYYY}/... .

resource "azurerm_user_assigned_identity" "iothub" {
  name                = local.names.iothub_identity
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

# Write access to "uploads" only (a user delegation SAS can grant no more than its signer has).
resource "azurerm_role_assignment" "iothub_uploads_writer" {
  scope                = azurerm_storage_container.uploads.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.iothub.principal_id
}

# User delegation keys are issued at account scope.
resource "azurerm_role_assignment" "iothub_delegator" {
  scope                = azurerm_storage_account.main.id
  role_definition_name = "Storage Blob Delegator"
  principal_id         = azurerm_user_assigned_identity.iothub.principal_id
}

resource "azurerm_iothub" "main" {
  #checkov:skip=CKV_AZURE_108:The stores' IoT Edge devices connect over the internet (MQTT/AMQP over TLS 1.2 with per-device credentials); hub-scoped SAS keys are disabled.
  name                = local.names.iothub
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location

  sku {
    name     = var.iothub_sku
    capacity = var.iothub_capacity
  }

  # Hub-scoped SAS policies are off; devices authenticate with their own device credentials and
  # operators (az iot edge set-modules --auth-type login) with Entra ID roles.
  local_authentication_enabled  = false
  public_network_access_enabled = true
  min_tls_version               = "1.2"

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.iothub.id]
  }

  file_upload {
    authentication_type = "identityBased"
    identity_id         = azurerm_user_assigned_identity.iothub.id
    # Key-less: with identityBased the hub only takes the account endpoint from this string.
    connection_string = "DefaultEndpointsProtocol=https;AccountName=${azurerm_storage_account.main.name};EndpointSuffix=core.windows.net"
    container_name    = azurerm_storage_container.uploads.name
    sas_ttl           = "PT1H"
    notifications     = false
  }

  tags = local.tags

  depends_on = [
    azurerm_role_assignment.iothub_uploads_writer,
    azurerm_role_assignment.iothub_delegator,
  ]
}

# The deploying identity applies edge deployments (az iot edge set-modules --auth-type login).
resource "azurerm_role_assignment" "deployer_iothub" {
  scope                = azurerm_iothub.main.id
  role_definition_name = "IoT Hub Data Contributor"
  principal_id         = data.azurerm_client_config.current.object_id
}
