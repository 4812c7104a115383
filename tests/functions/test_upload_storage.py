"""Blob operations against Azurite: properties, quarantine, conditional delete, processed tag."""

from __future__ import annotations

import pytest
from azure.storage.blob import BlobServiceClient
from ingest_helpers import UPLOAD_NAME, Containers, jpeg_bytes

from functions.errors import TransientError
from functions.image_structure import strip_metadata
from functions.upload_storage import PROCESSED_TAG, UploadStorage


def store_for(blob_service: BlobServiceClient, containers: Containers) -> UploadStorage:
    return UploadStorage(blob_service, containers.uploads.container_name, containers.quarantine.container_name)


def test_state_reads_etag_and_metadata_and_none_when_gone(
    blob_service: BlobServiceClient, containers: Containers
) -> None:
    etag = containers.upload(UPLOAD_NAME, b"x", {"cameraid": "C02"})
    store = store_for(blob_service, containers)
    state = store.state(UPLOAD_NAME)
    assert state is not None and (state.etag, state.metadata) == (etag, {"cameraid": "C02"})
    assert store.state("S0001/C01/2026/11/23/080000123-99.jpg") is None


def test_quarantine_copies_bytes_and_metadata_with_a_reason_then_deletes(
    blob_service: BlobServiceClient, containers: Containers
) -> None:
    data = jpeg_bytes()
    etag = containers.upload(UPLOAD_NAME, data, {"cameraid": "C02"})
    store = store_for(blob_service, containers)

    store.quarantine(UPLOAD_NAME, data, {"cameraid": "C02"}, "corrupt_image", etag)

    assert containers.upload_names() == []
    copy = containers.quarantine.get_blob_client(UPLOAD_NAME)
    assert copy.download_blob().readall() == strip_metadata(data)  # the evidence without its APPn segments
    assert copy.get_blob_properties().metadata == {
        "cameraid": "C02", "reason": "corrupt_image", "uploadetag": etag,
        "uploadbytes": str(len(data)),
    }


def test_quarantine_keeps_the_evidence_without_exif_or_gps(
    blob_service: BlobServiceClient, containers: Containers
) -> None:
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 12.0)}
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 10, 10)).save(buf, format="JPEG", exif=exif.tobytes())  # too small
    etag = containers.upload(UPLOAD_NAME, buf.getvalue())

    store_for(blob_service, containers).quarantine(UPLOAD_NAME, buf.getvalue(), {}, "too_small", etag, "20x20")

    kept = containers.quarantine.get_blob_client(UPLOAD_NAME).download_blob().readall()
    assert b"CameraMaker" not in kept and b"Exif" not in kept
    assert Image.open(io.BytesIO(kept)).getpixel((10, 10))[0] > 150  # still the picture


def test_quarantine_never_overwrites_earlier_evidence_of_the_same_name(
    blob_service: BlobServiceClient, containers: Containers
) -> None:
    store = store_for(blob_service, containers)
    first = containers.upload(UPLOAD_NAME, b"first bad upload")
    assert store.quarantine(UPLOAD_NAME, b"first bad upload", {}, "unsupported_format", first) == UPLOAD_NAME
    second = containers.upload(UPLOAD_NAME, b"second bad upload")

    kept_as = store.quarantine(UPLOAD_NAME, b"second bad upload", {}, "unsupported_format", second)

    assert kept_as != UPLOAD_NAME and kept_as.startswith(UPLOAD_NAME + "~")
    assert sorted(containers.quarantine_names()) == sorted([UPLOAD_NAME, kept_as])
    read = containers.quarantine.get_blob_client
    assert read(UPLOAD_NAME).download_blob().readall() == b"first bad upload"[:64]
    assert read(kept_as).download_blob().readall() == b"second bad upload"[:64]


def test_quarantine_twice_is_harmless(blob_service: BlobServiceClient, containers: Containers) -> None:
    etag = containers.upload(UPLOAD_NAME, b"junk")
    store = store_for(blob_service, containers)
    store.quarantine(UPLOAD_NAME, b"junk", {}, "unsupported_format", etag)
    store.quarantine(UPLOAD_NAME, b"junk", {}, "unsupported_format", etag)  # a retried invocation
    assert containers.quarantine_names() == [UPLOAD_NAME]


def test_delete_spares_a_photo_replaced_since_it_was_read(
    blob_service: BlobServiceClient, containers: Containers
) -> None:
    old_etag = containers.upload(UPLOAD_NAME, b"first")
    containers.upload(UPLOAD_NAME, b"second")  # the camera re-uploaded under the same name
    store = store_for(blob_service, containers)
    assert store.delete(UPLOAD_NAME, old_etag) is False
    assert containers.uploads.get_blob_client(UPLOAD_NAME).download_blob().readall() == b"second"


def test_delete_with_the_current_etag_deletes(blob_service: BlobServiceClient, containers: Containers) -> None:
    etag = containers.upload(UPLOAD_NAME, b"x")
    store = store_for(blob_service, containers)
    assert store.delete(UPLOAD_NAME, etag) is True
    assert store.delete(UPLOAD_NAME, etag) is False  # already gone: fine
    assert containers.upload_names() == []


def test_mark_processed_tags_without_changing_the_etag(blob_service: BlobServiceClient, containers: Containers) -> None:
    etag = containers.upload(UPLOAD_NAME, b"x")
    store_for(blob_service, containers).mark_processed(UPLOAD_NAME)
    blob = containers.uploads.get_blob_client(UPLOAD_NAME)
    assert blob.get_blob_tags() == PROCESSED_TAG
    assert blob.get_blob_properties().etag == etag


def test_storage_that_is_down_is_transient(containers: Containers) -> None:
    down = BlobServiceClient.from_connection_string(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;", retry_total=0,
    )
    with pytest.raises(TransientError, match="blob storage"):
        UploadStorage(down).state(UPLOAD_NAME)
