"""Settings of the reports (API and Cosmos DB reader), read from the environment.

In Azure leave ``FOOTFALL_COSMOS_KEY`` empty: the app then signs in to Cosmos DB with its
managed identity (``DefaultAzureCredential``; the identity needs the *Cosmos DB Built-in Data
Reader* role, or *Contributor* to write).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReportSettings(BaseSettings):
    """Where the reports read from and the k of k-anonymity. Field names map to environment variables."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    k_anonymity: int = Field(default=5, ge=1, validation_alias="FOOTFALL_K")
    cosmos_endpoint: str | None = Field(
        default=None, validation_alias="FOOTFALL_COSMOS_ENDPOINT",
        description="Account URL, e.g. https://footfall.documents.azure.com:443/",
    )
    cosmos_key: SecretStr | None = Field(default=None, validation_alias="FOOTFALL_COSMOS_KEY")
    cosmos_database: str = Field(default="footfall", validation_alias="FOOTFALL_COSMOS_DATABASE")
    cosmos_container: str = Field(default="aggregates", validation_alias="FOOTFALL_COSMOS_CONTAINER")
    directory_days: int = Field(
        default=62, ge=1, validation_alias="FOOTFALL_REPORTS_DIRECTORY_DAYS",
        description="The store directory (filters) is read from this many days before the newest window, "
        "so that listing stores does not scan a year of windows.",
    )


@lru_cache(maxsize=1)
def get_report_settings() -> ReportSettings:
    """The process-wide report settings, read once from the environment."""
    return ReportSettings()
