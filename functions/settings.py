"""One settings model for the whole Functions app, read from the environment.

Local and cloud differ only in these values. In Azure, leave keys and connection strings
empty and give the fully qualified namespace / account URL instead: the app then signs in
with its managed identity (``DefaultAzureCredential``).
"""

from __future__ import annotations

import csv
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from functions.contracts import DEFAULT_K

_REPO_ROOT = Path(__file__).resolve().parent.parent


SENT_MARK_MARGIN_DAYS = 1
"""Days a sent mark outlives the capture-age window (clock skew, the daily lifecycle run)."""

_CONFIG = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", env_ignore_empty=True)


class StateSettings(BaseSettings):
    """Where the local stack keeps its state (``footfall.paths.state_dir`` creates it)."""

    model_config = _CONFIG

    state_dir: Path = Field(
        default=_REPO_ROOT / ".state", validation_alias="FOOTFALL_STATE_DIR",
        description="Folder of the local stack's state (event log, Azurite data, receipts, report database); "
        "local runs only.",
    )


def default_state_dir() -> Path:
    """``FOOTFALL_STATE_DIR``, else ``<repo>/.state``."""
    return StateSettings().state_dir


def _default_event_log() -> Path:
    return default_state_dir() / "events"


class BindingSettings(BaseSettings):
    """The settings the app's bindings read when the app is indexed (trigger source, timer schedule):
    a model of their own, so indexing never depends on the rest of the configuration."""

    model_config = _CONFIG

    blob_trigger_source: Literal["LogsAndContainerScan", "EventGrid"] = Field(
        default="LogsAndContainerScan", validation_alias="FOOTFALL_BLOB_TRIGGER_SOURCE",
        description="Source of the analyze_upload blob trigger: EventGrid in Azure (Terraform sets it), container "
        "scan locally; read when the app is indexed.",
    )
    redrive_schedule: str = Field(
        default="0 */5 * * * *", validation_alias="FOOTFALL_REDRIVE_SCHEDULE",
        description="NCRONTAB (with seconds) of the redrive_uploads timer; read when the app is indexed.",
    )

    counts_relay_source: str | None = Field(
        default=None, validation_alias="FOOTFALL_COUNTS_RELAY_SOURCE",
        description="The event hub IoT Hub routes CountEvents to (footfall-counts-raw; Terraform sets it). When set, "
        "the relay_counts function forwards each CountEvent from it to FOOTFALL_COUNTS_EVENTHUB_NAME once, however "
        "late a copy comes; unset (locally) the function is not registered. Read when the app is indexed.",
    )

    @field_validator("blob_trigger_source", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        sources = {"logsandcontainerscan": "LogsAndContainerScan", "eventgrid": "EventGrid"}
        return sources.get(value.lower(), value) if isinstance(value, str) else value


class Settings(BindingSettings):
    """All configuration of the Functions app. Field names map to environment variables."""

    model_config = _CONFIG

    # Blob Storage: a connection string (local, Azurite) or an account URL (cloud, managed identity).
    storage_connection: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage", "FOOTFALL_STORAGE_CONNECTION"),
        description="Storage connection string (Azurite locally). Terraform leaves it empty in Azure and sets "
        "AzureWebJobsStorage__accountName with __credential=managedidentity instead, which the host and the blob "
        "trigger use (and footfall host understands: https://<name>.blob.core.windows.net with "
        "DefaultAzureCredential).",
    )
    storage_account_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AzureWebJobsStorage__blobServiceUri", "FOOTFALL_STORAGE_ACCOUNT_URL"),
        description="The function's own blob client in the cloud, with the managed identity: the account's blob "
        "endpoint (Terraform sets FOOTFALL_STORAGE_ACCOUNT_URL).",
    )
    uploads_container: str = Field(default="uploads", validation_alias="FOOTFALL_UPLOADS_CONTAINER",
                                   description="Container the cameras upload to (the blob trigger's).")
    quarantine_container: str = Field(default="quarantine", validation_alias="FOOTFALL_QUARANTINE_CONTAINER",
                                      description="Container for bad photos' evidence, with a reason.")
    sent_container: str = Field(
        default="sent", validation_alias="FOOTFALL_SENT_CONTAINER",
        description="Container of the sent marks: once an event is durably sent, a zero-byte blob named by its "
        "event_id is created here (conditionally); an upload whose mark exists is a duplicate (a re-upload after "
        "a lost acknowledgement), deleted without a second event. Marks are needed for the capture-age window "
        "(FOOTFALL_CAPTURE_MAX_AGE_DAYS) plus a day; in Azure a lifecycle rule deletes them then.",
    )
    after_success: Literal["delete", "tag"] = Field(
        default="delete", validation_alias="FOOTFALL_AFTER_SUCCESS",
        description="delete the photo once its event is sent, or tag it footfall=processed (blob index tag; the "
        "etag does not change).",
    )

    # Face service (ours on loopback / Container Apps) or Azure Face.
    face_endpoint: str = Field(
        default="http://127.0.0.1:5000", validation_alias="FOOTFALL_FACE_ENDPOINT",
        description="Our face service, or https://<name>.cognitiveservices.azure.com (Azure Face).",
    )
    face_key: SecretStr | None = Field(
        default=None, validation_alias="FOOTFALL_FACE_KEY",
        description="Subscription key; unset on Azure Face means the managed identity (DefaultAzureCredential).",
    )
    face_detection_model: str = Field(default="detection_03", validation_alias="FOOTFALL_FACE_DETECTION_MODEL",
                                      description="Detection model passed to FaceClient.detect.")
    face_recognition_model: str = Field(default="recognition_04", validation_alias="FOOTFALL_FACE_RECOGNITION_MODEL",
                                        description="Recognition model passed to FaceClient.detect.")
    face_attributes: str = Field(
        default="age,gender,emotion,headPose", validation_alias="FOOTFALL_FACE_ATTRIBUTES",
        description="Comma-separated attributes to request. Azure Face no longer serves gender/emotion; "
        "set 'headPose' (or 'age,headPose' with limited access) there; missing fields become null.",
    )
    face_timeout_s: float = Field(default=10.0, gt=0, validation_alias="FOOTFALL_FACE_TIMEOUT_S",
                                  description="Connect and read timeout of a face service call (seconds).")
    face_retry_total: int = Field(
        default=1, ge=0, le=5, validation_alias="FOOTFALL_FACE_RETRY_TOTAL",
        description="Retries inside the Face SDK per invocation; the host's retry policy does the rest.",
    )
    face_api_version: str = Field(
        default="v1.2", validation_alias="FOOTFALL_FACE_API_VERSION",
        description="Face API version in the URL: v1.0, v1.2 (Azure Face GA) or v1.2-preview.1.",
    )
    face_analyzer: str | None = Field(
        default=None, validation_alias="FOOTFALL_FACE_ANALYZER",
        description="The event's analyzer string. Default: azure-face/<detection model> for Azure Face "
        "endpoints, else face-service/<version> from the service's GET /status.",
    )

    # Event sink.
    event_sink: Literal["eventhub", "local"] = Field(
        default="local", validation_alias="FOOTFALL_EVENT_SINK",
        description="Where events go: eventhub (Azure) or local (the local event log, one JSON line per event).",
    )
    eventhub_connection: SecretStr | None = Field(
        default=None, validation_alias="FOOTFALL_EVENTHUB_CONNECTION",
        description="Event Hubs connection string (with or without EntityPath); unset in Azure (managed identity).",
    )
    eventhub_namespace: str | None = Field(
        default=None, validation_alias="FOOTFALL_EVENTHUB_NAMESPACE",
        description="Fully qualified namespace (xxx.servicebus.windows.net) for managed identity.",
    )
    eventhub_name: str = Field(default="footfall-events", validation_alias="FOOTFALL_EVENTHUB_NAME",
                               description="Event hub name.")
    counts_eventhub_name: str = Field(
        default="footfall-counts", validation_alias="FOOTFALL_COUNTS_EVENTHUB_NAME",
        description="The event hub the stream job reads CountEvents from: relay_counts sends there.",
    )
    local_event_log: Path = Field(
        default_factory=_default_event_log, validation_alias="FOOTFALL_LOCAL_EVENT_LOG",
        description="The local sink's folder; default <FOOTFALL_STATE_DIR>/events (else <repo>/.state/events).",
    )

    # Image guard.
    max_upload_bytes: int = Field(default=6 * 1024 * 1024, gt=0, validation_alias="FOOTFALL_MAX_UPLOAD_BYTES",
                                  description="Image guard: a larger upload is quarantined too_large.")
    max_pixels: int = Field(default=40_000_000, gt=0, validation_alias="FOOTFALL_MAX_PIXELS",
                            description="Image guard: source pixels read from the header; more is too_many_pixels.")
    max_side: int = Field(default=4096, ge=36, validation_alias="FOOTFALL_MAX_SIDE",
                          description="Image guard: the longest side sent to the face service (larger is downscaled).")
    max_decoded_mb: int = Field(
        default=64, ge=1, validation_alias="FOOTFALL_MAX_DECODED_MB",
        description="Memory one decoded photo may take (MiB, at 4 bytes a pixel); a JPEG that would not fit is "
        "decoded reduced, anything else is quarantined too_many_pixels. 64 MiB is 4096 x 4096.",
    )
    max_jpeg_scans: int = Field(
        default=32, ge=1, validation_alias="FOOTFALL_MAX_JPEG_SCANS",
        description="A JPEG with more scans is quarantined too_many_scans before decoding.",
    )

    # Outages: circuit breakers and the re-drive timer (functions/circuit.py, functions/redrive.py).
    circuit_failures: int = Field(
        default=5, ge=1, validation_alias="FOOTFALL_CIRCUIT_FAILURES",
        description="Transient failures in a row that open a dependency's circuit: photos are then deferred "
        "(left in uploads, no attempt spent) instead of failing.",
    )
    circuit_open_s: float = Field(
        default=30, gt=0, validation_alias="FOOTFALL_CIRCUIT_OPEN_S",
        description="How long an open circuit defers photos before one invocation probes the dependency again.",
    )
    redrive_after_s: float = Field(
        default=600, ge=0, validation_alias="FOOTFALL_REDRIVE_AFTER_S",
        description="A photo still in uploads this long after it was written is re-driven (written again, "
        "which fires the trigger) once the dependencies answer: deferred, poisoned or never triggered.",
    )
    redrive_max: int = Field(
        default=10, ge=1, validation_alias="FOOTFALL_REDRIVE_MAX",
        description="Re-drives while every dependency was healthy before a photo is quarantined poison.",
    )
    redrive_batch: int = Field(
        default=2000, ge=1, validation_alias="FOOTFALL_REDRIVE_BATCH",
        description="Photos one re-drive run writes again at most (the backlog drains over several runs).",
    )
    quarantine_retention_days: float = Field(
        default=7, gt=0, le=7, validation_alias="FOOTFALL_QUARANTINE_RETENTION_DAYS",
        description="Quarantined evidence older than this is deleted by the re-drive timer (and in Azure by "
        "the storage lifecycle rule); at most 7 days.",
    )

    # Plausible capture times: the time in the blob name, against the function's clock.
    capture_max_future_s: float = Field(
        default=300, ge=0, validation_alias="FOOTFALL_CAPTURE_MAX_FUTURE_S",
        description="Clock skew allowed: a photo captured further in the future is quarantined implausible_time.",
    )
    capture_max_age_days: float = Field(
        default=8, gt=0, validation_alias="FOOTFALL_CAPTURE_MAX_AGE_DAYS",
        description="A photo captured longer ago is quarantined implausible_time. The edge buffer keeps photos "
        "up to 7 days; replaying an older day locally needs a larger window.",
    )

    # Reports.
    k_anonymity: int = Field(
        default=DEFAULT_K, ge=1, validation_alias="FOOTFALL_K",
        description="k-anonymity: demographic breakdowns of fewer than k visit faces are suppressed. "
        "The one setting of k: the job's query (footfall asa generate / Terraform), the reports API, "
        "the dashboard and the Power BI model all take it from here.",
    )
    l_diversity: bool = Field(
        default=False, validation_alias="FOOTFALL_L_DIVERSITY",
        description="l-diversity (l = 2) in the reports API, dashboard and daily rollups: a store window in which "
        "every visit face with a known value shares one gender, age band or emotion publishes no breakdown, like "
        "one below k, so no sum over windows includes it. Off by default; its cost on the demo day is in "
        "functions/README.md.",
    )
    exact_age: bool = Field(
        default=False, validation_alias="FOOTFALL_EXACT_AGE",
        description="Write each face's exact age into events; by default only its age band travels.",
    )

    # Reports API over Cosmos DB (the HTTP functions). Leave the key empty in Azure: the app then
    # signs in with its managed identity (Cosmos DB Built-in Data Reader on the database).
    cosmos_endpoint: str | None = Field(
        default=None, validation_alias="FOOTFALL_COSMOS_ENDPOINT",
        description="Account URL, e.g. https://footfall.documents.azure.com:443/",
    )
    cosmos_key: SecretStr | None = Field(
        default=None, validation_alias="FOOTFALL_COSMOS_KEY",
        description="Leave empty in Azure: the managed identity, with Cosmos DB Built-in Data Contributor on the "
        "container (it writes the daily rollups).",
    )
    cosmos_database: str = Field(default="footfall", validation_alias="FOOTFALL_COSMOS_DATABASE",
                                 description="The database the Stream Analytics job writes its windows to.")
    cosmos_container: str = Field(
        default="footfall", validation_alias="FOOTFALL_COSMOS_CONTAINER",
        description="The container the job writes (partition key /store_id; doc_type tells rows apart).",
    )
    reports_directory_days: int = Field(
        default=62, ge=1, validation_alias="FOOTFALL_REPORTS_DIRECTORY_DAYS",
        description="The store directory (filters) is read from this many days before the newest window, "
        "so that listing stores does not scan a year of windows.",
    )
    rollup_ttl_days: int = Field(
        default=1100, ge=400, validation_alias="FOOTFALL_ROLLUP_TTL_DAYS",
        description="Days a daily store rollup lives in Cosmos DB (its own ttl; windows keep the container's 400).",
    )
    reports_auth: Literal["none", "app_service"] = Field(
        default="none", validation_alias="FOOTFALL_REPORTS_AUTH",
        description="none: the local dashboard on loopback reads everything. app_service: the reports API "
        "needs the X-MS-CLIENT-PRINCIPAL of App Service authentication (Microsoft Entra ID); 401 without it.",
    )
    reports_access: str | None = Field(
        default=None, validation_alias="FOOTFALL_REPORTS_ACCESS",
        description="Entra group object id -> regions and stores it may read: JSON inline or the path of a JSON "
        "file, e.g. `{\"groups\": {\"<group id>\": {\"regions\": [\"Nordics\"], \"stores\": [\"S0101\"]}}}` "
        "(see functions/reports/access.py).",
    )
    known_stores: str | None = Field(
        default=None, validation_alias="FOOTFALL_KNOWN_STORES",
        description="CSV file with a store_id column (the reference data stores.csv), or an inline "
        "comma-separated list of store ids; when set, uploads from other stores are quarantined with reason "
        "unknown_store. A stores.csv with an emotion column also says where emotion recognition is off.",
    )
    emotion_recognition: bool = Field(
        default=True, validation_alias="FOOTFALL_EMOTION",
        description="Recognise emotions at all (on by default). Off, or off for a store (stores.csv column "
        "emotion = no, or FOOTFALL_EMOTION_OFF), the face service is not asked for emotion and events carry "
        "emotion null.",
    )
    emotion_off_stores: str = Field(
        default="", validation_alias="FOOTFALL_EMOTION_OFF",
        description="Comma-separated store ids where emotion recognition is off; Terraform fills it from the "
        "emotion column of stores.csv.",
    )

    @model_validator(mode="after")
    def _eventhub_configured(self) -> Settings:
        if self.event_sink == "eventhub" and not (self.eventhub_connection or self.eventhub_namespace):
            raise ValueError(
                "FOOTFALL_EVENT_SINK=eventhub needs FOOTFALL_EVENTHUB_CONNECTION "
                "or FOOTFALL_EVENTHUB_NAMESPACE (managed identity)"
            )
        return self

    @property
    def sent_mark_retention_days(self) -> float:
        """How long a sent mark must live: a re-upload older than the capture-age window is quarantined
        ``implausible_time`` anyway, so its mark can go after that window plus a day's margin (Terraform's
        lifecycle rule on the sent container uses the same sum)."""
        return self.capture_max_age_days + SENT_MARK_MARGIN_DAYS

    @property
    def requested_attributes(self) -> list[str]:
        """The face attributes to request, as a list."""
        return [a.strip() for a in self.face_attributes.split(",") if a.strip()]

    def known_store_ids(self) -> frozenset[str] | None:
        """The store ids allowed to upload, or ``None`` when every store is accepted.

        ``FOOTFALL_KNOWN_STORES`` names a CSV file (column ``store_id``, else the first column)
        or, when no such file exists and the value has no path separator, is itself a
        comma-separated list (``S0001,S0002``): convenient as an Azure app setting.
        Raises ``ValueError`` when it names a missing ``.csv`` file.
        """
        if self.known_stores is None:
            return None
        value = Path(self.known_stores)
        if value.is_file():
            with value.open(newline="", encoding="utf-8-sig") as f:
                rows = list(csv.reader(f))
            if not rows:
                return frozenset()
            header = [h.strip().lower() for h in rows[0]]
            col = header.index("store_id") if "store_id" in header else 0
            body = rows[1:] if "store_id" in header else rows
            return frozenset(r[col].strip() for r in body if len(r) > col and r[col].strip())
        raw = self.known_stores
        if os.sep in raw or raw.lower().endswith(".csv"):
            raise ValueError(f"FOOTFALL_KNOWN_STORES={raw!r} names a file that does not exist")
        return frozenset(s.strip() for s in raw.split(",") if s.strip())

    def emotion_off_store_ids(self) -> frozenset[str]:
        """Stores where emotion recognition is off: ``FOOTFALL_EMOTION_OFF``, and those whose ``emotion``
        column in the stores reference file (``FOOTFALL_KNOWN_STORES``) is ``no``."""
        off = {s.strip() for s in self.emotion_off_stores.split(",") if s.strip()}
        value = Path(self.known_stores) if self.known_stores is not None else None
        if value is not None and value.is_file():
            with value.open(newline="", encoding="utf-8-sig") as f:
                rows = list(csv.DictReader(f))
            if rows and "emotion" in rows[0] and "store_id" in rows[0]:
                off |= {row["store_id"].strip() for row in rows if not _yes(row.get("emotion") or "yes")}
        return frozenset(off)

    @property
    def uses_azure_face(self) -> bool:
        """Whether the face endpoint is Azure AI Face (gender and emotion no longer served there)."""
        host = self.face_endpoint.lower().split("://", 1)[-1].split("/", 1)[0]
        return host.endswith((".cognitiveservices.azure.com", ".api.cognitive.microsoft.com"))


def _yes(text: str) -> bool:
    value = text.strip().lower()
    if value in {"yes", "true", "1", "on"}:
        return True
    if value in {"no", "false", "0", "off"}:
        return False
    raise ValueError(f"emotion must be yes or no, not {text!r}")


_given: Settings | None = None


@lru_cache(maxsize=1)
def _from_environment() -> Settings:
    return Settings()


def get_settings() -> Settings:
    """The process-wide settings: the ones given to :func:`use_settings`, else read once from the environment."""
    return _given if _given is not None else _from_environment()


def get_binding_settings() -> BindingSettings:
    """What the bindings read when the app is indexed: the settings given to :func:`use_settings`, else
    only :class:`BindingSettings` from the environment (indexing never validates the rest)."""
    return _given if _given is not None else BindingSettings()


def use_settings(settings: Settings | None) -> None:
    """Make :func:`get_settings` return ``settings`` (the local host, the demo: a ``Settings`` built in code
    instead of an edited environment); ``None`` reads the environment again on the next call."""
    global _given
    _given = settings
    _from_environment.cache_clear()
