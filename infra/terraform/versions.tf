# Terraform and provider versions, and where the state lives.
#
# Remote state: the backend block below is deliberately partial, so no subscription, account
# or key ends up in the repository. Pass the rest at init time (see infra/README.md):
#
#   terraform init \
#     -backend-config="resource_group_name=rg-footfall-tfstate" \
#     -backend-config="storage_account_name=<state account>" \
#     -backend-config="container_name=tfstate" \
#     -backend-config="key=footfall/prod.tfstate"
#
# `use_azuread_auth` makes the backend read and lock the state blob with the caller's Entra ID
# identity (Storage Blob Data Contributor on the state container), so the state account can
# also have shared keys disabled. For offline checks use `terraform init -backend=false`.
terraform {
  required_version = ">= 1.6.0"

  # azurerm: 4.55.0 is the first release with azurerm_log_analytics_workspace_table_custom_log (the
  # Log Analytics tables of telemetry.tf; 4.42.0 brought azurerm_key_vault.rbac_authorization_enabled).
  # make test checks every resource, argument and block against its schema, read offline from the
  # prebuilt bindings (tests/infra/test_provider_schema.py). Commit .terraform.lock.hcl from a
  # machine that reaches the registry (infra/README.md, provider lock).
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.55.0, < 5.0.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
    time = {
      source  = "hashicorp/time"
      version = "~> 0.12"
    }
  }

  backend "azurerm" {
    use_azuread_auth = true
  }
}
