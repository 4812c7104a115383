# Every knob of the deployment. No secrets here: keys are generated into Key Vault or not used
# at all (managed identities), and tenant/subscription ids come from the caller's login.

variable "subscription_id" {
  description = "Azure subscription to deploy into. Leave null to take ARM_SUBSCRIPTION_ID from the environment (the deploy workflow does)."
  type        = string
  default     = null

  validation {
    condition     = var.subscription_id == null || can(regex("^[0-9a-fA-F-]{36}$", var.subscription_id))
    error_message = "subscription_id must be a GUID or null."
  }
}

variable "location" {
  description = "Azure region for every resource. It must offer Flex Consumption Function Apps, Container Apps and Stream Analytics (e.g. westeurope, northeurope, eastus, eastus2, swedencentral)."
  type        = string
  default     = "westeurope"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]+$", var.location))
    error_message = "location must be a region name such as \"westeurope\" (lower case, no spaces)."
  }
}

variable "prefix" {
  description = "Short name prefix for all resources (lower-case letters and digits, 2 to 10 characters). Globally unique names get a random suffix on top."
  type        = string
  default     = "footfall"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.prefix))
    error_message = "prefix must be 2-10 lower-case letters or digits, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment stage, used in names and tags."
  type        = string
  default     = "prod"

  validation {
    condition     = contains(["dev", "test", "prod"], var.environment)
    error_message = "environment must be one of dev, test, prod."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# --- Storage -----------------------------------------------------------------------------------

variable "storage_replication_type" {
  description = "Replication of the photo storage account. Photos live minutes, so zone redundancy (ZRS) is enough; geo replication only copies personal data to a second region."
  type        = string
  default     = "ZRS"

  validation {
    condition     = contains(["LRS", "ZRS"], var.storage_replication_type)
    error_message = "storage_replication_type must be LRS or ZRS (no geo copies of photos)."
  }
}

variable "photo_retention_days" {
  description = "Backstop: the lifecycle rule deletes any photo still in 'uploads' this many days after it was written. The function deletes (or tags) photos as soon as their event is sent; this only catches what it never processed."
  type        = number
  default     = 2

  validation {
    condition     = var.photo_retention_days >= 1 && var.photo_retention_days <= 30 && floor(var.photo_retention_days) == var.photo_retention_days
    error_message = "photo_retention_days must be a whole number of days between 1 and 30."
  }
}

variable "quarantine_retention_days" {
  description = "Days a rejected upload (kept without EXIF) stays in 'quarantine' for inspection before the lifecycle rule deletes it; at most 7."
  type        = number
  default     = 7

  validation {
    condition     = var.quarantine_retention_days >= 1 && var.quarantine_retention_days <= 7 && floor(var.quarantine_retention_days) == var.quarantine_retention_days
    error_message = "quarantine_retention_days must be a whole number of days between 1 and 7."
  }
}

variable "capture_max_age_days" {
  description = "A photo captured longer ago is quarantined implausible_time (FOOTFALL_CAPTURE_MAX_AGE_DAYS); the edge buffer keeps photos 7 days. The function's sent marks (container 'sent', one per event, against re-uploads counted twice) are deleted by the lifecycle rule a day after this window."
  type        = number
  default     = 8

  validation {
    condition     = var.capture_max_age_days >= 1 && var.capture_max_age_days <= 30 && floor(var.capture_max_age_days) == var.capture_max_age_days
    error_message = "capture_max_age_days must be a whole number of days between 1 and 30."
  }
}

# --- Function App ------------------------------------------------------------------------------

variable "function_maximum_instance_count" {
  description = "Upper bound of Flex Consumption instances. 180 photos/s at peak and ~0.5 s per photo need ~90 busy Python workers; the default leaves room for catch-up after an outage."
  type        = number
  default     = 200

  validation {
    condition     = var.function_maximum_instance_count >= 40 && var.function_maximum_instance_count <= 1000
    error_message = "function_maximum_instance_count must be between 40 and 1000 (Flex Consumption limits)."
  }
}

variable "function_instance_memory_mb" {
  description = "Memory per Flex Consumption instance in MB."
  type        = number
  default     = 2048

  validation {
    condition     = contains([512, 2048, 4096], var.function_instance_memory_mb)
    error_message = "function_instance_memory_mb must be 512, 2048 or 4096."
  }
}

variable "after_success" {
  description = "What the function does with a photo once its event is sent: \"delete\". (\"tag\", which keeps it tagged, needs blob index tags, which an account with a hierarchical namespace does not have; see storage.tf.)"
  type        = string
  default     = "delete"

  validation {
    condition     = var.after_success == "delete"
    error_message = "after_success must be \"delete\": blob index tags (\"tag\") are not available on the hierarchical-namespace account that scopes each store's uploads."
  }
}

variable "k_anonymity" {
  description = "Demographic breakdowns of fewer visit faces than this are suppressed: the job's query, FOOTFALL_K of the reports API and the Power BI model."
  type        = number
  default     = 5

  validation {
    condition     = var.k_anonymity >= 2 && floor(var.k_anonymity) == var.k_anonymity
    error_message = "k_anonymity must be a whole number of at least 2."
  }
}

variable "blob_trigger_function_name" {
  description = "Name of the blob-triggered function that Event Grid delivers BlobCreated events to."
  type        = string
  default     = "analyze_upload"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,127}$", var.blob_trigger_function_name))
    error_message = "blob_trigger_function_name must be a valid function name."
  }
}

variable "blob_events_enabled" {
  description = "Create the Event Grid subscription that feeds the blob trigger. Its webhook handshake needs the function code to be published, so the very first deploy applies with false, publishes, then applies with true (the deploy workflow does this)."
  type        = bool
  default     = true
}

# --- Event Hubs --------------------------------------------------------------------------------

variable "eventhub_partition_count" {
  description = "Partitions of 'footfall-events' (partition key = store_id). 8 spreads 1,000 stores evenly and lets Stream Analytics read in parallel. Fixed after creation on the Standard tier."
  type        = number
  default     = 8

  validation {
    condition     = var.eventhub_partition_count >= 2 && var.eventhub_partition_count <= 32
    error_message = "eventhub_partition_count must be between 2 and 32 (Standard tier)."
  }
}

variable "eventhub_capacity" {
  description = "Event Hubs throughput units. One TU takes 1 MB/s or 1,000 events/s; the fleet sends ~60 events/s of ~1 KB (3x at peak)."
  type        = number
  default     = 1

  validation {
    condition     = var.eventhub_capacity >= 1 && var.eventhub_capacity <= 40
    error_message = "eventhub_capacity must be between 1 and 40."
  }
}

variable "eventhub_maximum_throughput_units" {
  description = "Auto-inflate ceiling for throughput units, for the burst when edge devices flush their store-and-forward queues after an outage."
  type        = number
  default     = 4

  validation {
    condition     = var.eventhub_maximum_throughput_units >= 1 && var.eventhub_maximum_throughput_units <= 40
    error_message = "eventhub_maximum_throughput_units must be between 1 and 40."
  }
}

variable "eventhub_message_retention_days" {
  description = "Days Event Hubs keeps events, i.e. how long Stream Analytics can be stopped and still catch up."
  type        = number
  default     = 3

  validation {
    condition     = var.eventhub_message_retention_days >= 1 && var.eventhub_message_retention_days <= 7
    error_message = "eventhub_message_retention_days must be between 1 and 7 (Standard tier)."
  }
}

# --- Stream Analytics --------------------------------------------------------------------------

variable "asa_streaming_units" {
  description = "Stream Analytics capacity as the API counts it for StandardV2 (sku in stream_analytics/JobConfig.json): 3 = 1/3 SU V2, 7 = 2/3 SU V2, 10 = 1 SU V2, 20 = 2 SU V2, ... (the provider accepts up to 120 = 12 SU V2). The fleet sends ~350 events/s at peak (FrameEvents plus one CountEvent per camera minute) over 8 partitions: 10 (one SU V2). Raise it in steps of 10 when SU % utilisation stays above 80% or the watermark delay alert fires."
  type        = number
  default     = 10

  validation {
    condition     = contains([3, 7], var.asa_streaming_units) || (var.asa_streaming_units >= 10 && var.asa_streaming_units <= 120 && var.asa_streaming_units % 10 == 0)
    error_message = "asa_streaming_units must be 3 (1/3 SU V2), 7 (2/3 SU V2) or a multiple of 10 up to 120 (1 to 12 SU V2)."
  }
}

variable "powerbi_output" {
  description = "Also feed the deprecated Power BI streaming output (retired 31 October 2027; 200,000-row FIFO). Off by default: use the Power BI project over Cosmos DB."
  type        = bool
  default     = false
}

variable "powerbi_group_id" {
  description = "With powerbi_output: the Power BI workspace (group) id that receives the live dataset. The job's managed identity must be a Contributor of this workspace (see infra/README.md)."
  type        = string
  default     = null

  validation {
    condition     = var.powerbi_group_id == null || can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.powerbi_group_id))
    error_message = "powerbi_group_id must be the workspace GUID."
  }
}

variable "powerbi_group_name" {
  description = "Display name of that Power BI workspace (informational)."
  type        = string
  default     = "Footfall"
}

variable "powerbi_dataset" {
  description = "Power BI dataset the job creates and streams into."
  type        = string
  default     = "footfall"
}

variable "powerbi_table" {
  description = "Table inside the Power BI dataset."
  type        = string
  default     = "store_windows"
}

# --- Cosmos DB ---------------------------------------------------------------------------------

variable "reports_ttl_seconds" {
  description = "Default TTL of report documents in Cosmos DB: 400 days (34,560,000 s), so a year-over-year view is always complete."
  type        = number
  default     = 34560000

  validation {
    condition     = var.reports_ttl_seconds >= 34560000 && var.reports_ttl_seconds <= 94608000
    error_message = "reports_ttl_seconds must be between 400 days (13 months of history) and three years."
  }
}

variable "reports_rollup_ttl_days" {
  description = "Days a daily store rollup lives in Cosmos DB (its own ttl): longer than the windows' 400 days, so year-over-year views outlive them."
  type        = number
  default     = 1100

  validation {
    condition     = var.reports_rollup_ttl_days >= 400 && var.reports_rollup_ttl_days <= 3650 && floor(var.reports_rollup_ttl_days) == var.reports_rollup_ttl_days
    error_message = "reports_rollup_ttl_days must be a whole number of days between 400 and 3650."
  }
}

# --- Reports access (Microsoft Entra ID) ---------------------------------------------------------

variable "reports_entra_client_id" {
  description = "Application (client) id of the Entra ID app registration that protects the reports API (App Service authentication). Its tokens must carry the groups claim (groupMembershipClaims)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.reports_entra_client_id))
    error_message = "reports_entra_client_id must be an application (client) id, a GUID."
  }
}

# --- Face service ------------------------------------------------------------------------------

variable "face_service_image_tag" {
  description = "Tag of the footfall-face-service image in the registry (the deploy workflow passes the release tag)."
  type        = string
  default     = "latest"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.face_service_image_tag))
    error_message = "face_service_image_tag must be a valid image tag."
  }
}

variable "face_service_min_replicas" {
  description = "Replicas kept warm. Two carry the ~60 photos/s daytime average without a cold start and survive one replica restarting."
  type        = number
  default     = 2

  validation {
    condition     = var.face_service_min_replicas >= 1 && var.face_service_min_replicas <= 30
    error_message = "face_service_min_replicas must be between 1 and 30 (0 would add cold starts to the upload path)."
  }
}

variable "face_service_max_replicas" {
  description = "Scale-out ceiling. At ~30 photos/s per 2-vCPU replica the 180 photos/s peak needs 6; 10 leaves headroom."
  type        = number
  default     = 10

  validation {
    condition     = var.face_service_max_replicas >= 1 && var.face_service_max_replicas <= 300
    error_message = "face_service_max_replicas must be between 1 and 300."
  }
}

variable "face_service_concurrent_requests" {
  description = "HTTP concurrency per replica that triggers scale-out (Container Apps http_scale_rule)."
  type        = number
  default     = 8

  validation {
    condition     = var.face_service_concurrent_requests >= 1 && var.face_service_concurrent_requests <= 1000
    error_message = "face_service_concurrent_requests must be between 1 and 1000."
  }
}

variable "face_service_cpu" {
  description = "vCPU per face service replica (Consumption profile: 0.25 to 4, with memory = 2 GiB per vCPU)."
  type        = number
  default     = 2

  validation {
    condition     = contains([0.5, 1, 1.5, 2, 3, 4], var.face_service_cpu)
    error_message = "face_service_cpu must be one of 0.5, 1, 1.5, 2, 3, 4."
  }
}

# --- IoT Hub -----------------------------------------------------------------------------------

variable "iothub_sku" {
  description = "IoT Hub tier. IoT Edge needs a Standard tier (S1-S3). S2: see iothub_capacity."
  type        = string
  default     = "S2"

  validation {
    condition     = contains(["S1", "S2", "S3"], var.iothub_sku)
    error_message = "iothub_sku must be S1, S2 or S3 (IoT Edge is not available on Basic or Free)."
  }
}

variable "iothub_capacity" {
  description = "IoT Hub units. 1,000 stores x 10 cameras send a CountEvent per camera minute (14.4 million messages/day) and telemetry every 60 s (1.44 million): 15.8 million a day, so 3 S2 units (6 million/day and 120 sends/s each); S1 (400,000/day) would need 40."
  type        = number
  default     = 3

  validation {
    condition     = var.iothub_capacity >= 1 && var.iothub_capacity <= 200
    error_message = "iothub_capacity must be between 1 and 200."
  }
}


variable "cosmos_allowed_ip_ranges" {
  description = "Extra IPv4 addresses or CIDR ranges (operators, an on-premises reports host) allowed to reach Cosmos DB besides Azure datacenters."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.cosmos_allowed_ip_ranges : can(cidrhost(strcontains(r, "/") ? r : "${r}/32", 0))])
    error_message = "cosmos_allowed_ip_ranges must contain IPv4 addresses or CIDR ranges."
  }
}

# --- Alerts ------------------------------------------------------------------------------------

variable "alert_action_group_id" {
  description = "Resource id of an existing action group every alert rule notifies. Null: Terraform creates one for alert_email_receivers."
  type        = string
  default     = null

  validation {
    condition     = var.alert_action_group_id == null || can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/microsoft.insights/actionGroups/[^/]+$", var.alert_action_group_id))
    error_message = "alert_action_group_id must be an action group resource id."
  }
}

variable "alert_email_receivers" {
  description = "E-mail addresses of the action group Terraform creates (when alert_action_group_id is null)."
  type        = list(string)
  default     = []
}

variable "alert_camera_silent_minutes" {
  description = "A camera expected to count (it did at this time yesterday) with no frames and no photo for this long raises an alert."
  type        = number
  default     = 30

  validation {
    condition     = var.alert_camera_silent_minutes >= 10 && var.alert_camera_silent_minutes <= 240
    error_message = "alert_camera_silent_minutes must be between 10 and 240."
  }
}

variable "alert_quarantine_rate" {
  description = "Share of uploads quarantined over 30 minutes above which an alert fires."
  type        = number
  default     = 0.05

  validation {
    condition     = var.alert_quarantine_rate > 0 && var.alert_quarantine_rate < 1
    error_message = "alert_quarantine_rate must be a fraction between 0 and 1."
  }
}

variable "alert_face_service_error_rate" {
  description = "Share of face service detect requests answered 5xx or 429 over 15 minutes above which an alert fires."
  type        = number
  default     = 0.02

  validation {
    condition     = var.alert_face_service_error_rate > 0 && var.alert_face_service_error_rate < 1
    error_message = "alert_face_service_error_rate must be a fraction between 0 and 1."
  }
}

variable "alert_function_failure_rate" {
  description = "Share of failed analyze_upload invocations over 15 minutes above which an alert fires."
  type        = number
  default     = 0.05

  validation {
    condition     = var.alert_function_failure_rate > 0 && var.alert_function_failure_rate < 1
    error_message = "alert_function_failure_rate must be a fraction between 0 and 1."
  }
}

variable "alert_watermark_delay_seconds" {
  description = "Stream Analytics watermark delay (output behind input) above which an alert fires."
  type        = number
  default     = 300

  validation {
    condition     = var.alert_watermark_delay_seconds >= 60
    error_message = "alert_watermark_delay_seconds must be at least 60."
  }
}
