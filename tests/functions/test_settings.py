"""The one settings model: defaults, managed-identity rules, known stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import make_settings
from pydantic import ValidationError

from functions.settings import (
    BindingSettings,
    Settings,
    default_state_dir,
    get_binding_settings,
    get_settings,
    use_settings,
)


def test_the_local_event_log_defaults_to_the_state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FOOTFALL_STATE_DIR", str(tmp_path))
    assert Settings().local_event_log == tmp_path / "events"
    monkeypatch.setenv("FOOTFALL_LOCAL_EVENT_LOG", str(tmp_path / "elsewhere"))
    assert Settings().local_event_log == tmp_path / "elsewhere"


def test_empty_environment_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("FOOTFALL_FACE_KEY", "FOOTFALL_KNOWN_STORES", "FOOTFALL_EVENTHUB_NAMESPACE"):
        monkeypatch.setenv(key, "")
    settings = Settings()
    assert settings.face_key is None
    assert settings.known_store_ids() is None


def test_the_event_hub_sink_needs_a_connection_or_a_namespace() -> None:
    with pytest.raises(ValidationError, match="FOOTFALL_EVENTHUB_NAMESPACE"):
        make_settings(FOOTFALL_EVENT_SINK="eventhub")
    assert make_settings(FOOTFALL_EVENT_SINK="eventhub",
                         FOOTFALL_EVENTHUB_NAMESPACE="ns.servicebus.windows.net").eventhub_namespace


def test_known_stores_from_a_csv_file(tmp_path: Path) -> None:
    csv = tmp_path / "stores.csv"
    csv.write_text("store_id,city,region,time_zone\nS0001,Lyon,FR-South,Europe/Paris\nS0002,Lille,FR-North,Europe/Paris\n")
    assert make_settings(FOOTFALL_KNOWN_STORES=str(csv)).known_store_ids() == {"S0001", "S0002"}


def test_known_stores_inline_for_an_app_setting() -> None:
    assert make_settings(FOOTFALL_KNOWN_STORES="S0001, S0002").known_store_ids() == {"S0001", "S0002"}


def test_a_missing_known_stores_file_is_an_error_not_an_empty_list(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        make_settings(FOOTFALL_KNOWN_STORES=str(tmp_path / "nope.csv")).known_store_ids()


@pytest.mark.parametrize(("endpoint", "azure"), [
    ("https://myface.cognitiveservices.azure.com/", True),
    ("https://westeurope.api.cognitive.microsoft.com", True),
    ("http://127.0.0.1:5000", False),
    ("https://face.internal.example.com", False),
])
def test_azure_face_endpoints_are_recognised(endpoint: str, azure: bool) -> None:
    assert make_settings(FOOTFALL_FACE_ENDPOINT=endpoint).uses_azure_face is azure


def test_requested_attributes_come_from_a_comma_list() -> None:
    assert make_settings(FOOTFALL_FACE_ATTRIBUTES=" age, headPose ,").requested_attributes == ["age", "headPose"]


def test_given_settings_are_what_the_app_reads_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local host and the demo hand the app a Settings object; nothing edits the environment."""
    monkeypatch.setenv("FOOTFALL_K", "7")
    given = Settings(FOOTFALL_K=12, FOOTFALL_REDRIVE_SCHEDULE="*/1 * * * * *")
    try:
        use_settings(given)
        assert get_settings() is given and get_settings().k_anonymity == 12
        assert get_binding_settings().redrive_schedule == "*/1 * * * * *"
    finally:
        use_settings(None)
    assert get_settings().k_anonymity == 7  # the environment, read again
    assert get_binding_settings().redrive_schedule == "0 */5 * * * *"


def test_binding_settings_read_only_what_indexing_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Indexing the app reads the trigger source and the timer schedule, whatever else is misconfigured."""
    monkeypatch.setenv("FOOTFALL_EVENT_SINK", "eventhub")  # no hub configured: Settings() would fail
    monkeypatch.setenv("FOOTFALL_BLOB_TRIGGER_SOURCE", "eventgrid")
    with pytest.raises(ValidationError):
        Settings()
    assert BindingSettings().blob_trigger_source == "EventGrid"


def test_an_unknown_trigger_source_is_an_error_not_a_silent_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOOTFALL_BLOB_TRIGGER_SOURCE", "EventHub")
    with pytest.raises(ValidationError, match="FOOTFALL_BLOB_TRIGGER_SOURCE"):
        BindingSettings()


def test_the_state_dir_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FOOTFALL_STATE_DIR", str(tmp_path / "elsewhere"))
    assert default_state_dir() == tmp_path / "elsewhere"
    assert Settings().local_event_log == tmp_path / "elsewhere" / "events"
