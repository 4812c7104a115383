"""Module twin and telemetry, with azure-iot-device's IoTHubModuleClient mocked at the SDK boundary.

The mock is specced on the real class: calling a method the SDK does not have fails the test.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import cv2
import numpy as np
import pytest
from azure.iot.device import IoTHubModuleClient, Message
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

from edge_module.app import EdgeModule
from edge_module.camera import Frame
from edge_module.config import ModuleSettings
from edge_module.detection.centernet import CenterNetPersonDetector
from edge_module.detection.hog import HogOrFaceDetector
from edge_module.hub import Hub
from footfall.azurite import ACCOUNT, ACCOUNT_KEY, Azurite

EDGE_ENV = {
    "IOTEDGE_WORKLOADURI": "unix:///var/run/iotedge/workload.sock", "IOTEDGE_DEVICEID": "S0042",
    "IOTEDGE_MODULEID": "footfall-edge", "IOTEDGE_IOTHUBHOSTNAME": "hub.azure-devices.net",
    "IOTEDGE_GATEWAYHOSTNAME": "edgehub", "IOTEDGE_APIVERSION": "2019-01-30", "IOTEDGE_MODULEGENERATIONID": "1",
    "IOTEDGE_AUTHSCHEME": "sasToken",
}
# 07:00 in Paris on Monday 2026-11-23 (UTC+1).
PARIS_7AM = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> mock.MagicMock:
    """The module client the SDK would hand out inside IoT Edge, with a twin already set."""
    for key, value in EDGE_ENV.items():
        monkeypatch.setenv(key, value)
    client = mock.create_autospec(IoTHubModuleClient, instance=True)
    client.get_twin.return_value = {
        "desired": {"timezone": "Europe/Paris", "opening_hours": {"daily": "09:00-18:00"},
                    "capture": {"min_interval_s": 60}, "$version": 1},
        "reported": {"$version": 1},
    }
    factory = mock.create_autospec(IoTHubModuleClient)
    factory.create_from_edge_environment.return_value = client
    monkeypatch.setattr("edge_module.hub.IoTHubModuleClient", factory)
    return client


@pytest.fixture
def module(sdk: mock.MagicMock, azurite: Azurite, make_settings: Callable[..., ModuleSettings]) -> EdgeModule:
    settings = make_settings(use_hub="auto", storage_connection_string=azurite.connection_string,
                             container="twin-test", capture={"min_interval_s": 10, "whole_frames": True})
    m = EdgeModule(settings, hub=Hub.connect(settings), clock=lambda: PARIS_7AM).start()
    yield m
    m.stop()


def reported(sdk: mock.MagicMock) -> list[dict[str, Any]]:
    return [c.args[0] for c in sdk.patch_twin_reported_properties.call_args_list]


def patch_twin(sdk: mock.MagicMock, patch: dict[str, Any]) -> None:
    """What the SDK does when the hub pushes a desired-properties patch: call the handler."""
    handler = sdk.on_twin_desired_properties_patch_received
    assert callable(handler), "the module registered a patch handler"
    handler(patch)


def look(module: EdgeModule, frame: np.ndarray, at: datetime) -> bool:
    return module.process(Frame(image=frame, captured_at=at, index=0)) is not None


def test_startup_reads_the_twin_and_reports_the_effective_config(sdk: mock.MagicMock, module: EdgeModule) -> None:
    sdk.connect.assert_called_once()
    assert module.live.timezone == "Europe/Paris" and module.live.capture.min_interval_s == 60
    first = reported(sdk)[0]
    assert first["config_status"] == {"status": "applied", "desired_version": 1, "error": None}
    assert first["config"]["opening_hours"]["mon"] == "09:00-18:00"
    assert first["config"]["capture"]["min_interval_s"] == 60


def test_a_patch_changes_hours_and_rate_limit_live_and_is_reported(
    sdk: mock.MagicMock, module: EdgeModule, vtest_frames: list[np.ndarray],
) -> None:
    people = vtest_frames[0]
    assert not look(module, people, PARIS_7AM), "07:00 in Paris: closed under the twin's 09:00-18:00"

    patch_twin(sdk, {"opening_hours": {"daily": "06:30-22:00"}, "capture": {"min_interval_s": 2}, "$version": 2})

    assert look(module, people, PARIS_7AM), "open now, without a restart"
    assert not look(module, people, PARIS_7AM + timedelta(seconds=1)), "new rate limit: 2 s"
    assert look(module, people, PARIS_7AM + timedelta(seconds=2))
    last = reported(sdk)[-1]
    assert last["config_status"] == {"status": "applied", "desired_version": 2, "error": None}
    assert last["config"]["opening_hours"]["tue"] == "06:30-22:00"
    assert last["config"]["capture"]["min_interval_s"] == 2
    assert last["config"]["timezone"] == "Europe/Paris", "earlier desired values stay"


def test_an_invalid_patch_is_rejected_reported_and_changes_nothing(sdk: mock.MagicMock, module: EdgeModule) -> None:
    before = module.live
    patch_twin(sdk, {"capture": {"min_interval_s": -5}, "$version": 3})
    patch_twin(sdk, {"opening_hours": "9am-5pm", "$version": 4})
    patch_twin(sdk, {"store_id": "S9999", "$version": 5})  # not live-patchable
    assert module.live == before
    statuses = [r["config_status"] for r in reported(sdk)[-3:]]
    assert [s["status"] for s in statuses] == ["rejected"] * 3
    assert [s["desired_version"] for s in statuses] == [3, 4, 5]
    assert "min_interval_s" in statuses[0]["error"] and "store_id" in statuses[2]["error"]


def test_a_null_desired_property_falls_back_to_the_local_setting(sdk: mock.MagicMock, module: EdgeModule) -> None:
    patch_twin(sdk, {"capture": None, "$version": 6})
    assert module.live.capture.min_interval_s == 10, "back to the environment/file value"
    assert reported(sdk)[-1]["config"]["capture"]["min_interval_s"] == 10


def test_detector_settings_switch_the_detector_live(sdk: mock.MagicMock, module: EdgeModule) -> None:
    assert isinstance(module.detector, CenterNetPersonDetector)
    patch_twin(sdk, {"detector": {"kind": "hog+face", "min_score": 0.7}, "$version": 7})
    assert isinstance(module.detector, HogOrFaceDetector) and module.detector.config.min_score == 0.7
    patch_twin(sdk, {"detector": {"kind": "onnx", "onnx_model": "/nonexistent/model.onnx"}, "$version": 8})
    assert isinstance(module.detector, HogOrFaceDetector), "an unusable model keeps the working detector"
    assert reported(sdk)[-1]["config_status"]["status"] == "rejected"
    assert module.live.detector.kind == "hog+face"


def test_telemetry_goes_to_the_module_output(
    sdk: mock.MagicMock, module: EdgeModule, vtest_frames: list[np.ndarray],
) -> None:
    patch_twin(sdk, {"opening_hours": "00:00-24:00", "$version": 9})
    look(module, vtest_frames[0], PARIS_7AM)
    module.send_telemetry()
    message, output = sdk.send_message_to_output.call_args.args
    assert output == "telemetry" and isinstance(message, Message)
    assert message.content_type == "application/json" and message.content_encoding == "utf-8"
    body = json.loads(message.data)
    assert body["schema"] == "footfall.edge.telemetry.v1"
    assert (body["store_id"], body["camera_id"]) == ("S0042", "C07")
    assert body["photos_taken"] == 1 and body["frames_analysed"] == 1
    assert body["photos_buffered"] + body["photos_uploaded"] == 1 and body["photos_dropped"] == 0
    assert body["detector"] == "centernet" and body["detector_fps"] > 0


def test_failed_telemetry_send_does_not_stop_the_module(
    sdk: mock.MagicMock, module: EdgeModule, caplog: pytest.LogCaptureFixture,
) -> None:
    sdk.send_message_to_output.side_effect = ConnectionError("edgeHub unreachable")
    with caplog.at_level(logging.WARNING):
        module.send_telemetry()
    assert "telemetry not sent" in caplog.text


def test_without_a_hub_telemetry_and_reports_are_logged(
    monkeypatch: pytest.MonkeyPatch, azurite: Azurite, make_settings: Callable[..., ModuleSettings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    factory = mock.create_autospec(IoTHubModuleClient)
    monkeypatch.setattr("edge_module.hub.IoTHubModuleClient", factory)
    settings = make_settings(use_hub="auto", storage_connection_string=azurite.connection_string)
    hub = Hub.connect(settings)
    assert not hub.connected
    factory.create_from_edge_environment.assert_not_called()
    module = EdgeModule(settings, hub=hub, clock=lambda: PARIS_7AM).start()
    with caplog.at_level(logging.INFO, logger="edge_module.hub"):
        module.stop()
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("telemetry: "))
    assert json.loads(line.removeprefix("telemetry: "))["store_id"] == "S0042"


def test_connection_string_is_used_outside_iot_edge(
    monkeypatch: pytest.MonkeyPatch, make_settings: Callable[..., ModuleSettings],
) -> None:
    factory = mock.create_autospec(IoTHubModuleClient)
    monkeypatch.setattr("edge_module.hub.IoTHubModuleClient", factory)
    conn = "HostName=hub.azure-devices.net;DeviceId=S0042;ModuleId=footfall-edge;SharedAccessKey=c2VjcmV0"
    monkeypatch.setenv("IOTHUB_MODULE_CONNECTION_STRING", conn)
    hub = Hub.connect(make_settings(use_hub="auto"))
    factory.create_from_connection_string.assert_called_once_with(conn)
    assert hub.client is factory.create_from_connection_string.return_value
    hub.client.connect.assert_called_once()


def test_telemetry_is_sent_on_schedule_even_without_frames(
    sdk: mock.MagicMock, azurite: Azurite, make_settings: Callable[..., ModuleSettings],
) -> None:
    settings = make_settings(use_hub="auto", storage_connection_string=azurite.connection_string,
                             telemetry_interval_s=0.2)
    module = EdgeModule(settings, hub=Hub.connect(settings), clock=lambda: PARIS_7AM).start()
    try:
        deadline = time.monotonic() + 5
        while sdk.send_message_to_output.call_count < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        module.stop()
    assert sdk.send_message_to_output.call_count >= 3  # two on schedule, one on stop
    assert {c.args[1] for c in sdk.send_message_to_output.call_args_list} == {"telemetry"}


def test_cameras_lines_and_zones_are_set_live_by_the_twin(sdk: mock.MagicMock, module: EdgeModule) -> None:
    cameras = [{"id": "DOOR", "source": "rtsp://127.0.0.1/door", "role": "entrance",
                "lines": [{"name": "door", "p1": [0.1, 0.6], "p2": [0.9, 0.6]}],
                "exclusion_zones": [[[0, 0.3], [0.2, 0.3], [0.2, 1], [0, 1]]]},
               {"id": "SHELVES", "role": "zone",
                "zones": [{"name": "womenswear", "polygon": [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]}]}]
    patch_twin(sdk, {"cameras": cameras, "$version": 12})
    assert sorted(module.cameras) == ["DOOR", "SHELVES"]
    assert module.cameras["DOOR"].config.lines[0].p1 == (0.1, 0.6)
    assert reported(sdk)[-1]["config"]["cameras"][1]["zones"][0]["name"] == "womenswear"
    patch_twin(sdk, {"cameras": [{**cameras[1], "zones": [{"name": "womenswear", "polygon": [[0, 0], [1, 1]]}]}],
                     "$version": 13})
    assert reported(sdk)[-1]["config_status"]["status"] == "rejected", "a zone needs three points"
    assert sorted(module.cameras) == ["DOOR", "SHELVES"]


def test_a_camera_password_in_the_twin_is_refused_and_never_reported(sdk: mock.MagicMock, module: EdgeModule) -> None:
    patch_twin(sdk, {"cameras": [{"id": "DOOR", "source": "rtsp://admin:hunter2@127.0.0.1/door"}], "$version": 14})
    status = reported(sdk)[-1]["config_status"]
    assert status["status"] == "rejected" and "camera credentials file" in status["error"]
    assert "hunter2" not in json.dumps(reported(sdk))
    assert "DOOR" not in module.cameras


def test_a_renewed_upload_sas_from_the_twin_is_used_at_once_and_never_reported(
    sdk: mock.MagicMock, azurite: Azurite, make_settings: Callable[..., ModuleSettings],
) -> None:
    """The deploy workflow writes each store's SAS into its module twin: no restart, no SAS in the deployment."""
    with BlobServiceClient.from_connection_string(azurite.connection_string) as svc:
        svc.create_container("sas-twin")
    account_url = f"http://{azurite.host}:{azurite.port}/{ACCOUNT}"
    sas = generate_container_sas(ACCOUNT, "sas-twin", account_key=ACCOUNT_KEY,
                                 permission=ContainerSasPermissions(create=True, write=True),
                                 expiry=datetime.now(UTC) + timedelta(hours=1))
    settings = make_settings(use_hub="auto", storage_account_url=account_url, container="sas-twin",
                             capture={"min_interval_s": 10, "whole_frames": True})
    m = EdgeModule(settings, hub=Hub.connect(settings), clock=lambda: PARIS_7AM + timedelta(hours=3)).start()
    try:
        without = m.forwarder.uploader
        patch_twin(sdk, {"storage_sas_token": sas, "$version": 20})
        assert reported(sdk)[-1]["config_status"]["status"] == "applied"
        assert sas not in json.dumps(reported(sdk)), "the SAS is never reported"
        assert m.forwarder.uploader is not without
        jpeg = cv2.imencode(".jpg", np.zeros((48, 64, 3), np.uint8))[1].tobytes()
        m.buffer.put(jpeg, "S0042", "C07", PARIS_7AM + timedelta(hours=3))
        with BlobServiceClient.from_connection_string(azurite.connection_string) as svc:
            deadline = time.monotonic() + 15
            while not (names := [b.name for b in svc.get_container_client("sas-twin").list_blobs()]):
                assert time.monotonic() < deadline, "the forwarder uploads with the twin's SAS"
                time.sleep(0.1)
        assert names[0].startswith("S0042/C07/")
    finally:
        m.stop()
