"""No loss on outages: the face service goes down for a while during a busy stretch of uploads,
and every photo still becomes exactly one event once it is back; nothing is poisoned for good.

Real servers: Azurite, the face service (stopped and started again on the same port), the local
trigger host running ``analyze_upload`` and the ``redrive_uploads`` timer. Time is scaled so the
test is short: attempts are 0.2 s apart (in Azure 1+2+4+8 s, 15 s in all) and the outage lasts
15 s plus the service's restart, so it outlasts every photo's attempts as a 10-minute outage does
in Azure; the circuit opens after 3 failures, probes every second, the re-drive runs every
second for photos older than 2 s. ``OUTAGE_S`` and ``UPLOAD_S`` scale it up.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from e2e_support import dump, read_event_lines

from footfall.face_process import FaceServiceProcess
from footfall.host import open_host
from footfall.paths import REPO_ROOT
from footfall.simulate.scene import render
from functions.contracts import UploadPath

pytestmark = pytest.mark.e2e

OUTAGE_S = float(os.environ.get("FOOTFALL_TEST_OUTAGE_S", "15"))
UPLOAD_S = float(os.environ.get("FOOTFALL_TEST_UPLOAD_S", "30"))
PHOTOS_PER_S = 3.0
SCALED_HOST_JSON = {
    "version": "2.0",
    "functionTimeout": "00:02:00",
    "extensions": {"blobs": {"maxDegreeOfParallelism": 4, "poisonBlobThreshold": 5}},
    "retry": {"strategy": "fixedDelay", "maxRetryCount": 4, "delayInterval": "00:00:00.2"},
}


def test_a_face_service_outage_during_a_busy_stretch_loses_no_photo_and_the_backlog_drains(
    tmp_path: Path, function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path,
) -> None:
    from functions.ingest import get_processor, reset_processor

    face = FaceServiceProcess(env={"FOOTFALL_FACE_WORKERS": "1"}, log_path=tmp_path / "face.log").start()
    for key, value in {
        "FOOTFALL_FACE_ENDPOINT": face.url, "FOOTFALL_FACE_TIMEOUT_S": "2", "FOOTFALL_FACE_RETRY_TOTAL": "0",
        "FOOTFALL_CIRCUIT_FAILURES": "3", "FOOTFALL_CIRCUIT_OPEN_S": "1",
        "FOOTFALL_REDRIVE_AFTER_S": "2", "FOOTFALL_REDRIVE_SCHEDULE": "*/1 * * * * *",
    }.items():
        monkeypatch.setenv(key, value)
    reset_processor()
    host_json = tmp_path / "host.json"
    host_json.write_text(json.dumps(SCALED_HOST_JSON))
    service = BlobServiceClient.from_connection_string(function_env["AzureWebJobsStorage"])
    uploads = service.get_container_client("uploads")

    host = open_host(REPO_ROOT, receipts_path=tmp_path / "receipts.sqlite", poll_interval_s=0.1,
                     host_json=host_json)
    assert [(t.function.name, t.function.schedule) for t in host.timers] == [("redrive_uploads", "*/1 * * * * *")]
    stop = threading.Event()
    runner = threading.Thread(target=host.run, args=(stop,), name="host")
    runner.start()

    total = int(UPLOAD_S * PHOTOS_PER_S)
    names: list[str] = []
    started = time.monotonic()
    outage: dict[str, float] = {}
    try:
        for i in range(total):
            now = time.monotonic() - started
            if "down" not in outage and now >= 5:
                face.stop()
                outage["down"] = now
            if "down" in outage and "up" not in outage and now >= outage["down"] + OUTAGE_S:
                face.start()  # the same port; ready once its models are loaded
                outage["up"] = time.monotonic() - started
            captured = datetime.now(UTC) - timedelta(seconds=1)
            upload = UploadPath(store_id="S0001", camera_id="C01", captured_at=captured, seq=i, extension="jpg")
            uploads.upload_blob(upload.blob_name(), render(seed=i, background_seed=1, people=1, faces_visible=1),
                                metadata=upload.metadata())
            names.append(upload.blob_name())
            time.sleep(max(0.0, (i + 1) / PHOTOS_PER_S - (time.monotonic() - started)))
        if "up" not in outage:
            face.start()
            outage["up"] = time.monotonic() - started
        uploaded = time.monotonic() - started

        events_dir = Path(function_env["FOOTFALL_LOCAL_EVENT_LOG"])
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if not list(uploads.list_blobs()) and len({e.event_id for e in read_event_lines(events_dir)}) >= total:
                break
            time.sleep(0.5)
        drained = time.monotonic() - started
    finally:
        stop.set()
        runner.join()
        host.close()
        face.stop()

    events = read_event_lines(events_dir)
    distinct = {e.event_id for e in events}
    expected = {UploadPath.parse(n).event_id() for n in names}
    counters = get_processor().counters.snapshot()
    quarantine = service.get_container_client("quarantine")
    quarantined = [b.name for b in quarantine.list_blobs()] if quarantine.exists() else []
    figures = {
        "photos": total, "outage_s": round(outage["up"] - outage["down"], 1),
        "photos_uploaded_during_outage": sum(1 for i in range(total) if outage["down"] <= i / PHOTOS_PER_S
                                             < outage["up"]),
        "events": len(distinct), "lost": len(expected - distinct), "event_lines": len(events),
        "left_in_uploads": len(list(uploads.list_blobs())), "quarantined": len(quarantined),
        "deferred_by_open_circuit": counters.deferred, "attempts_exhausted": host.counters.poisoned,
        "drained_s_after_service_up": round(drained - outage["up"], 1), "uploading_s": round(uploaded, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }
    dump(artifacts_dir / "outage.json", figures)
    print("\n" + json.dumps(figures))
    assert distinct == expected, figures  # every photo became its event: nothing lost
    assert len(events) == total  # each exactly once
    assert figures["left_in_uploads"] == 0 and quarantined == []
    assert counters.deferred > 0  # the circuit opened: the outage did not burn every photo's attempts
