output "resource_group_name" {
  description = "Resource group holding everything."
  value       = azurerm_resource_group.main.name
}

output "storage_account_name" {
  description = "Photo storage account (containers uploads, quarantine, reference)."
  value       = azurerm_storage_account.main.name
}

output "storage_blob_endpoint" {
  description = "Blob endpoint of the photo storage account."
  value       = azurerm_storage_account.main.primary_blob_endpoint
}

output "function_app_name" {
  description = "Name for `func azure functionapp publish`."
  value       = azurerm_function_app_flex_consumption.main.name
}

output "function_app_principal_id" {
  description = "Object id of the function's system-assigned identity."
  value       = azurerm_function_app_flex_consumption.main.identity[0].principal_id
}

output "eventhub_namespace_fqdn" {
  description = "Fully qualified Event Hubs namespace (FOOTFALL_EVENTHUB_NAMESPACE)."
  value       = "${azurerm_eventhub_namespace.main.name}.servicebus.windows.net"
}

output "eventhub_name" {
  description = "Event hub carrying FrameEvent v1."
  value       = azurerm_eventhub.events.name
}

output "container_registry_login_server" {
  description = "Registry for footfall-face-service and footfall-edge-module images."
  value       = azurerm_container_registry.main.login_server
}

output "container_registry_name" {
  description = "Registry name for `az acr build --registry`."
  value       = azurerm_container_registry.main.name
}

output "face_service_url" {
  description = "HTTPS endpoint of the face service (FOOTFALL_FACE_ENDPOINT)."
  value       = "https://${azurerm_container_app.face.ingress[0].fqdn}"
}

output "key_vault_name" {
  description = "Key Vault holding the face service key."
  value       = azurerm_key_vault.main.name
}

output "cosmos_endpoint" {
  description = "Cosmos DB endpoint of the reports (Entra ID auth only)."
  value       = azurerm_cosmosdb_account.main.endpoint
}

output "stream_analytics_job_name" {
  description = "Stream Analytics job to start after deployment."
  value       = azurerm_stream_analytics_job.main.name
}

output "stream_analytics_principal_id" {
  description = "Object id of the job's identity: add it to the Power BI workspace as Contributor."
  value       = azurerm_stream_analytics_job.main.identity[0].principal_id
}

output "iothub_name" {
  description = "IoT Hub for `az iot edge set-modules --hub-name`."
  value       = azurerm_iothub.main.name
}

output "iothub_hostname" {
  description = "IoT Hub host name the edge devices connect to."
  value       = azurerm_iothub.main.hostname
}

output "application_insights_name" {
  description = "Application Insights resource of the function."
  value       = azurerm_application_insights.main.name
}

output "edge_registry_token_name" {
  description = "ACR token (pull-only on footfall-edge-module) whose passwords the deploy workflow generates for the edge devices."
  value       = azurerm_container_registry_token.edge_pull.name
}
