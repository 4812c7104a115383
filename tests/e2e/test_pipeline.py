"""End to end: simulated cameras -> Azurite -> trigger host -> analyze_upload (real face service)
-> local event log -> Stream Analytics job on the local engine -> report database -> reports API."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from azure.storage.blob import BlobServiceClient
from e2e_support import STORES_CSV, dump, expected_faces, photo_key, read_event_lines

from footfall.asa import run_job
from footfall.host import open_host
from footfall.paths import REPO_ROOT
from footfall.reports.server import serve_dashboard
from footfall.simulate import BlobTarget, SimConfig, simulate

pytestmark = pytest.mark.e2e

DAY = date(2026, 11, 23)


def _quarter_end(ts: datetime) -> datetime:
    """The end of the 15-minute window (end-inclusive) that holds ``ts``."""
    floor = ts.replace(minute=ts.minute - ts.minute % 15, second=0, microsecond=0)
    return floor if floor == ts else floor + timedelta(minutes=15)


def test_photos_become_events_then_window_aggregates_then_reports(
    tmp_path: Path, function_env: dict[str, str], artifacts_dir: Path
) -> None:
    conn = function_env["AzureWebJobsStorage"]
    manifest = simulate(SimConfig(photos=24, stores=4, broken=3, day=DAY, seed=21), BlobTarget(conn), STORES_CSV)

    host = open_host(REPO_ROOT, receipts_path=tmp_path / "receipts.sqlite", poll_interval_s=0.1)
    try:
        counters = host.run(until_idle=True)
    finally:
        host.close()

    # The host: every photo processed once; the broken uploads quarantined by the function.
    assert (counters.seen, counters.succeeded, counters.quarantined) == (27, 24, 3)
    assert (counters.poisoned, counters.pending) == (0, 0)
    service = BlobServiceClient.from_connection_string(conn)
    assert list(service.get_container_client("uploads").list_blobs()) == []
    quarantined = service.get_container_client("quarantine").list_blobs(include=["metadata"])
    quarantine = {b.name: b.metadata for b in quarantined}
    assert set(quarantine) == {u.blob_name for u in manifest.broken}
    by_kind = {u.kind: quarantine[u.blob_name]["reason"] for u in manifest.broken}
    assert by_kind["bad_path"] == "bad_path" and by_kind["unknown_store"] == "unknown_store"
    assert by_kind["corrupt"] not in {"", "poison"}

    # The events: one per photo, with the faces the photo shows facing the camera.
    events = read_event_lines(Path(function_env["FOOTFALL_LOCAL_EVENT_LOG"]))
    assert len(events) == len({e.event_id for e in events}) == 24
    detected = {photo_key(e.store_id, e.camera_id, e.captured_at): e.face_count for e in events}
    assert detected == expected_faces(manifest)
    raw = "".join(p.read_text() for p in Path(function_env["FOOTFALL_LOCAL_EVENT_LOG"]).glob("frames-*.jsonl"))
    assert not any(u.blob_name in raw for u in manifest.uploads)  # no blob name leaks into events

    # The Stream Analytics job: windows into the report database.
    database_path = tmp_path / "reports.duckdb"
    written = run_job(REPO_ROOT / "stream_analytics", output_dir=tmp_path / "asa", report_database=database_path)
    assert written["store_windows"] > 0
    # Each store window holds exactly the photos, visit faces and sightings captured in it,
    # counted plainly from the events: windows are (end - 15 min, end], by capture time, whatever
    # order the host happened to process the photos in.
    plain: dict[tuple[str, datetime], list[int]] = {}
    for e in events:
        end = _quarter_end(e.captured_at)
        counts = plain.setdefault((e.store_id, end), [0, 0, 0])
        counts[0] += 1
        counts[1 if e.kind == "visit" else 2] += e.face_count
    rows = [json.loads(line) for line in (tmp_path / "asa" / "store_windows.jsonl").read_text().splitlines()]
    windows = {(r["store_id"], datetime.fromisoformat(r["window_end"].replace("Z", "+00:00"))):
               [r["photos"], r["visit_faces"], r["sightings"]] for r in rows}
    assert windows == plain

    # The reports API over that store: totals match the events, per store and for the fleet. No
    # camera counted anyone at a door here, so there are no visitors, however many faces.
    faces_by_store: dict[str, int] = {}
    for e in events:
        faces_by_store[e.store_id] = faces_by_store.get(e.store_id, 0) + e.face_count
    server = serve_dashboard(database_path, "127.0.0.1", 0)
    try:
        fleet = httpx.get(f"{server.url}/api/report", timeout=10).json()
        assert fleet["visit_faces"] + fleet["sightings"] == sum(faces_by_store.values())
        assert (fleet["photos"], fleet["visitors"]) == (24, 0)
        for store_id, faces in faces_by_store.items():
            report = httpx.get(f"{server.url}/api/report", params={"store_id": store_id}, timeout=10).json()
            assert report["visit_faces"] + report["sightings"] == faces, store_id
        filters = httpx.get(f"{server.url}/api/filters", timeout=10).json()
        assert {r["region"] for r in filters["regions"]} >= {
            s.region for s in manifest.stores}
    finally:
        server.stop()
    dump(artifacts_dir / "e2e-fleet-report.json", fleet)


def test_a_photo_whose_attempts_run_out_while_the_face_service_is_down_stays_in_uploads_for_the_re_drive(
    tmp_path: Path, function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from footfall.azurite import free_port
    from functions.ingest import reset_processor

    monkeypatch.setenv("FOOTFALL_FACE_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nothing listens
    monkeypatch.setenv("FOOTFALL_CIRCUIT_FAILURES", "10")  # the circuit stays closed: every attempt fails
    reset_processor()
    host_json = tmp_path / "host.json"
    host_json.write_text('{"version": "2.0", "retry": {"strategy": "fixedDelay", "maxRetryCount": 2, '
                         '"delayInterval": "00:00:00.2"}}')
    conn = function_env["AzureWebJobsStorage"]
    manifest = simulate(SimConfig(photos=1, stores=1, broken=0, day=DAY, seed=4), BlobTarget(conn), STORES_CSV)
    (photo,) = manifest.photos

    host = open_host(REPO_ROOT, receipts_path=tmp_path / "receipts.sqlite", poll_interval_s=0.1, host_json=host_json)
    try:
        counters = host.run(until_idle=True)
    finally:
        host.close()

    assert (counters.retried, counters.poisoned, counters.succeeded) == (2, 1, 0)
    service = BlobServiceClient.from_connection_string(conn)
    # As in Azure, the poisoned blob stays where it is (not lost): the re-drive writes it again later.
    (left,) = service.get_container_client("uploads").list_blobs(include=["metadata"])
    assert (left.name, left.metadata["capturedat"]) == (photo.blob_name, photo.metadata["capturedat"])
    quarantine = service.get_container_client("quarantine")
    assert not quarantine.exists() or list(quarantine.list_blobs()) == []
    assert read_event_lines(Path(function_env["FOOTFALL_LOCAL_EVENT_LOG"])) == []
