# The Face-API-compatible service (face_service/Dockerfile) on Azure Container Apps, pulled from
# a private registry with a managed identity, scaled on HTTP concurrency.

resource "azurerm_container_registry" "main" {
  #checkov:skip=CKV_AZURE_139:Edge devices in 1,000 stores pull footfall-edge-module over the internet and GitHub-hosted runners push with az acr build; pulls and pushes require Entra ID (admin user and anonymous pull are off).
  #checkov:skip=CKV_AZURE_164:Docker Content Trust is retired in ACR (azurerm 5.0 removes trust_policy_enabled; Notary v2/notation signing replaces it); images are built from this repository by the tagged-release workflow only.
  #checkov:skip=CKV_AZURE_165:Single-region deployment: the registry lives in the region of the Container Apps environment; IoT Edge devices tolerate cross-region pulls.
  #checkov:skip=CKV_AZURE_166:Quarantine blocks pulls until an external scanner marks each image verified; no such scanner is part of this deployment (Defender for Containers can scan without it).
  name                = local.names.container_registry
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  sku                 = "Premium"

  # Pushes (az acr build in the deploy workflow) and pulls use Entra ID; no admin user.
  admin_enabled                 = false
  anonymous_pull_enabled        = false
  public_network_access_enabled = true
  data_endpoint_enabled         = true
  zone_redundancy_enabled       = true
  retention_policy_in_days      = 7

  tags = local.tags
}

# A user-assigned identity, so AcrPull and Key Vault access exist before the first revision
# starts (a system-assigned identity would only exist after the app, and its first pull fails).
resource "azurerm_user_assigned_identity" "face" {
  name                = local.names.face_identity
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

resource "azurerm_role_assignment" "face_acr_pull" {
  scope                = azurerm_container_registry.main.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.face.principal_id
}

resource "azurerm_role_assignment" "face_key_reader" {
  scope                = azurerm_key_vault_secret.face_key.resource_versionless_id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.face.principal_id
}

resource "azurerm_container_app_environment" "main" {
  name                = local.names.container_app_env
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  # Explicit: azurerm 5.0 no longer infers it from the workspace id.
  logs_destination           = "log-analytics"
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id
  tags                       = local.tags
}

resource "azurerm_container_app" "face" {
  name                         = local.names.face_service
  container_app_environment_id = azurerm_container_app_environment.main.id
  resource_group_name          = azurerm_resource_group.main.name
  revision_mode                = "Single"

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.face.id]
  }

  registry {
    server   = azurerm_container_registry.main.login_server
    identity = azurerm_user_assigned_identity.face.id
  }

  secret {
    name                = "face-key"
    key_vault_secret_id = azurerm_key_vault_secret.face_key.versionless_id
    identity            = azurerm_user_assigned_identity.face.id
  }

  ingress {
    # Reached by the Flex Consumption function over HTTPS (no VNet); requests carry the key.
    external_enabled           = true
    target_port                = local.face_service_port
    transport                  = "http"
    allow_insecure_connections = false

    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = var.face_service_min_replicas
    max_replicas = var.face_service_max_replicas

    http_scale_rule {
      name                = "http-concurrency"
      concurrent_requests = tostring(var.face_service_concurrent_requests)
    }

    container {
      name   = "face-service"
      image  = "${azurerm_container_registry.main.login_server}/${local.face_service_image}:${var.face_service_image_tag}"
      cpu    = var.face_service_cpu
      memory = "${var.face_service_cpu * 2}Gi"

      # face_service/config.py: requests must carry this key (Ocp-Apim-Subscription-Key).
      env {
        name        = "FOOTFALL_FACE_SERVICE_KEY"
        secret_name = "face-key"
      }

      # OpenTelemetry to Application Insights (face_service/telemetry.py), signed in with the
      # user-assigned identity (Monitoring Metrics Publisher in telemetry.tf).
      env {
        name  = "APPLICATIONINSIGHTS_CONNECTION_STRING"
        value = azurerm_application_insights.main.connection_string
      }
      env {
        name  = "AZURE_CLIENT_ID"
        value = azurerm_user_assigned_identity.face.client_id
      }

      # One model worker per vCPU: the container sees the host's cores, not its CPU quota.
      env {
        name  = "FOOTFALL_FACE_WORKERS"
        value = tostring(max(1, floor(var.face_service_cpu)))
      }

      startup_probe {
        transport               = "HTTP"
        port                    = local.face_service_port
        path                    = "/status"
        interval_seconds        = 5
        failure_count_threshold = 30
      }

      readiness_probe {
        transport = "HTTP"
        port      = local.face_service_port
        path      = "/status"
      }

      liveness_probe {
        transport = "HTTP"
        port      = local.face_service_port
        path      = "/status"
      }
    }
  }

  tags = local.tags

  depends_on = [
    azurerm_role_assignment.face_acr_pull,
    azurerm_role_assignment.face_key_reader,
    azurerm_role_assignment.face_telemetry,
  ]
}
