# What must stay a secret: the key the function presents to the face service. It is generated
# here (never typed into a file), stored in Key Vault, and read by the function through a Key
# Vault reference and by the face service as a Container Apps Key Vault secret.

resource "azurerm_key_vault" "main" {
  #checkov:skip=CKV_AZURE_109:Key Vault references of a Flex Consumption app without VNet integration and Container Apps secrets come from Azure addresses that are not trusted services; a deny-by-default firewall would break both. Access is RBAC-only, per secret.
  #checkov:skip=CKV_AZURE_189:Same reason as CKV_AZURE_109: no VNet in this serverless deployment, so the vault keeps its public endpoint with RBAC authorization.
  #checkov:skip=CKV2_AZURE_32:Private endpoints need VNet-integrated consumers; see infra/README.md (hardening) for the VNet variant.
  name                       = local.names.key_vault
  location                   = azurerm_resource_group.main.location
  resource_group_name        = azurerm_resource_group.main.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 90

  # Key Vault references from a Function App without VNet integration and Container Apps on
  # the public Consumption environment come from addresses that cannot be listed here.
  public_network_access_enabled = true
  network_acls {
    default_action = "Allow"
    bypass         = "AzureServices"
  }

  tags = local.tags
}

# The deploying identity writes the secret (data plane) through RBAC.
resource "azurerm_role_assignment" "deployer_secrets_officer" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "random_password" "face_key" {
  length  = 48
  special = false

  keepers = {
    rotated_at = time_rotating.face_key.id
  }
}

resource "azurerm_key_vault_secret" "face_key" {
  name            = "face-service-key"
  value           = random_password.face_key.result
  key_vault_id    = azurerm_key_vault.main.id
  content_type    = "text/plain; Face API subscription key for footfall-face-service"
  expiration_date = timeadd(time_rotating.face_key.id, "${24 * 365}h")

  depends_on = [azurerm_role_assignment.deployer_secrets_officer]
}

# Rotates the face service key yearly: a new password (and expiry) on the first apply after a year.
resource "time_rotating" "face_key" {
  rotation_days = 330
}
