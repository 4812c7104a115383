provider "azurerm" {
  subscription_id = var.subscription_id

  # The storage account has shared keys disabled, so every data-plane call Terraform makes
  # (the reference blob stores.csv) goes through Entra ID instead of an account key.
  storage_use_azuread = true

  features {
    key_vault {
      # Keep soft-deleted secrets recoverable; purge protection is on anyway.
      purge_soft_delete_on_destroy = false
    }
    resource_group {
      prevent_deletion_if_contains_resources = true
    }
  }
}
