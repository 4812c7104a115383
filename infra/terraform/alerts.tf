# Alert rules. Every rule notifies one action group: the existing one given in
# alert_action_group_id, or the one created here for alert_email_receivers.
#
# A dead camera would otherwise look like an empty store: the first rule fires per camera.

resource "azurerm_monitor_action_group" "main" {
  count               = var.alert_action_group_id == null ? 1 : 0
  name                = "ag-${local.base}"
  resource_group_name = azurerm_resource_group.main.name
  short_name          = "footfall"

  dynamic "email_receiver" {
    for_each = var.alert_email_receivers
    content {
      name                    = "email-${email_receiver.key}"
      email_address           = email_receiver.value
      use_common_alert_schema = true
    }
  }

  tags = local.tags
}

locals {
  action_group_id = var.alert_action_group_id != null ? var.alert_action_group_id : azurerm_monitor_action_group.main[0].id
  silent_for      = "${var.alert_camera_silent_minutes}m"

  # A camera counts as expected now when it counted frames in the same half hour yesterday: that is
  # its store's opening hours, in the store's own time zone, as its cameras showed them. It is
  # silent when it has since sent no CountEvent with frames > 0 (camera, module or device down: the
  # edge module sends one per camera minute, frames = 0 when it got no picture) and no photo.
  camera_silent_query = <<-KQL
    let silent_for = ${local.silent_for};
    let expected = ${local.log_tables.counts}
        | where TimeGenerated between (ago(1d + silent_for) .. ago(1d))
        | summarize frames = sum(frames) by store_id, camera_id
        | where frames > 0;
    let counted = ${local.log_tables.counts}
        | where TimeGenerated > ago(silent_for)
        | summarize frames = sum(frames) by store_id, camera_id
        | where frames > 0;
    let photographed = AppRequests
        | where TimeGenerated > ago(silent_for) and Name == "analyze_upload"
        | extend store_id = tostring(Properties["footfall.store_id"]), camera_id = tostring(Properties["footfall.camera_id"])
        | distinct store_id, camera_id;
    expected
    | join kind=leftanti counted on store_id, camera_id
    | join kind=leftanti photographed on store_id, camera_id
    | project store_id, camera_id
  KQL

  # functions/telemetry.py instruments, as Application Insights stores them (AppMetrics).
  quarantine_rate_query = <<-KQL
    AppMetrics
    | where TimeGenerated > ago(30m) and Name in ("footfall.uploads", "footfall.quarantined")
    | summarize uploads = sumif(Sum, Name == "footfall.uploads"), quarantined = sumif(Sum, Name == "footfall.quarantined")
    | where uploads >= 100
    | extend quarantine_rate = quarantined / uploads
  KQL

  # face_service/telemetry.py: one server span per request (AppRequests, role face-service).
  face_service_errors_query = <<-KQL
    AppRequests
    | where TimeGenerated > ago(15m) and AppRoleName == "face-service" and Url has "/detect"
    | summarize requests = count(), failed = countif(ResultCode == "429" or toint(ResultCode) >= 500)
    | where requests >= 50
    | extend error_rate = todouble(failed) / requests
  KQL

  # relay_counts retries a failed batch without limit (functions/blueprints/counts.py): counts wait, and
  # every camera would look silent. Stalled: failing invocations and not one success for 30 minutes.
  counts_relay_query = <<-KQL
    AppRequests
    | where TimeGenerated > ago(30m) and Name == "relay_counts"
    | summarize failures = countif(Success == false), successes = countif(Success == true)
    | where failures > 0 and successes == 0
  KQL

  # functions/telemetry.py: one span per invocation; a raised error (retried by the host) fails it.
  function_failures_query = <<-KQL
    AppRequests
    | where TimeGenerated > ago(15m) and Name == "analyze_upload"
    | summarize invocations = count(), failures = countif(Success == false)
    | where invocations >= 50
    | extend failure_rate = todouble(failures) / invocations
  KQL
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "camera_silent" {
  name                 = "alert-${local.base}-camera-silent"
  display_name         = "Camera silent in opening hours"
  description          = "A camera that counted at this time yesterday has sent no frames and no photo for ${var.alert_camera_silent_minutes} minutes. One alert per store and camera."
  location             = azurerm_resource_group.main.location
  resource_group_name  = azurerm_resource_group.main.name
  scopes               = [azurerm_log_analytics_workspace.main.id]
  severity             = 2
  evaluation_frequency = "PT10M"
  window_duration      = "PT30M"
  # The query also reads yesterday's counts.
  query_time_range_override = "P2D"
  auto_mitigation_enabled   = true

  criteria {
    query                   = local.camera_silent_query
    time_aggregation_method = "Count"
    operator                = "GreaterThan"
    threshold               = 0

    dimension {
      name     = "store_id"
      operator = "Include"
      values   = ["*"]
    }
    dimension {
      name     = "camera_id"
      operator = "Include"
      values   = ["*"]
    }
  }

  action {
    action_groups = [local.action_group_id]
  }

  tags = local.tags

  depends_on = [azurerm_log_analytics_workspace_table_custom_log.counts]
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "quarantine_rate" {
  name                 = "alert-${local.base}-quarantine-rate"
  display_name         = "Quarantine rate high"
  description          = "More than ${var.alert_quarantine_rate * 100}% of uploads quarantined over 30 minutes (see the reasons in footfall.quarantined)."
  location             = azurerm_resource_group.main.location
  resource_group_name  = azurerm_resource_group.main.name
  scopes               = [azurerm_log_analytics_workspace.main.id]
  severity             = 2
  evaluation_frequency = "PT15M"
  window_duration      = "PT30M"

  criteria {
    query                   = local.quarantine_rate_query
    time_aggregation_method = "Maximum"
    metric_measure_column   = "quarantine_rate"
    operator                = "GreaterThan"
    threshold               = var.alert_quarantine_rate
  }

  action {
    action_groups = [local.action_group_id]
  }

  tags = local.tags
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "face_service_errors" {
  name                 = "alert-${local.base}-face-service-errors"
  display_name         = "Face service 5xx or 429"
  description          = "More than ${var.alert_face_service_error_rate * 100}% of face service detect requests answered 5xx or 429 over 15 minutes: scale out (face_service_max_replicas) or look at its logs."
  location             = azurerm_resource_group.main.location
  resource_group_name  = azurerm_resource_group.main.name
  scopes               = [azurerm_log_analytics_workspace.main.id]
  severity             = 2
  evaluation_frequency = "PT5M"
  window_duration      = "PT15M"

  criteria {
    query                   = local.face_service_errors_query
    time_aggregation_method = "Maximum"
    metric_measure_column   = "error_rate"
    operator                = "GreaterThan"
    threshold               = var.alert_face_service_error_rate
  }

  action {
    action_groups = [local.action_group_id]
  }

  tags = local.tags
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "function_failures" {
  name                 = "alert-${local.base}-function-failures"
  display_name         = "Ingest function failures"
  description          = "More than ${var.alert_function_failure_rate * 100}% of analyze_upload invocations failed over 15 minutes (the host retries them; after 5 attempts a photo is poisoned)."
  location             = azurerm_resource_group.main.location
  resource_group_name  = azurerm_resource_group.main.name
  scopes               = [azurerm_log_analytics_workspace.main.id]
  severity             = 1
  evaluation_frequency = "PT5M"
  window_duration      = "PT15M"

  criteria {
    query                   = local.function_failures_query
    time_aggregation_method = "Maximum"
    metric_measure_column   = "failure_rate"
    operator                = "GreaterThan"
    threshold               = var.alert_function_failure_rate
  }

  action {
    action_groups = [local.action_group_id]
  }

  tags = local.tags
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "counts_relay_stalled" {
  name                 = "alert-${local.base}-counts-relay-stalled"
  display_name         = "Counts relay stalled"
  description          = "relay_counts has failed for 30 minutes without one success: CountEvents wait in footfall-counts-raw (kept 7 days) and reports show no visitors. Check the sent container and the footfall-counts hub."
  location             = azurerm_resource_group.main.location
  resource_group_name  = azurerm_resource_group.main.name
  scopes               = [azurerm_log_analytics_workspace.main.id]
  severity             = 1
  evaluation_frequency = "PT10M"
  window_duration      = "PT30M"

  criteria {
    query                   = local.counts_relay_query
    time_aggregation_method = "Count"
    operator                = "GreaterThan"
    threshold               = 0
  }

  action {
    action_groups = [local.action_group_id]
  }

  tags = local.tags
}

# Stream Analytics platform metrics: "Errors" is the portal's "Runtime Errors".
resource "azurerm_monitor_metric_alert" "asa_runtime_errors" {
  name                = "alert-${local.base}-asa-runtime-errors"
  description         = "The Stream Analytics job reported runtime errors (data conversion, output, query): see its diagnostic logs."
  resource_group_name = azurerm_resource_group.main.name
  scopes              = [azurerm_stream_analytics_job.main.id]
  severity            = 1
  frequency           = "PT5M"
  window_size         = "PT15M"

  criteria {
    metric_namespace = "Microsoft.StreamAnalytics/streamingjobs"
    metric_name      = "Errors"
    aggregation      = "Total"
    operator         = "GreaterThan"
    threshold        = 0
  }

  action {
    action_group_id = local.action_group_id
  }

  tags = local.tags
}

resource "azurerm_monitor_metric_alert" "asa_watermark_delay" {
  name                = "alert-${local.base}-asa-watermark-delay"
  description         = "The job's output lags its input by more than ${var.alert_watermark_delay_seconds} s: it is falling behind (raise asa_streaming_units) or an input stalls."
  resource_group_name = azurerm_resource_group.main.name
  scopes              = [azurerm_stream_analytics_job.main.id]
  severity            = 2
  frequency           = "PT5M"
  window_size         = "PT15M"

  criteria {
    metric_namespace = "Microsoft.StreamAnalytics/streamingjobs"
    metric_name      = "OutputWatermarkDelaySeconds"
    aggregation      = "Maximum"
    operator         = "GreaterThan"
    threshold        = var.alert_watermark_delay_seconds
  }

  action {
    action_group_id = local.action_group_id
  }

  tags = local.tags
}
