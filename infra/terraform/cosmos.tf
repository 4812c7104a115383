# Window aggregates from Stream Analytics for the reports API and dashboard. Entra ID only.

resource "azurerm_cosmosdb_account" "main" {
  #checkov:skip=CKV_AZURE_101:Stream Analytics jobs outside a dedicated ASA cluster cannot reach Cosmos DB over a private endpoint; the public endpoint accepts only Azure datacenter traffic (ip_range_filter 0.0.0.0) plus listed operator ranges, and Entra ID tokens only.
  #checkov:skip=CKV_AZURE_99:Access is restricted by ip_range_filter (Azure datacenters plus cosmos_allowed_ip_ranges); the check only counts an IP filter together with VNet filtering, and this deployment has no VNet.
  #checkov:skip=CKV_AZURE_100:Documents are k-anonymised window aggregates with no personal data; Microsoft-managed encryption at rest is proportionate and avoids a Key Vault key dependency on the reporting path.
  name                = local.names.cosmos_account
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  offer_type          = "Standard"
  kind                = "GlobalDocumentDB"

  # ~100,000 small aggregate documents a day: serverless costs only what is written and read.
  capabilities {
    name = "EnableServerless"
  }

  consistency_policy {
    consistency_level = "Session"
  }

  geo_location {
    location          = azurerm_resource_group.main.location
    failover_priority = 0
  }

  local_authentication_disabled      = true
  access_key_metadata_writes_enabled = false
  public_network_access_enabled      = true
  # "0.0.0.0" admits connections from Azure datacenters only (Stream Analytics, Azure-hosted
  # reports API); operators add their own ranges through cosmos_allowed_ip_ranges.
  ip_range_filter                       = concat(["0.0.0.0"], var.cosmos_allowed_ip_ranges)
  network_acl_bypass_for_azure_services = true
  minimal_tls_version                   = "Tls12"

  backup {
    type = "Continuous"
    tier = "Continuous7Days"
  }

  tags = local.tags
}

resource "azurerm_cosmosdb_sql_database" "reports" {
  name                = "footfall"
  resource_group_name = azurerm_resource_group.main.name
  account_name        = azurerm_cosmosdb_account.main.name
}

# Stream Analytics writes store and zone windows here (stream_analytics/Outputs/*.json, document id
# "id", doc_type telling them apart). Partition key /store_id: a store's whole history is one
# logical partition, so the query managers run most (a store over a period) reads one partition;
# a region's report filters on region across the partitions holding its stores.
resource "azurerm_cosmosdb_sql_container" "reports" {
  name                  = "footfall"
  resource_group_name   = azurerm_resource_group.main.name
  account_name          = azurerm_cosmosdb_account.main.name
  database_name         = azurerm_cosmosdb_sql_database.reports.name
  partition_key_paths   = ["/store_id"]
  partition_key_version = 2
  default_ttl           = var.reports_ttl_seconds

  indexing_policy {
    indexing_mode = "consistent"

    included_path {
      path = "/*"
    }

    excluded_path {
      path = "/\"_etag\"/?"
    }
  }
}
