# Where telemetry goes. Function App and face service: OpenTelemetry to Application Insights
# (functions/telemetry.py, face_service/telemetry.py), signed in with their identities. The stores'
# edge modules: IoT Hub routes their telemetry (and the CountEvents, already routed for Stream
# Analytics) to Event Hubs, and a data collection rule imports both into Log Analytics tables, where
# the alert rules (alerts.tf) and operators query them. No keys anywhere.

# --- edge telemetry: edgeHub output "telemetry" -> $upstream -> this route -> event hub ----------

resource "azurerm_eventhub" "edge_telemetry" {
  name              = "footfall-edge-telemetry"
  namespace_id      = azurerm_eventhub_namespace.main.id
  partition_count   = 2
  message_retention = var.eventhub_message_retention_days
}

resource "azurerm_role_assignment" "iothub_telemetry_sender" {
  scope                = azurerm_eventhub.edge_telemetry.id
  role_definition_name = "Azure Event Hubs Data Sender"
  principal_id         = azurerm_iothub.main.identity[0].principal_id
}

resource "azurerm_iothub_endpoint_eventhub" "edge_telemetry" {
  name                = "edge-telemetry"
  iothub_id           = azurerm_iothub.main.id
  resource_group_name = azurerm_resource_group.main.name
  authentication_type = "identityBased"
  endpoint_uri        = "sb://${azurerm_eventhub_namespace.main.name}.servicebus.windows.net"
  entity_path         = azurerm_eventhub.edge_telemetry.name

  depends_on = [azurerm_role_assignment.iothub_telemetry_sender]
}

# The edge module sets the application property schema=footfall.edge.telemetry.v1 (edge_module/telemetry.py).
resource "azurerm_iothub_route" "edge_telemetry" {
  name                = "edge-telemetry"
  resource_group_name = azurerm_resource_group.main.name
  iothub_name         = azurerm_iothub.main.name
  source              = "DeviceMessages"
  condition           = "schema = 'footfall.edge.telemetry.v1'"
  endpoint_names      = [azurerm_iothub_endpoint_eventhub.edge_telemetry.name]
  enabled             = true
}

# --- Event Hubs -> Log Analytics (data collection rule, Event Hubs data import) -------------------

resource "azurerm_eventhub_consumer_group" "counts_log_analytics" {
  name                = "log-analytics"
  namespace_name      = azurerm_eventhub_namespace.main.name
  eventhub_name       = azurerm_eventhub.counts.name
  resource_group_name = azurerm_resource_group.main.name
  user_metadata       = "Reserved for the data collection rule importing CountEvents into Log Analytics."
}

resource "azurerm_eventhub_consumer_group" "edge_telemetry_log_analytics" {
  name                = "log-analytics"
  namespace_name      = azurerm_eventhub_namespace.main.name
  eventhub_name       = azurerm_eventhub.edge_telemetry.name
  resource_group_name = azurerm_resource_group.main.name
  user_metadata       = "Reserved for the data collection rule importing edge telemetry into Log Analytics."
}

# One row per camera minute: the dead-camera alert reads frames per camera from here.
resource "azurerm_log_analytics_workspace_table_custom_log" "counts" {
  name              = local.log_tables.counts
  workspace_id      = azurerm_log_analytics_workspace.main.id
  retention_in_days = 30

  column {
    name = "TimeGenerated"
    type = "datetime"
  }
  column {
    name = "store_id"
    type = "string"
  }
  column {
    name = "camera_id"
    type = "string"
  }
  column {
    name = "frames"
    type = "int"
  }
  column {
    name = "RawData"
    type = "string"
  }
}

resource "azurerm_log_analytics_workspace_table_custom_log" "edge_telemetry" {
  name              = local.log_tables.edge_telemetry
  workspace_id      = azurerm_log_analytics_workspace.main.id
  retention_in_days = 30

  column {
    name = "TimeGenerated"
    type = "datetime"
  }
  column {
    name = "store_id"
    type = "string"
  }
  column {
    name = "camera_id"
    type = "string"
  }
  column {
    name = "RawData"
    type = "string"
  }
}

resource "azurerm_monitor_data_collection_endpoint" "main" {
  name                          = "dce-${local.base}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  public_network_access_enabled = true
  tags                          = local.tags
}

resource "azurerm_monitor_data_collection_rule" "edge" {
  name                        = "dcr-${local.base}-edge"
  location                    = azurerm_resource_group.main.location
  resource_group_name         = azurerm_resource_group.main.name
  data_collection_endpoint_id = azurerm_monitor_data_collection_endpoint.main.id
  description                 = "CountEvents and edge module telemetry from Event Hubs into Log Analytics."

  # Reads the event hubs with this identity (Azure Event Hubs Data Receiver below).
  identity {
    type = "SystemAssigned"
  }

  stream_declaration {
    stream_name = "Custom-FootfallEventHub"
    column {
      name = "TimeGenerated"
      type = "datetime"
    }
    column {
      name = "RawData"
      type = "string"
    }
    column {
      name = "Properties"
      type = "dynamic"
    }
  }

  data_sources {
    data_import {
      event_hub_data_source {
        name           = "counts"
        stream         = "Custom-FootfallEventHub"
        consumer_group = azurerm_eventhub_consumer_group.counts_log_analytics.name
      }
    }
  }

  destinations {
    log_analytics {
      name                  = "workspace"
      workspace_resource_id = azurerm_log_analytics_workspace.main.id
    }
  }

  # A CountEvent (functions/contracts.py CountEvent) at the end of its minute, one row per camera.
  data_flow {
    streams       = ["Custom-FootfallEventHub"]
    destinations  = ["workspace"]
    output_stream = "Custom-${local.log_tables.counts}"
    transform_kql = "source | extend e = parse_json(RawData) | where tostring(e.schema) == 'footfall.count.v1' | project TimeGenerated = todatetime(e.window_end), store_id = tostring(e.store_id), camera_id = tostring(e.camera_id), frames = toint(e.frames), RawData"
  }

  data_flow {
    streams       = ["Custom-FootfallEventHub"]
    destinations  = ["workspace"]
    output_stream = "Custom-${local.log_tables.edge_telemetry}"
    transform_kql = "source | extend e = parse_json(RawData) | where tostring(e.schema) == 'footfall.edge.telemetry.v1' | project TimeGenerated = todatetime(e.sent_at), store_id = tostring(e.store_id), camera_id = tostring(e.camera_id), RawData"
  }

  tags = local.tags

  depends_on = [
    azurerm_log_analytics_workspace_table_custom_log.counts,
    azurerm_log_analytics_workspace_table_custom_log.edge_telemetry,
    azurerm_eventhub_consumer_group.edge_telemetry_log_analytics,
  ]
}

# An Event Hubs data import reads the hub the rule is associated with.
resource "azurerm_monitor_data_collection_rule_association" "counts" {
  name                    = "counts-to-log-analytics"
  target_resource_id      = azurerm_eventhub.counts.id
  data_collection_rule_id = azurerm_monitor_data_collection_rule.edge.id
}

resource "azurerm_monitor_data_collection_rule_association" "edge_telemetry" {
  name                    = "edge-telemetry-to-log-analytics"
  target_resource_id      = azurerm_eventhub.edge_telemetry.id
  data_collection_rule_id = azurerm_monitor_data_collection_rule.edge.id
}

resource "azurerm_role_assignment" "dcr_counts_receiver" {
  scope                = azurerm_eventhub.counts.id
  role_definition_name = "Azure Event Hubs Data Receiver"
  principal_id         = azurerm_monitor_data_collection_rule.edge.identity[0].principal_id
}

resource "azurerm_role_assignment" "dcr_edge_telemetry_receiver" {
  scope                = azurerm_eventhub.edge_telemetry.id
  role_definition_name = "Azure Event Hubs Data Receiver"
  principal_id         = azurerm_monitor_data_collection_rule.edge.identity[0].principal_id
}

# The face service sends OpenTelemetry with its user-assigned identity (face_service.tf sets
# APPLICATIONINSIGHTS_CONNECTION_STRING and AZURE_CLIENT_ID).
resource "azurerm_role_assignment" "face_telemetry" {
  scope                = azurerm_application_insights.main.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_user_assigned_identity.face.principal_id
}
