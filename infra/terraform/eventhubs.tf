# Event transport, Entra ID only: FrameEvents (the function sends) and CountEvents (IoT Hub routes the
# edge modules' counts to footfall-counts-raw, the relay_counts function forwards each event id once to
# footfall-counts); Stream Analytics reads footfall-events and footfall-counts.

resource "azurerm_eventhub_namespace" "main" {
  name                = local.names.eventhub_namespace
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "Standard"
  capacity            = var.eventhub_capacity

  auto_inflate_enabled     = var.eventhub_maximum_throughput_units > var.eventhub_capacity
  maximum_throughput_units = var.eventhub_maximum_throughput_units > var.eventhub_capacity ? var.eventhub_maximum_throughput_units : null

  # SAS keys are disabled: the function sends and Stream Analytics receives with managed identities.
  local_authentication_enabled  = false
  minimum_tls_version           = "1.2"
  public_network_access_enabled = true

  tags = local.tags
}

resource "azurerm_eventhub" "events" {
  name              = local.eventhub_name
  namespace_id      = azurerm_eventhub_namespace.main.id
  partition_count   = var.eventhub_partition_count
  message_retention = var.eventhub_message_retention_days
}

resource "azurerm_eventhub_consumer_group" "stream_analytics" {
  name                = "stream-analytics"
  namespace_name      = azurerm_eventhub_namespace.main.name
  eventhub_name       = azurerm_eventhub.events.name
  resource_group_name = azurerm_resource_group.main.name
  user_metadata       = "Reserved for the Stream Analytics job input 'frames'."
}

resource "azurerm_eventhub" "counts" {
  name              = "footfall-counts"
  namespace_id      = azurerm_eventhub_namespace.main.id
  partition_count   = var.eventhub_partition_count
  message_retention = var.eventhub_message_retention_days
}

# edgeHub and IoT Hub deliver at least once, and a copy can come days after the original (edgeHub keeps
# a message a week while a store is offline): IoT Hub routes CountEvents here, and relay_counts (its
# $Default consumer group) forwards each event id once to footfall-counts, using the sent marks
# (functions/count_relay.py). Kept 7 days, the Standard tier's longest, so a relay stopped for days
# still catches up.
resource "azurerm_eventhub" "counts_raw" {
  name              = "footfall-counts-raw"
  namespace_id      = azurerm_eventhub_namespace.main.id
  partition_count   = var.eventhub_partition_count
  message_retention = 7
}

resource "azurerm_eventhub_consumer_group" "counts_stream_analytics" {
  name                = "stream-analytics"
  namespace_name      = azurerm_eventhub_namespace.main.name
  eventhub_name       = azurerm_eventhub.counts.name
  resource_group_name = azurerm_resource_group.main.name
  user_metadata       = "Reserved for the Stream Analytics job input 'counts'."
}
