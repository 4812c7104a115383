"""OpenTelemetry for the face service: a span and a duration per request, and the work queue's depth.

:func:`instrument` wraps the Starlette app in OpenTelemetry's ASGI middleware: one server span per
request and the ``http.server`` request duration histogram, by route and response status (so 429s
and 5xx are counted there), and observes the queue: ``footfall.face_service.queue.in_flight``
(admitted requests, running or waiting), ``footfall.face_service.queue.capacity`` and
``footfall.face_service.rejected`` (429s since start).

Where it goes is :class:`TelemetrySettings`: Application Insights through the Azure Monitor
distro (Terraform sets the connection string and the user-assigned identity's client id), the
console locally, or nowhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
from opentelemetry.trace import TracerProvider
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.applications import Starlette

from face_service.pool import WorkerPool

log = logging.getLogger(__name__)

METER_NAME = "footfall.face_service"
SERVICE_NAME = "face-service"
"""``service.name`` of the telemetry: Application Insights' cloud role name (AppRoleName)."""


class TelemetrySettings(BaseSettings):
    """Where the face service's telemetry goes."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    connection_string: SecretStr | None = Field(
        default=None, validation_alias="APPLICATIONINSIGHTS_CONNECTION_STRING",
        description="Application Insights connection string (face_service.tf); with it, exporter=auto sends there.",
    )
    exporter: Literal["auto", "azure-monitor", "console", "none"] = Field(
        default="auto", validation_alias="FOOTFALL_FACE_TELEMETRY",
        description="auto: azure-monitor with a connection string, else none; console: print spans and metrics.",
    )
    managed_identity_client_id: str | None = Field(
        default=None, validation_alias="AZURE_CLIENT_ID",
        description="The user-assigned identity that signs telemetry in (Application Insights has local auth off).",
    )

    @property
    def destination(self) -> Literal["azure-monitor", "console", "none"]:
        if self.exporter == "auto":
            return "azure-monitor" if self.connection_string else "none"
        return self.exporter


def configure_exporters(settings: TelemetrySettings) -> str:
    """Install the process's exporters (call once, before :func:`instrument`); returns the destination."""
    destination = settings.destination
    if destination == "azure-monitor":
        assert settings.connection_string is not None
        from azure.identity import DefaultAzureCredential, ManagedIdentityCredential
        from azure.monitor.opentelemetry import configure_azure_monitor
        from opentelemetry.sdk.resources import Resource

        configure_azure_monitor(
            connection_string=settings.connection_string.get_secret_value(),
            credential=ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
            if settings.managed_identity_client_id else DefaultAzureCredential(),
            resource=Resource.create({"service.name": SERVICE_NAME}),
            logger_name="face_service",
        )
    elif destination == "console":
        from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

        resource = Resource.create({"service.name": SERVICE_NAME})
        metrics.set_meter_provider(SdkMeterProvider(
            resource=resource, metric_readers=[PeriodicExportingMetricReader(ConsoleMetricExporter())]))
        tracer_provider = SdkTracerProvider(resource=resource)
        tracer_provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        trace.set_tracer_provider(tracer_provider)
    log.info("face service telemetry: %s", destination)
    return destination


def instrument(
    app: Starlette, tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None,
) -> None:
    """Trace and measure every request of ``app`` and observe its work queue (``app.state.pool``)."""
    pool: WorkerPool = app.state.pool
    app.add_middleware(
        OpenTelemetryMiddleware,
        tracer_provider=tracer_provider, meter_provider=meter_provider,
        exclude_spans=["receive", "send"],
    )
    meter = (meter_provider or metrics.get_meter_provider()).get_meter(METER_NAME)

    def in_flight(options: CallbackOptions) -> Iterable[Observation]:
        yield Observation(pool.status().in_flight)

    def capacity(options: CallbackOptions) -> Iterable[Observation]:
        yield Observation(pool.status().capacity)

    def rejected(options: CallbackOptions) -> Iterable[Observation]:
        yield Observation(pool.status().rejected_total)

    meter.create_observable_gauge("footfall.face_service.queue.in_flight", [in_flight], unit="{request}",
                                  description="Admitted requests, running or waiting")
    meter.create_observable_gauge("footfall.face_service.queue.capacity", [capacity], unit="{request}",
                                  description="Requests the queue admits at once; beyond it 429")
    meter.create_observable_counter("footfall.face_service.rejected", [rejected], unit="{request}",
                                    description="Requests refused with 429 because the queue was full")
