"""Killing the trigger host mid-run (SIGKILL) and restarting it loses no photo and duplicates no event."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from e2e_support import STORES_CSV, expected_faces, photo_key, read_event_lines

from footfall.host import ReceiptDatabase
from footfall.paths import REPO_ROOT
from footfall.simulate import BlobTarget, SimConfig, simulate

pytestmark = pytest.mark.e2e


def _start_host(receipts: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "footfall.cli", "host", "--until-idle", "--workers", "2",
         "--poll-interval", "0.1", "--receipts", str(receipts)],
        cwd=REPO_ROOT, env=dict(os.environ), stdout=open(log, "ab"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_a_killed_and_restarted_host_loses_no_photo_and_duplicates_no_event(
    tmp_path: Path, function_env: dict[str, str]
) -> None:
    conn = function_env["AzureWebJobsStorage"]
    events_dir = Path(function_env["FOOTFALL_LOCAL_EVENT_LOG"])
    manifest = simulate(SimConfig(photos=30, stores=3, broken=2, day=date(2026, 11, 23), seed=5),
                        BlobTarget(conn), STORES_CSV)
    receipts, log = tmp_path / "receipts.sqlite", tmp_path / "host.log"
    uploads = BlobServiceClient.from_connection_string(conn).get_container_client("uploads")

    first = _start_host(receipts, log)
    try:
        deadline = time.monotonic() + 120
        while len(read_event_lines(events_dir)) < 8:
            assert first.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "the host made no progress"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait()
    left_behind = len(list(uploads.list_blobs()))
    assert left_behind > 0, "the kill came too late to test anything"

    second = _start_host(receipts, log)
    assert second.wait(timeout=150) == 0, log.read_text()[-2000:]

    assert list(uploads.list_blobs()) == []
    events = read_event_lines(events_dir)
    assert len(events) == len({e.event_id for e in events}) == len(manifest.photos)  # none lost, none twice
    assert {photo_key(e.store_id, e.camera_id, e.captured_at): e.face_count for e in events} == expected_faces(manifest)
    quarantine = BlobServiceClient.from_connection_string(conn).get_container_client("quarantine")
    assert {b.name for b in quarantine.list_blobs()} == {u.blob_name for u in manifest.broken}
    store = ReceiptDatabase(receipts)
    try:
        statuses = {r.blob_name: r.status.value for r in store.all()}
    finally:
        store.close()
    # Every receipt is closed. A photo whose function call finished just before the kill, with no
    # time left to write its receipt, is found gone at the restart (and its event exists once).
    assert set(statuses) == {u.blob_name for u in manifest.uploads}
    for upload in manifest.uploads:
        allowed = {"succeeded", "gone"} if upload.kind == "photo" else {"quarantined", "gone"}
        assert statuses[upload.blob_name] in allowed, upload.blob_name
    assert sum(s == "gone" for s in statuses.values()) <= 2  # at most the two in flight at the kill
