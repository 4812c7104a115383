# Photo storage. Cameras' edge devices write to "uploads"; the function reads, analyses and
# deletes each photo; rejects go to "quarantine". Nothing is public, nothing uses account keys.

resource "azurerm_storage_account" "main" {
  #checkov:skip=CKV_AZURE_33:Queue read/write/delete logging is on through azurerm_monitor_diagnostic_setting.storage_queue (Log Analytics); the check only reads the classic queue_properties logging, which needs shared-key data-plane access.
  #checkov:skip=CKV2_AZURE_38:Blob soft delete is deliberately off: a photo must be gone once its event is sent (privacy by design), not kept recoverable for days.
  #checkov:skip=CKV2_AZURE_1:Customer-managed keys are not required for minutes-lived photos; data is encrypted at rest with Microsoft-managed keys plus infrastructure (double) encryption.
  #checkov:skip=CKV_AZURE_206:Geo replication would copy personal data (photos) to a second region; ZRS/LRS is a privacy decision (see storage_replication_type).
  #checkov:skip=CKV_AZURE_59:Edge devices in 1,000 stores upload over the internet (user delegation SAS, create/write only) and the Flex Consumption app runs without a VNet, so the public endpoint stays on; shared keys and anonymous access are off.
  #checkov:skip=CKV_AZURE_35:Default-deny network rules would block the stores' edge devices, whose addresses are not known; access is Entra ID only (shared keys disabled).
  #checkov:skip=CKV2_AZURE_33:Private endpoints need a VNet-integrated function plan and connected stores; out of scope for this serverless deployment (see infra/README.md, hardening).
  name                     = local.names.storage_account
  resource_group_name      = azurerm_resource_group.main.name
  location                 = azurerm_resource_group.main.location
  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = var.storage_replication_type
  access_tier              = "Hot"

  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  sftp_enabled                      = false
  infrastructure_encryption_enabled = true
  public_network_access_enabled     = true

  # A hierarchical namespace makes uploads/<store_id> a directory, so each store's devices get a
  # user delegation SAS scoped to their own directory (sr=d, create + write only, minted per device
  # by the deploy workflow): a device of store A that writes uploads/B/... is refused by Blob Storage
  # (403) before any function runs. Changing this on an existing account replaces it.
  is_hns_enabled                   = true
  cross_tenant_replication_enabled = false

  blob_properties {
    versioning_enabled  = false
    change_feed_enabled = false
    # No delete_retention_policy: deleted photos must not linger as soft-deleted blobs.
  }

  network_rules {
    default_action = "Allow"
    bypass         = ["AzureServices", "Logging", "Metrics"]
  }

  tags = local.tags
}

resource "azurerm_storage_container" "uploads" {
  #checkov:skip=CKV2_AZURE_21:Blob read/write/delete logging is on for the whole account through azurerm_monitor_diagnostic_setting.storage_blob; the check only accepts azurerm_log_analytics_storage_insights, which needs an account key (shared keys are disabled).
  name                  = local.uploads_container
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

resource "azurerm_storage_container" "quarantine" {
  #checkov:skip=CKV2_AZURE_21:Blob read/write/delete logging is on for the whole account through azurerm_monitor_diagnostic_setting.storage_blob; the check only accepts azurerm_log_analytics_storage_insights, which needs an account key (shared keys are disabled).
  name                  = local.quarantine_container
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

# Sent marks: a zero-byte blob per event the function sent, named by its event_id, so a re-upload of
# the same capture (a lost acknowledgement, a late re-drive) is deleted without a second event even
# after the Stream Analytics job's one-hour look-back. A mark only matters while a re-upload of its
# capture can still be accepted: the lifecycle rule deletes it a day after the capture-age window.
# relay_counts keeps CountEvents' marks here too (counts/{event_id}): a copy edgeHub resends can come
# up to its 7-day time to live after the original, and wait up to the raw hub's 7-day retention to be
# relayed, so marks live at least 14 days (a test checks both bounds).
# The function writes it with its Storage Blob Data Owner role on the account (function.tf).
resource "azurerm_storage_container" "sent" {
  #checkov:skip=CKV2_AZURE_21:Blob read/write/delete logging is on for the whole account through azurerm_monitor_diagnostic_setting.storage_blob; the check only accepts azurerm_log_analytics_storage_insights, which needs an account key (shared keys are disabled).
  name                  = local.sent_container
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

locals {
  # One margin in the code too: functions/settings.py SENT_MARK_MARGIN_DAYS (a test keeps them equal).
  sent_mark_margin_days    = 1
  count_mark_min_days      = 14
  sent_mark_retention_days = max(var.capture_max_age_days + local.sent_mark_margin_days, local.count_mark_min_days)
}

# Stream Analytics reference data (stores.csv: store -> city -> region -> time zone).
resource "azurerm_storage_container" "reference" {
  #checkov:skip=CKV2_AZURE_21:Blob read/write/delete logging is on for the whole account through azurerm_monitor_diagnostic_setting.storage_blob; the check only accepts azurerm_log_analytics_storage_insights, which needs an account key (shared keys are disabled).
  name                  = local.reference_container
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

# Flex Consumption deployment packages (written by `func azure functionapp publish`).
resource "azurerm_storage_container" "function_releases" {
  #checkov:skip=CKV2_AZURE_21:Blob read/write/delete logging is on for the whole account through azurerm_monitor_diagnostic_setting.storage_blob; the check only accepts azurerm_log_analytics_storage_insights, which needs an account key (shared keys are disabled).
  name                  = "function-releases"
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

# Events Event Grid could not deliver to the function after all retries.
resource "azurerm_storage_container" "eventgrid_deadletter" {
  #checkov:skip=CKV2_AZURE_21:Blob read/write/delete logging is on for the whole account through azurerm_monitor_diagnostic_setting.storage_blob; the check only accepts azurerm_log_analytics_storage_insights, which needs an account key (shared keys are disabled).
  name                  = "eventgrid-deadletter"
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

# Backstop only: the function deletes photos right after their event is sent. Anything the
# pipeline never processed (outage, poison blob) is deleted after photo_retention_days.
resource "azurerm_storage_management_policy" "photo_retention" {
  storage_account_id = azurerm_storage_account.main.id

  rule {
    name    = "delete-unprocessed-uploads"
    enabled = true
    filters {
      prefix_match = ["${local.uploads_container}/"]
      blob_types   = ["blockBlob"]
    }
    actions {
      base_blob {
        delete_after_days_since_creation_greater_than = var.photo_retention_days
      }
    }
  }

  rule {
    name    = "delete-old-quarantine"
    enabled = true
    filters {
      prefix_match = ["${local.quarantine_container}/"]
      blob_types   = ["blockBlob"]
    }
    actions {
      base_blob {
        delete_after_days_since_creation_greater_than = var.quarantine_retention_days
      }
    }
  }

  rule {
    name    = "delete-old-sent-marks"
    enabled = true
    filters {
      prefix_match = ["${local.sent_container}/"]
      blob_types   = ["blockBlob"]
    }
    actions {
      base_blob {
        delete_after_days_since_creation_greater_than = local.sent_mark_retention_days
      }
    }
  }

  rule {
    name    = "delete-old-deadletters"
    enabled = true
    filters {
      prefix_match = ["${azurerm_storage_container.eventgrid_deadletter.name}/"]
      blob_types   = ["blockBlob"]
    }
    actions {
      base_blob {
        delete_after_days_since_creation_greater_than = var.quarantine_retention_days
      }
    }
  }
}

# The deploying identity writes stores.csv and cameras.csv through Entra ID (shared keys are off).
resource "azurerm_role_assignment" "deployer_reference_writer" {
  scope                = azurerm_storage_container.reference.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_storage_blob" "stores_csv" {
  name                   = "stores.csv"
  storage_account_name   = azurerm_storage_account.main.name
  storage_container_name = azurerm_storage_container.reference.name
  type                   = "Block"
  content_type           = "text/csv"
  source                 = local.stores_csv_path
  content_md5            = filemd5(local.stores_csv_path)

  depends_on = [azurerm_role_assignment.deployer_reference_writer]
}

resource "azurerm_storage_blob" "cameras_csv" {
  name                   = "cameras.csv"
  storage_account_name   = azurerm_storage_account.main.name
  storage_container_name = azurerm_storage_container.reference.name
  type                   = "Block"
  content_type           = "text/csv"
  source                 = local.cameras_csv_path
  content_md5            = filemd5(local.cameras_csv_path)

  depends_on = [azurerm_role_assignment.deployer_reference_writer]
}

locals {
  # The Stream Analytics project is the single source of truth for the query and the stores.
  stream_analytics_dir = "${path.module}/../../stream_analytics"
  stores_csv_path      = "${local.stream_analytics_dir}/stores.csv"
  cameras_csv_path     = "${local.stream_analytics_dir}/cameras.csv"
}

# Audit trail of who read, wrote or deleted photos (and the host's queues) in Log Analytics.
resource "azurerm_monitor_diagnostic_setting" "storage_blob" {
  name                       = "blob-audit"
  target_resource_id         = "${azurerm_storage_account.main.id}/blobServices/default"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id

  enabled_log {
    category = "StorageRead"
  }
  enabled_log {
    category = "StorageWrite"
  }
  enabled_log {
    category = "StorageDelete"
  }
}

resource "azurerm_monitor_diagnostic_setting" "storage_queue" {
  name                       = "queue-audit"
  target_resource_id         = "${azurerm_storage_account.main.id}/queueServices/default"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id

  enabled_log {
    category = "StorageRead"
  }
  enabled_log {
    category = "StorageWrite"
  }
  enabled_log {
    category = "StorageDelete"
  }
}
