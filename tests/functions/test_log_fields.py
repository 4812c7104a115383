"""No blob name, path fragment or URL in any log record of any ingest outcome, nor in the errors the host logs.

Every outcome is produced for real (Azurite, the Face-API stub, the local event log): sent, duplicate,
skipped, deferred, retried (face service and storage down), quarantined for every reason, re-driven and
poisoned. The records of every logger are captured at DEBUG, after the app's own logging set-up
(:func:`functions.telemetry.quiet_sdk_loggers`), as the Python worker would forward them.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, get_args

import pytest
from azure.storage.blob import BlobServiceClient
from hostile_images import many_scan_progressive_jpeg
from ingest_helpers import Containers, FaceApiStub, StubReply, face_error, face_json, ingest_settings, jpeg_bytes

from functions.errors import QuarantineReason, TransientError
from functions.face_client import FaceAnalyzer
from functions.ingest import UploadProcessor
from functions.log_fields import storage_failure, upload_place
from functions.redrive import REDRIVES_KEY, Redriver
from functions.sinks import create_sink
from functions.telemetry import quiet_sdk_loggers
from functions.upload_storage import UploadStorage

PHOTO = jpeg_bytes((640, 480))
DAY = "2026/11/23"


def name(seq: int, store: str = "S0001", day: str = DAY) -> str:
    return f"{store}/C01/{day}/080000123-{seq}.jpg"


class Scene:
    """Processors on one set of containers; every name used is remembered, to be looked for in the logs."""

    def __init__(self, azurite: Any, blob_service: BlobServiceClient, containers: Containers, face: FaceApiStub,
                 tmp_path: Path) -> None:
        self.azurite, self.blob_service, self.containers, self.face, self.tmp_path = (
            azurite, blob_service, containers, face, tmp_path)
        self.names: list[str] = []
        self.errors: list[str] = []  # what the host would log of each exception raised to it

    def processor(self, **values: Any) -> UploadProcessor:
        settings = ingest_settings(self.azurite.connection_string, self.containers, self.face.url,
                                   self.tmp_path / "events", **{"FOOTFALL_KNOWN_STORES": "S0001", **values})
        return UploadProcessor(settings, UploadStorage.from_settings(settings, self.blob_service),
                               FaceAnalyzer(settings), create_sink(settings))

    def run(self, processor: UploadProcessor, blob: str, data: bytes = PHOTO, upload: bool = True,
            metadata: dict[str, str] | None = None) -> str:
        self.names.append(blob)
        etag = self.containers.upload(blob, data, metadata) if upload else None
        try:
            outcome = processor.process(f"{self.containers.uploads.container_name}/{blob}", data,
                                        None if etag is None else (metadata or {}), etag)
        except TransientError as exc:
            self.errors.append(str(exc))
            return "retry"
        return outcome.status if outcome.reason is None else f"{outcome.status}:{outcome.reason}"


@pytest.fixture()
def scene(azurite: Any, blob_service: BlobServiceClient, containers: Containers, face_stub: FaceApiStub,
          tmp_path: Path) -> Scene:
    quiet_sdk_loggers()
    return Scene(azurite, blob_service, containers, face_stub, tmp_path)


def _forbidden(scene: Scene) -> list[str]:
    fragments = {"devstoreaccount1", DAY, scene.containers.uploads.container_name,
                 scene.containers.quarantine.container_name, scene.containers.sent.container_name}
    for blob in scene.names:
        parts = blob.split("/")
        fragments |= {blob, "/".join(parts[1:]), "/".join(parts[1:5]), parts[-1], repr(blob)}
    return sorted(fragments)


def _assert_clean(texts: list[str], scene: Scene) -> None:
    assert texts, "nothing was logged: the test would prove nothing"
    for text in texts:
        assert not re.search(r"https?://|127\.0\.0\.1", text), text
        for fragment in _forbidden(scene):
            assert fragment not in text, f"{fragment!r} in {text!r}"


def test_no_log_record_of_any_ingest_outcome_names_a_blob_or_a_url(
    scene: Scene, face_stub: FaceApiStub, caplog: pytest.LogCaptureFixture,
) -> None:
    face_stub.default = StubReply(200, [face_json()])
    seen: dict[str, str] = {}
    with caplog.at_level(logging.DEBUG):
        ok = scene.processor()
        seen["sent"] = scene.run(ok, name(1))
        seen["duplicate"] = scene.run(ok, name(1))
        seen["skipped"] = scene.run(ok, name(2), upload=False)
        # quarantined, every reason but poison (below)
        seen["bad_path"] = scene.run(ok, "S0001/C01/2026/11/23/not-a-time.jpg")
        seen["unknown_store"] = scene.run(ok, name(3, store="S0777"))
        seen["implausible_time"] = scene.run(ok, name(4, day="2099/01/01"))
        seen["empty"] = scene.run(ok, name(5), b"")
        seen["too_large"] = scene.run(scene.processor(FOOTFALL_MAX_UPLOAD_BYTES=1000), name(6))
        seen["unsupported_format"] = scene.run(ok, name(7), b"GIF89a not a photo")
        seen["too_many_scans"] = scene.run(ok, name(8), many_scan_progressive_jpeg(40, 8, 8))
        seen["too_many_pixels"] = scene.run(scene.processor(FOOTFALL_MAX_PIXELS=10_000), name(9))
        seen["too_small"] = scene.run(ok, name(10), jpeg_bytes((20, 20)))
        seen["corrupt_image"] = scene.run(ok, name(11), PHOTO[:2000])
        face_stub.replies.append(StubReply(400, face_error("InvalidImage", "Decoding error.")))
        seen["face_rejected"] = scene.run(ok, name(12))
        # the face service down: a retry, then its circuit opens and photos are deferred
        face_stub.default = StubReply(503, face_error("ServiceUnavailable", "down"))
        fragile = scene.processor(FOOTFALL_CIRCUIT_FAILURES=1, FOOTFALL_CIRCUIT_OPEN_S=600)
        seen["retry (face service)"] = scene.run(fragile, name(13))
        seen["deferred"] = scene.run(fragile, name(14))
        # storage unreachable: a retry whose SDK error quotes the blob's URL
        down = BlobServiceClient("http://127.0.0.1:9/devstoreaccount1", retry_total=0, connection_timeout=2)
        settings = ingest_settings(scene.azurite.connection_string, scene.containers, scene.face.url,
                                   scene.tmp_path / "events")
        unreachable = UploadProcessor(settings, UploadStorage.from_settings(settings, down), FaceAnalyzer(settings),
                                      create_sink(settings))
        seen["retry (storage)"] = scene.run(unreachable, name(15), upload=False)
        # the re-drive: photos written again, one poisoned; then storage down during a re-drive
        face_stub.default = StubReply(200, [face_json()])
        drive = scene.processor(FOOTFALL_REDRIVE_AFTER_S=0, FOOTFALL_REDRIVE_MAX=1)
        redriver = Redriver(drive.settings, drive.storage, drive.face, drive.sink)
        for blob, meta in ((name(16), {}), (name(17), {REDRIVES_KEY: "1"})):
            scene.names.append(blob)
            scene.containers.upload(blob, PHOTO, meta)
        report = redriver.run()
        seen["re-drive"] = f"redriven={report.redriven} poisoned={report.poisoned}"
        broken = Redriver(unreachable.settings, unreachable.storage, drive.face, drive.sink)
        with pytest.raises(TransientError) as failed:
            broken.run()
        scene.errors.append(str(failed.value))

    assert seen == {
        "sent": "sent", "duplicate": "skipped:already_sent", "skipped": "skipped:already_processed",
        **{reason: f"quarantined:{reason}" for reason in get_args(QuarantineReason) if reason != "poison"},
        "retry (face service)": "retry", "deferred": "deferred:circuit_open", "retry (storage)": "retry",
        "re-drive": "redriven=3 poisoned=1",  # 16, and 13 and 14 left by the outage
    }
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    records = [formatter.format(r) for r in caplog.records]
    assert any("QUARANTINED store=S0001 camera=C01 reason=poison" in r for r in records)
    assert any("QUARANTINED store=? camera=? reason=bad_path" in r for r in records)
    assert any("ingest retry store=S0001 camera=C01: blob storage unavailable" in r for r in records)
    _assert_clean(records, scene)
    _assert_clean(scene.errors, scene)  # the Functions host logs the exception the function raises


def test_a_place_is_store_and_camera_or_nothing_and_a_storage_failure_has_no_url() -> None:
    from azure.core.exceptions import HttpResponseError, ServiceRequestError

    assert upload_place("uploads/S0001/C07/2026/11/23/080000123-7.jpg") == "store=S0001 camera=C07"
    assert upload_place("../../etc/passwd\n") == "store=? camera=?"
    refused = ServiceRequestError("HTTPConnectionPool(host='x', port=1): Max retries exceeded with url: "
                                  "/devstoreaccount1/uploads/S0001/C01/2026/11/23/080000123-7.jpg")
    assert storage_failure("delete", refused) == "delete: ServiceRequestError"
    answered = HttpResponseError(message="The specified blob https://a.blob.core.windows.net/uploads/x.jpg ...")
    answered.status_code, answered.error_code = 503, "ServerBusy"
    assert storage_failure("get properties", answered) == "get properties: HttpResponseError (HTTP 503 ServerBusy)"


def test_the_sdks_request_urls_are_kept_out_of_the_logs() -> None:
    quiet_sdk_loggers()
    assert not logging.getLogger("azure.core.pipeline.policies.http_logging_policy").isEnabledFor(logging.INFO)
    assert not logging.getLogger("urllib3.connectionpool").isEnabledFor(logging.WARNING)
