"""The Azurite launcher gives a real Blob Storage endpoint that the official SDK talks to."""

from __future__ import annotations

from pathlib import Path

from azure.storage.blob import BlobServiceClient

from footfall.azurite import Azurite, connection_string


def test_connection_string_names_loopback_port() -> None:
    cs = connection_string(12345)
    assert "BlobEndpoint=http://127.0.0.1:12345/devstoreaccount1;" in cs
    assert "AccountName=devstoreaccount1" in cs


def test_blobs_survive_a_restart_on_the_same_folder(tmp_path: Path) -> None:
    az = Azurite(location=tmp_path / "data")
    with az:
        svc = BlobServiceClient.from_connection_string(az.connection_string)
        svc.create_container("uploads").upload_blob("S1/C1/2026/11/23/080000000-1.jpg", b"photo")
    assert not az.running
    with az:
        svc = BlobServiceClient.from_connection_string(az.connection_string)
        blob = svc.get_blob_client("uploads", "S1/C1/2026/11/23/080000000-1.jpg")
        assert blob.download_blob().readall() == b"photo"


def test_a_port_already_in_use_is_refused_not_taken_for_our_azurite(tmp_path: Path) -> None:
    import pytest

    with Azurite(location=tmp_path / "first") as first:
        with pytest.raises(RuntimeError, match=f"port {first.port} .* already in use"):
            Azurite(location=tmp_path / "second", port=first.port).start()
        assert first.running


def test_the_command_stops_azurite_with_it_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys

    from footfall.azurite import free_port

    port = free_port()
    command = subprocess.Popen([str(Path(sys.executable).with_name("footfall")), "azurite", "--port", str(port),
                                "--location", str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert command.stdout is not None and "listening" in command.stdout.readline()
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=20) == 0
    finally:
        if command.poll() is None:
            os.kill(command.pid, signal.SIGKILL)
    # Nothing listens on the port any more: Azurite went with the command.
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
