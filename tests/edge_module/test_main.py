"""``footfall edge``: the command the container runs, end to end on a folder of frames and Azurite."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import cv2
import numpy as np
import pytest
from azure.iot.device import IoTHubModuleClient
from azure.storage.blob import BlobServiceClient

from footfall.azurite import Azurite
from footfall.cli import main as footfall


def test_footfall_edge_uploads_the_frames_with_people(
    azurite: Azurite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vtest_frames: list[np.ndarray],
    empty_scene: np.ndarray,
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "0-people.jpg"), vtest_frames[0])
    cv2.imwrite(str(frames / "1-empty.jpg"), empty_scene)
    cv2.imwrite(str(frames / "2-people.jpg"), vtest_frames[1])
    config = tmp_path / "edge.json"
    config.write_text('{"store_id": "S0777", "camera_id": "DOOR", '
                      '"capture": {"min_interval_s": 0, "whole_frames": true}}')
    monkeypatch.setenv("FOOTFALL_STORAGE_CONNECTION_STRING", azurite.connection_string)
    monkeypatch.setenv("FOOTFALL_CONTAINER", "cli-test")
    monkeypatch.setenv("FOOTFALL_BUFFER_DIR", str(tmp_path / "buffer"))
    monkeypatch.setenv("FOOTFALL_USE_HUB", "no")

    assert footfall(["edge", "--config", str(config), "--source", str(frames)]) == 0

    with BlobServiceClient.from_connection_string(azurite.connection_string) as svc:
        names = [b.name for b in svc.get_container_client("cli-test").list_blobs()]
    assert len(names) == 2 and all(n.startswith("S0777/DOOR/") for n in names)
    assert list((tmp_path / "buffer").glob("*.jpg")) == []


def test_invalid_configuration_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FOOTFALL_TIMEZONE", "Europe/Atlantis")
    assert footfall(["edge", "--source", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "invalid configuration" in err and "Europe/Atlantis" in err


def test_under_iot_edge_the_store_is_the_device_and_its_cameras_come_from_the_module_twin(
    azurite: Azurite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vtest_frames: list[np.ndarray],
) -> None:
    """What the fleet's deployment relies on: no store id, camera or source in the environment."""
    sources = {}
    for camera in ("C11", "C12"):
        sources[camera] = tmp_path / camera
        sources[camera].mkdir()
        for i in range(2):
            cv2.imwrite(str(sources[camera] / f"{i}.jpg"), vtest_frames[i])
    edge_env = {"IOTEDGE_WORKLOADURI": "unix:///var/run/iotedge/workload.sock", "IOTEDGE_DEVICEID": "S0555",
                "IOTEDGE_MODULEID": "footfall-edge", "IOTEDGE_IOTHUBHOSTNAME": "hub.azure-devices.net"}
    for key, value in {**edge_env, "FOOTFALL_STORAGE_CONNECTION_STRING": azurite.connection_string,
                       "FOOTFALL_CONTAINER": "twin-cameras", "FOOTFALL_BUFFER_DIR": str(tmp_path / "buffer")}.items():
        monkeypatch.setenv(key, value)
    client = mock.create_autospec(IoTHubModuleClient, instance=True)
    client.get_twin.return_value = {"desired": {
        "timezone": "UTC", "opening_hours": {"daily": "00:00-24:00"},
        "capture": {"whole_frames": True, "min_interval_s": 0},
        "cameras": [{"id": camera, "source": str(folder), "role": "zone"} for camera, folder in sources.items()],
        "$version": 3}, "reported": {"$version": 1}}
    factory = mock.create_autospec(IoTHubModuleClient)
    factory.create_from_edge_environment.return_value = client
    monkeypatch.setattr("edge_module.hub.IoTHubModuleClient", factory)

    assert footfall(["edge"]) == 0

    with BlobServiceClient.from_connection_string(azurite.connection_string) as svc:
        names = [b.name for b in svc.get_container_client("twin-cameras").list_blobs()]
    assert {n.split("/")[0] for n in names} == {"S0555"}
    assert {n.split("/")[1] for n in names} == {"C11", "C12"}
