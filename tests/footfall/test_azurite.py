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
