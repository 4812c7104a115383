"""Deferral while a circuit is open, and the re-drive that brings photos back once the dependency
answers: Azurite, a Face API over HTTP on loopback, the local event log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient
from ingest_helpers import UPLOAD_NAME, Containers, FaceApiStub, StubReply, face_json, ingest_settings, jpeg_bytes

from functions.errors import TransientError
from functions.face_client import FaceAnalyzer
from functions.ingest import UploadProcessor
from functions.redrive import REDRIVES_KEY, Redriver
from functions.sinks import create_sink
from functions.sinks.local_log import read_events
from functions.upload_storage import UploadStorage

PHOTO = jpeg_bytes((640, 480))


@pytest.fixture()
def stack(azurite: Any, blob_service: BlobServiceClient, containers: Containers, face_stub: FaceApiStub,
          tmp_path: Path):
    def build(**values: Any) -> tuple[UploadProcessor, Redriver]:
        values = {"FOOTFALL_CIRCUIT_FAILURES": 2, "FOOTFALL_CIRCUIT_OPEN_S": 60, "FOOTFALL_REDRIVE_AFTER_S": 0,
                  **values}
        settings = ingest_settings(azurite.connection_string, containers, face_stub.url, tmp_path / "events",
                                   **values)
        processor = UploadProcessor(settings, UploadStorage.from_settings(settings, blob_service),
                                    FaceAnalyzer(settings), create_sink(settings))
        return processor, Redriver(settings, processor.storage, processor.face, processor.sink)
    return build


def _name(i: int) -> str:
    return UPLOAD_NAME.replace("-7.jpg", f"-{i}.jpg")


def test_once_the_circuit_opens_photos_are_deferred_in_uploads_without_spending_attempts(
    stack: Any, containers: Containers, face_stub: FaceApiStub,
) -> None:
    processor, _ = stack()
    face_stub.default = StubReply(503, {"error": {"code": "ServiceUnavailable", "message": "down"}})
    etags = {_name(i): containers.upload(_name(i), PHOTO) for i in range(5)}

    outcomes = []
    for name, etag in etags.items():
        try:
            outcomes.append(processor.process(name, PHOTO, {}, etag).status)
        except TransientError:
            outcomes.append("retry")

    assert outcomes == ["retry", "retry", "deferred", "deferred", "deferred"]
    assert len(face_stub.detects) == 2  # the open circuit spares the service
    assert sorted(containers.upload_names()) == sorted(etags)
    assert processor.counters.snapshot().deferred == 3


def test_the_re_drive_waits_out_an_outage_then_writes_every_left_photo_again(
    stack: Any, containers: Containers, face_stub: FaceApiStub, tmp_path: Path,
) -> None:
    processor, redriver = stack()
    face_stub.status_reply = StubReply(503, {"error": {"code": "ServiceUnavailable", "message": "down"}})
    names = [_name(i) for i in range(3)]
    etags = {n: containers.upload(n, PHOTO, {"cameraid": "C01"}) for n in names}

    report = redriver.run()
    assert not report.healthy and "face service" in report.unhealthy and report.redriven == 0
    assert {b.name: b.etag.strip('"') for b in containers.uploads.list_blobs()} == {
        n: e.strip('"') for n, e in etags.items()}  # untouched, nothing spent

    face_stub.status_reply = StubReply(200, {"status": "ready", "analyzer": "face-service/9.9-stub"})
    face_stub.default = StubReply(200, [face_json()])
    report = redriver.run()
    assert report.healthy and report.redriven == 3

    for blob in containers.uploads.list_blobs(include=["metadata"]):
        assert blob.etag.strip('"') != etags[blob.name].strip('"')  # a new version: the trigger fires again
        assert blob.metadata == {"cameraid": "C01", REDRIVES_KEY: "1"}
        assert containers.uploads.get_blob_client(blob.name).download_blob().readall() == PHOTO
        assert processor.process(blob.name, PHOTO, blob.metadata, blob.etag).status == "sent"
    assert containers.upload_names() == []
    assert len(list(read_events(tmp_path / "events"))) == 3


def test_a_photo_that_fails_every_re_drive_while_all_is_healthy_ends_in_quarantine_as_poison(
    stack: Any, containers: Containers,
) -> None:
    _, redriver = stack(FOOTFALL_REDRIVE_MAX=2)
    containers.upload(UPLOAD_NAME, PHOTO, {REDRIVES_KEY: "2"})

    report = redriver.run()

    assert (report.redriven, report.poisoned) == (0, 1)
    assert containers.upload_names() == []
    meta = containers.quarantine.get_blob_client(UPLOAD_NAME).get_blob_properties().metadata
    assert meta["reason"] == "poison" and "2 re-drives" in meta["detail"]


def test_young_photos_and_photos_kept_as_processed_are_left_alone(
    stack: Any, containers: Containers,
) -> None:
    from functions.upload_storage import PROCESSED_TAG

    _, redriver = stack(FOOTFALL_REDRIVE_AFTER_S=3600)
    young = containers.upload(UPLOAD_NAME, PHOTO)
    report = redriver.run()
    assert (report.redriven, report.waiting) == (0, 1)

    _, redriver = stack()
    containers.uploads.get_blob_client(UPLOAD_NAME).set_blob_tags(PROCESSED_TAG)
    assert redriver.run().redriven == 0
    assert next(iter(containers.uploads.list_blobs())).etag.strip('"') == young.strip('"')


def test_quarantined_evidence_older_than_the_retention_is_deleted(stack: Any, containers: Containers) -> None:
    from azure.core.exceptions import ResourceExistsError

    _, redriver = stack(FOOTFALL_QUARANTINE_RETENTION_DAYS=7)
    try:
        containers.quarantine.create_container()
    except ResourceExistsError:
        pass
    containers.quarantine.upload_blob("S0001/old.jpg", b"evidence")

    assert redriver.run(now=datetime.now(UTC) + timedelta(days=6)).purged_quarantine == 0
    assert redriver.run(now=datetime.now(UTC) + timedelta(days=7, minutes=1)).purged_quarantine == 1
    assert containers.quarantine_names() == []


def test_retention_longer_than_seven_days_is_refused() -> None:
    from pydantic import ValidationError

    from functions.settings import Settings

    with pytest.raises(ValidationError):
        Settings(FOOTFALL_QUARANTINE_RETENTION_DAYS=14)
