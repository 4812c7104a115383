"""The ingest function's OpenTelemetry instruments, read back from an in-memory reader: the counters
every invocation updates, and the face service calls (duration by status, 429s)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ingest_helpers import FaceApiStub, StubReply, face_error, face_json, jpeg_bytes, make_settings
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from functions import telemetry
from functions.counters import IngestCounters
from functions.errors import TransientError
from functions.face_client import FaceAnalyzer
from functions.telemetry import TelemetrySettings, use_providers


@pytest.fixture()
def reader() -> Iterator[InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    use_providers(MeterProvider(metric_readers=[reader]))
    yield reader
    use_providers(None)


def sums(reader: InMemoryMetricReader) -> dict[str, dict[tuple[tuple[str, Any], ...], Any]]:
    """metric -> attributes -> value (a sum, or a histogram's count)."""
    data = reader.get_metrics_data()
    assert data is not None
    out: dict[str, dict[tuple[tuple[str, Any], ...], Any]] = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            assert sm.scope.name == telemetry.METER_NAME
            for metric in sm.metrics:
                out[metric.name] = {
                    tuple(sorted(p.attributes.items())): getattr(p, "value", None) if hasattr(p, "value") else p.count
                    for p in metric.data.data_points
                }
    return out


def test_the_ingest_counters_are_the_exported_metrics(reader: InMemoryMetricReader) -> None:
    counters = IngestCounters()
    counters.add("invocations", 5)
    counters.add("sent", 2)
    counters.add("faces", 3)
    counters.add("duplicates")
    counters.add("skipped")
    counters.add("transient_errors")
    counters.quarantined("too_small")
    counters.quarantined("poison")

    metrics = sums(reader)
    assert metrics["footfall.uploads"] == {(): 5}
    assert metrics["footfall.events.sent"] == {(): 2}
    assert metrics["footfall.faces"] == {(): 3}
    assert metrics["footfall.quarantined"] == {(("reason", "too_small"),): 1, (("reason", "poison"),): 1}
    assert metrics["footfall.poison"] == {(): 1}
    assert metrics["footfall.ingest.outcomes"] == {
        (("outcome", "duplicate"),): 1, (("outcome", "skipped"),): 1, (("outcome", "transient_error"),): 1,
    }
    # The same numbers as the snapshot the log line and the local host read.
    snapshot = counters.snapshot()
    assert (snapshot.invocations, snapshot.sent, snapshot.quarantined) == (5, 2, 2)


def test_face_calls_are_timed_by_status_and_429s_counted(reader: InMemoryMetricReader, face_stub: FaceApiStub) -> None:
    analyzer = FaceAnalyzer(make_settings(FOOTFALL_FACE_ENDPOINT=face_stub.url, FOOTFALL_FACE_RETRY_TOTAL=0))
    photo = jpeg_bytes((320, 240))
    face_stub.default = StubReply(200, [face_json()])
    analyzer.detect(photo)
    analyzer.detect(photo)
    face_stub.default = StubReply(429, face_error("429", "busy"), {"Retry-After": "0"})
    with pytest.raises(TransientError):
        analyzer.detect(photo)

    metrics = sums(reader)
    assert metrics["footfall.face_service.duration"] == {
        (("http.response.status_code", "200"),): 2, (("http.response.status_code", "429"),): 1,
    }
    assert metrics["footfall.face_service.throttled"] == {(): 1}


def test_telemetry_settings_choose_the_destination(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APPLICATIONINSIGHTS_CONNECTION_STRING", "FOOTFALL_TELEMETRY"):
        monkeypatch.delenv(name, raising=False)
    assert TelemetrySettings().destination == "none"
    monkeypatch.setenv("FOOTFALL_TELEMETRY", "console")
    assert TelemetrySettings().destination == "console"
    monkeypatch.delenv("FOOTFALL_TELEMETRY")
    monkeypatch.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", "InstrumentationKey=0;IngestionEndpoint=https://x/")
    assert TelemetrySettings().destination == "azure-monitor"


def test_azure_monitor_exports_our_spans_but_no_http_or_sdk_spans_with_blob_urls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import azure.monitor.opentelemetry as distro
    from azure.monitor.opentelemetry._constants import _ALL_SUPPORTED_INSTRUMENTED_LIBRARIES

    given: list[dict[str, Any]] = []
    monkeypatch.setattr(distro, "configure_azure_monitor", lambda **kwargs: given.append(kwargs))
    monkeypatch.setattr(telemetry, "_configured", None)
    connection = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x/"

    destination = telemetry.configure_telemetry(TelemetrySettings(APPLICATIONINSIGHTS_CONNECTION_STRING=connection))

    assert destination == "azure-monitor"
    (kwargs,) = given
    options = kwargs["instrumentation_options"]
    # Every HTTP client the Blob, Cosmos and Face SDKs could go through, and the Azure SDK's own tracing.
    for library in ("azure_sdk", "requests", "urllib", "urllib3", "httpx"):
        assert options[library] == {"enabled": False}, library
    assert set(options) <= set(_ALL_SUPPORTED_INSTRUMENTED_LIBRARIES), "names the distro knows"
    assert kwargs["logger_name"] == "functions"
