"""One settings model for the whole Functions app, read from the environment.

Local and cloud differ only in these values. In Azure, leave keys and connection strings
empty and give the fully qualified namespace / account URL instead: the app then signs in
with its managed identity (``DefaultAzureCredential``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

AZURITE_CONNECTION_STRING = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
)
"""Azurite's well-known development account (public, documented by Microsoft; not a secret)."""


class Settings(BaseSettings):
    """All configuration of the ingest function. Field names map to environment variables."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Blob Storage: a connection string (local, Azurite) or an account URL (cloud, managed identity).
    storage_connection: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage", "FOOTFALL_STORAGE_CONNECTION"),
    )
    storage_account_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AzureWebJobsStorage__blobServiceUri", "FOOTFALL_STORAGE_ACCOUNT_URL"),
    )
    uploads_container: str = Field(default="uploads", validation_alias="FOOTFALL_UPLOADS_CONTAINER")
    quarantine_container: str = Field(default="quarantine", validation_alias="FOOTFALL_QUARANTINE_CONTAINER")
    after_success: Literal["delete", "tag"] = Field(default="delete", validation_alias="FOOTFALL_AFTER_SUCCESS")

    # Face service (ours on loopback / Container Apps) or Azure Face.
    face_endpoint: str = Field(default="http://127.0.0.1:5000", validation_alias="FOOTFALL_FACE_ENDPOINT")
    face_key: SecretStr | None = Field(default=None, validation_alias="FOOTFALL_FACE_KEY")
    face_detection_model: str = Field(default="detection_03", validation_alias="FOOTFALL_FACE_DETECTION_MODEL")
    face_recognition_model: str = Field(default="recognition_04", validation_alias="FOOTFALL_FACE_RECOGNITION_MODEL")
    face_attributes: str = Field(
        default="age,gender,emotion,headPose", validation_alias="FOOTFALL_FACE_ATTRIBUTES",
        description="Comma-separated attributes to request. Azure Face no longer serves gender/emotion; "
        "set 'headPose' (or 'age,headPose' with limited access) there; missing fields become null.",
    )
    face_timeout_s: float = Field(default=10.0, gt=0, validation_alias="FOOTFALL_FACE_TIMEOUT_S")

    # Event sink.
    event_sink: Literal["eventhub", "local"] = Field(default="local", validation_alias="FOOTFALL_EVENT_SINK")
    eventhub_connection: SecretStr | None = Field(default=None, validation_alias="FOOTFALL_EVENTHUB_CONNECTION")
    eventhub_namespace: str | None = Field(
        default=None, validation_alias="FOOTFALL_EVENTHUB_NAMESPACE",
        description="Fully qualified namespace (xxx.servicebus.windows.net) for managed identity.",
    )
    eventhub_name: str = Field(default="footfall-events", validation_alias="FOOTFALL_EVENTHUB_NAME")
    local_event_log: Path = Field(default=Path(".state/events"), validation_alias="FOOTFALL_LOCAL_EVENT_LOG")

    # Image guard.
    max_upload_bytes: int = Field(default=6 * 1024 * 1024, gt=0, validation_alias="FOOTFALL_MAX_UPLOAD_BYTES")
    max_pixels: int = Field(default=40_000_000, gt=0, validation_alias="FOOTFALL_MAX_PIXELS")
    max_side: int = Field(default=4096, ge=36, validation_alias="FOOTFALL_MAX_SIDE")

    # Reports.
    k_anonymity: int = Field(default=5, ge=1, validation_alias="FOOTFALL_K")
    known_stores_file: Path | None = Field(
        default=None, validation_alias="FOOTFALL_KNOWN_STORES",
        description="CSV with a store_id column; when set, uploads from other stores are quarantined.",
    )

    @model_validator(mode="after")
    def _eventhub_configured(self) -> "Settings":
        if self.event_sink == "eventhub" and not (self.eventhub_connection or self.eventhub_namespace):
            raise ValueError(
                "FOOTFALL_EVENT_SINK=eventhub needs FOOTFALL_EVENTHUB_CONNECTION "
                "or FOOTFALL_EVENTHUB_NAMESPACE (managed identity)"
            )
        return self

    @property
    def requested_attributes(self) -> list[str]:
        """The face attributes to request, as a list."""
        return [a.strip() for a in self.face_attributes.split(",") if a.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
