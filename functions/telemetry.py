"""OpenTelemetry for the ingest function: a span per invocation, metrics for what ingest counts.

Instruments (meter ``footfall.functions``), all fed by :class:`functions.counters.IngestCounters`
and :class:`functions.face_client.FaceAnalyzer`, so the log line, the local host and Azure Monitor
see the same numbers:

* ``footfall.uploads``: invocations (one per uploaded photo, retries included);
* ``footfall.events.sent``: FrameEvents sent; ``footfall.faces``: faces in them;
* ``footfall.quarantined`` with ``reason``: photos moved to ``quarantine``;
* ``footfall.poison``: photos that failed every re-drive while all was healthy (quarantined ``poison``);
* ``footfall.ingest.outcomes`` with ``outcome`` (``skipped``, ``duplicate``, ``deferred``: left in
  uploads while a circuit was open, ``transient_error``, ``failed``);
* ``footfall.face_service.duration`` (ms) with ``http.response.status_code`` (``error`` when no
  answer came), and ``footfall.face_service.throttled``: the face service's 429s.

Where they go is configuration (:class:`TelemetrySettings`): in Azure, Application Insights through
the Azure Monitor OpenTelemetry distro, signed in with the app's managed identity (the resource has
local authentication off); locally the console; in tests an in-memory reader
(:func:`use_providers`). The face service has its own hook (``face_service/telemetry.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from opentelemetry import metrics, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import Span, TracerProvider
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

METER_NAME = "footfall.functions"
TRACER_NAME = "footfall.functions"
POISON_REASON = "poison"
"""The quarantine reason of a photo that failed every attempt."""

HTTP_INSTRUMENTATIONS_OFF = ("azure_sdk", "requests", "urllib", "urllib3", "httpx")
"""The Azure Monitor distro's instrumentations we turn off (it enables them all by default). Each would
export every Blob Storage call (download, delete, quarantine copy) as a dependency span carrying the
request URL, i.e. the blob's name: the promise is that no blob name or URL leaves the process. Our own
spans (``invocation_span``: store, camera, outcome, reason) stay."""

QUIET_LOGGERS = {"azure": logging.WARNING, "urllib3": logging.ERROR}
"""Library loggers held above Information: the Azure SDK's HTTP logging policy logs every request URL
(a blob's name) at Information, urllib3 a retried URL at Warning, and the Python worker forwards every
record to the Functions host."""


def quiet_sdk_loggers() -> None:
    """Keep the SDKs' request URLs out of the logs (:data:`QUIET_LOGGERS`)."""
    for name, level in QUIET_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.level < level:  # NOTSET or lower: a level set on purpose above ours stays
            logger.setLevel(level)


_OUTCOMES = {"skipped": "skipped", "duplicates": "duplicate", "deferred": "deferred",
             "transient_errors": "transient_error", "failed": "failed"}
"""IngestCounters field -> ``outcome`` attribute of ``footfall.ingest.outcomes``."""


class TelemetrySettings(BaseSettings):
    """Where the function's telemetry goes. Azure sets the connection string from Terraform."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    connection_string: SecretStr | None = Field(
        default=None, validation_alias="APPLICATIONINSIGHTS_CONNECTION_STRING",
        description="Application Insights connection string (site_config in function.tf); with it, "
        "exporter=auto sends to Azure Monitor.",
    )
    exporter: Literal["auto", "azure-monitor", "console", "none"] = Field(
        default="auto", validation_alias="FOOTFALL_TELEMETRY",
        description="auto: azure-monitor when a connection string is set, else none; console: print spans and "
        "metrics (local runs).",
    )
    export_interval_s: float = Field(
        default=60.0, gt=0, validation_alias="FOOTFALL_TELEMETRY_INTERVAL_S",
        description="How often the console exporter prints metrics (Azure Monitor exports every 60 s).",
    )
    managed_identity_client_id: str | None = Field(
        default=None, validation_alias="AZURE_CLIENT_ID",
        description="Client id of a user-assigned identity to sign telemetry in with; unset: the default chain.",
    )

    @property
    def destination(self) -> Literal["azure-monitor", "console", "none"]:
        if self.exporter == "auto":
            return "azure-monitor" if self.connection_string else "none"
        return self.exporter


class IngestMetrics:
    """The instruments, created from one meter provider."""

    def __init__(self, provider: MeterProvider | None = None) -> None:
        meter = (provider or metrics.get_meter_provider()).get_meter(METER_NAME)
        self.uploads = meter.create_counter("footfall.uploads", unit="{photo}",
                                            description="Uploaded photos the function was invoked for")
        self.events = meter.create_counter("footfall.events.sent", unit="{event}", description="FrameEvents sent")
        self.faces = meter.create_counter("footfall.faces", unit="{face}", description="Faces in the events sent")
        self.quarantined = meter.create_counter("footfall.quarantined", unit="{photo}",
                                                description="Photos moved to quarantine, by reason")
        self.poison = meter.create_counter("footfall.poison", unit="{photo}",
                                           description="Photos that failed every attempt")
        self.outcomes = meter.create_counter("footfall.ingest.outcomes", unit="{invocation}",
                                             description="Invocations that sent nothing new, by outcome")
        self.face_duration = meter.create_histogram("footfall.face_service.duration", unit="ms",
                                                    description="Face service detect calls, by HTTP status")
        self.face_throttled = meter.create_counter("footfall.face_service.throttled", unit="{request}",
                                                   description="Face service answers 429 Too Many Requests")

    def count(self, field: str, amount: int) -> None:
        """Record an :class:`~functions.counters.IngestCounters` field."""
        if field == "invocations":
            self.uploads.add(amount)
        elif field == "sent":
            self.events.add(amount)
        elif field == "faces":
            self.faces.add(amount)
        elif field in _OUTCOMES:
            self.outcomes.add(amount, {"outcome": _OUTCOMES[field]})

    def quarantine(self, reason: str) -> None:
        self.quarantined.add(1, {"reason": reason})
        if reason == POISON_REASON:
            self.poison.add(1)

    def face_call(self, duration_ms: float, status: int | None) -> None:
        self.face_duration.record(duration_ms, {"http.response.status_code": str(status) if status else "error"})
        if status == 429:
            self.face_throttled.add(1)


_lock = threading.Lock()
_current: IngestMetrics | None = None
_tracer_provider: TracerProvider | None = None


def ingest_metrics() -> IngestMetrics:
    """The process's instruments (from the global meter provider unless :func:`use_providers` chose one)."""
    global _current
    with _lock:
        if _current is None:
            _current = IngestMetrics()
        return _current


def use_providers(meter_provider: MeterProvider | None, tracer_provider: TracerProvider | None = None) -> None:
    """Record into these providers from now on (tests read in-memory ones); ``None``: the global ones."""
    global _current, _tracer_provider
    with _lock:
        _current = IngestMetrics(meter_provider) if meter_provider is not None else None
        _tracer_provider = tracer_provider


@contextmanager
def invocation_span(name: str, kind: trace.SpanKind = trace.SpanKind.CONSUMER) -> Iterator[Span]:
    """The span of one function invocation (an Application Insights request: host.json keeps the host's own
    request records, which name the trigger's blob, out); an exception marks it failed and propagates.
    ``kind``: CONSUMER for triggers, SERVER for HTTP functions."""
    tracer = trace.get_tracer(TRACER_NAME, tracer_provider=_tracer_provider)
    with tracer.start_as_current_span(name, kind=kind) as span:
        yield span


_configured: str | None = None


def configure_telemetry(settings: TelemetrySettings | None = None) -> str:
    """Install the exporters once per process; returns the destination (``azure-monitor``, ``console``, ``none``)."""
    global _configured
    quiet_sdk_loggers()
    if _configured is not None:
        return _configured
    settings = settings or TelemetrySettings()
    destination = settings.destination
    if destination == "azure-monitor":
        assert settings.connection_string is not None, "azure-monitor needs APPLICATIONINSIGHTS_CONNECTION_STRING"
        from azure.identity import DefaultAzureCredential, ManagedIdentityCredential
        from azure.monitor.opentelemetry import configure_azure_monitor

        credential = (ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
                      if settings.managed_identity_client_id else DefaultAzureCredential())
        configure_azure_monitor(
            connection_string=settings.connection_string.get_secret_value(), credential=credential,
            logger_name="functions",
            instrumentation_options={name: {"enabled": False} for name in HTTP_INSTRUMENTATIONS_OFF},
        )
    elif destination == "console":
        from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
        from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

        reader = PeriodicExportingMetricReader(ConsoleMetricExporter(),
                                               export_interval_millis=int(settings.export_interval_s * 1000))
        metrics.set_meter_provider(SdkMeterProvider(metric_readers=[reader]))
        tracer_provider = SdkTracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        trace.set_tracer_provider(tracer_provider)
    log.info("telemetry: %s", destination)
    _configured = destination
    return destination
