"""The face service's telemetry hook: a span and a duration per request by status, and the queue's depth,
read back from OpenTelemetry's in-memory exporters (no network)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from face_service.app import create_app
from face_service.config import ServiceSettings
from face_service.telemetry import TelemetrySettings, instrument


def _points(reader: InMemoryMetricReader) -> dict[str, list]:
    data = reader.get_metrics_data()
    assert data is not None
    return {m.name: list(m.data.data_points) for rm in data.resource_metrics for sm in rm.scope_metrics
            for m in sm.metrics}


def test_each_request_gets_a_span_and_a_duration_by_status_and_the_queue_is_observed() -> None:
    # Not started (no lifespan): the pool is still loading, so detect answers 503; a wrong key 401.
    app = create_app(ServiceSettings(workers=2, queue_per_worker=3, service_key="k"))
    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    instrument(app, tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader]))

    async def calls() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://face") as client:
            key = {"Ocp-Apim-Subscription-Key": "k", "Content-Type": "application/octet-stream"}
            return [
                (await client.post("/face/v1.2/detect", content=b"x", headers=key)).status_code,
                (await client.post("/face/v1.2/detect", content=b"x",
                                   headers={**key, "Ocp-Apim-Subscription-Key": "no"})).status_code,
                (await client.get("/status")).status_code,
            ]

    assert asyncio.run(calls()) == [503, 401, 503]

    server_spans = [s for s in spans.get_finished_spans() if s.kind.name == "SERVER"]
    assert len(server_spans) == 3
    assert sorted(s.attributes.get("http.status_code") or s.attributes.get("http.response.status_code")
                  for s in server_spans) == [401, 503, 503]

    points = _points(reader)
    durations = points.get("http.server.duration") or points["http.server.request.duration"]
    by_status: dict[int, int] = {}
    for point in durations:  # one point per route and status
        status = point.attributes.get("http.status_code") or point.attributes.get("http.response.status_code")
        by_status[status] = by_status.get(status, 0) + point.count
    assert by_status == {401: 1, 503: 2}
    assert [p.value for p in points["footfall.face_service.queue.in_flight"]] == [0]
    assert [p.value for p in points["footfall.face_service.queue.capacity"]] == [2 * (1 + 3)]
    assert [p.value for p in points["footfall.face_service.rejected"]] == [0]


def test_telemetry_goes_to_azure_monitor_only_with_a_connection_string(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APPLICATIONINSIGHTS_CONNECTION_STRING", "FOOTFALL_FACE_TELEMETRY"):
        monkeypatch.delenv(name, raising=False)
    assert TelemetrySettings().destination == "none"
    monkeypatch.setenv("FOOTFALL_FACE_TELEMETRY", "console")
    assert TelemetrySettings().destination == "console"
    monkeypatch.delenv("FOOTFALL_FACE_TELEMETRY")
    monkeypatch.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", "InstrumentationKey=00000000-0000-0000-0000-0")
    assert TelemetrySettings().destination == "azure-monitor"
