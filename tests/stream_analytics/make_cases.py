"""The Stream Analytics test cases: inputs written by hand here, expected outputs from the
independent reference model (asa_reference_model.py), never from the engine.

Run ``.venv/bin/python tests/stream_analytics/make_cases.py`` to (re)write
stream_analytics/test/{testConfig.json,cases/} and stream_analytics/test/drop/.
test_asa_cases.py checks that the files on disk are exactly what this script writes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from asa_reference_model import DWELL, expected_outputs, iso, load_csv, parse

PROJECT = Path(__file__).resolve().parents[2] / "stream_analytics"
TEST_DIR = PROJECT / "test"
DAY = "2026-11-23"

_BAND_UPPER = [(18, "0-17"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64")]


def face(age: int | None = None, gender: str | None = None, emotion: str | None = None) -> dict:
    """One anonymized face record as the ingest function writes it (the band travels, not the age)."""
    band = None if age is None else next((b for upper, b in _BAND_UPPER if age < upper), "65+")
    return {"age": None, "age_band": band, "gender": gender, "emotion": emotion,
            "emotion_score": None if emotion is None else 0.9}


def _time(text: str) -> datetime:
    return parse(f"{DAY}T{text}Z" if "T" not in text else text)


def _stamp(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def photo(store: str, captured: str, faces: list[dict] | None = None, arrived: str | None = None,
          kind: str = "visit", camera: str = "C01") -> dict:
    """A FrameEvent v2 plus the Event Hubs enqueue time (1 s after capture unless given).

    A visit crop holds at most one face; a whole frame (``kind="frame"``) any number.
    """
    faces = faces or []
    assert kind == "frame" or len(faces) <= 1, "a visit crop describes one face"
    cap = _time(captured)
    arr = _time(arrived) if arrived else cap + timedelta(seconds=1)
    eid = hashlib.sha256(f"{store}|{camera}|{captured}|{len(faces)}|{arrived}|{kind}".encode()).hexdigest()[:32]
    return {"schema": "footfall.frame.v2", "event_id": eid, "captured_at": iso(cap), "store_id": store,
            "camera_id": camera, "kind": kind, "face_count": len(faces), "faces": faces,
            "analyzer": "face-service/1.0", "processed_at": _stamp(arr - timedelta(milliseconds=200)),
            "EventEnqueuedUtcTime": iso(arr)}


def visits(store: str, start: str, faces: list[dict], every_s: int = 20, camera: str = "C01") -> list[dict]:
    """One visit crop per face, ``every_s`` seconds apart from ``start``."""
    t0 = _time(start)
    return [photo(store, iso(t0 + timedelta(seconds=i * every_s)), [f], camera=camera) for i, f in enumerate(faces)]


def minute(store: str, camera: str, start: str, lines: dict[str, tuple[int, int]] | None = None,
           zones: dict[str, tuple[float, int, list[float]]] | None = None, arrived: str | None = None) -> dict:
    """A CountEvent v1 for the minute starting ``start``: lines name -> (entries, exits), zones name ->
    (occupancy_mean, occupancy_max, dwells of the visits that ended in the minute, seconds)."""
    t0 = _time(start)
    bounds = [30, 60, 120, 300, 600, 1200]
    zone_list = []
    for name, (mean, peak, dwells) in (zones or {}).items():
        hist = dict.fromkeys((c.removeprefix("dwell_") for c in DWELL), 0)
        for d in dwells:
            hist[DWELL[next((i for i, b in enumerate(bounds) if d < b), len(bounds))].removeprefix("dwell_")] += 1
        zone_list.append({"zone": name, "occupancy_mean": mean, "occupancy_max": peak, "visits": len(dwells),
                          "dwell_s_sum": float(sum(dwells)), "dwell_histogram": hist})
    end = t0 + timedelta(minutes=1)
    arr = _time(arrived) if arrived else end + timedelta(seconds=2)
    eid = hashlib.sha256(f"{store}|{camera}|{start}|{arrived}".encode()).hexdigest()[:32]
    return {"schema": "footfall.count.v1", "event_id": eid, "store_id": store, "camera_id": camera,
            "window_start": _stamp(t0), "window_end": _stamp(end), "frames": 600,
            "lines": [{"line": n, "entries": e, "exits": x} for n, (e, x) in (lines or {}).items()],
            "zones": zone_list, "EventEnqueuedUtcTime": iso(arr)}


def redelivered(event: dict, after_s: int) -> dict:
    """The same event delivered again ``after_s`` seconds after its first delivery (at-least-once)."""
    return {**event, "EventEnqueuedUtcTime": iso(parse(event["EventEnqueuedUtcTime"]) + timedelta(seconds=after_s))}


F, M = "female", "male"
Case = tuple[str, list[dict], list[dict]]
"""A description, frames and counts."""

CASES: dict[str, Case] = {
    "window_edges": (
        "a photo exactly at 08:00:00.000 belongs to the window (07:45, 08:00]; 1 ms later to (08:00, 08:15]",
        [photo("S0007", "08:00:00.000", [face(30, F, "happiness")]),
         photo("S0007", "08:00:00.001", [face(41, M, "neutral")]),
         photo("S0007", "08:14:59.999", [face(22, F, "surprise")]),
         photo("S0007", "08:15:00.000", [face(67, M, "sadness")]),
         photo("S0007", "08:15:00.001", [face(15, F, "happiness")])],
        [],
    ),
    "empty_window": (
        "no row at all for a store window without events (08:15-08:30)",
        [photo("S0001", "08:05:00.000", [face(33, F, "happiness")]),
         photo("S0001", "08:40:00.000", [face(35, M, "neutral")])],
        [],
    ),
    "late_arrival": (
        "a photo 26 minutes late (tolerance 300 s): Adjust moves it to arrival - 300 s, Drop discards it",
        [photo("S0010", "08:10:00.000", [face(28, F, "happiness")]),
         photo("S0010", "08:20:00.000", [face(52, M, "neutral")], arrived="08:24:00.000"),
         photo("S0010", "08:05:00.000", [face(61, F, "happiness"), face(19, M, "anger")], arrived="08:31:00.000",
               kind="frame", camera="C02"),
         photo("S0010", "08:40:00.000", [face(44, M, "fear")])],
        [],
    ),
    "out_of_order": (
        "4 s out of order is reordered (tolerance 10 s); 62 s out of order is adjusted to latest - 10 s or dropped",
        [photo("S0013", "08:14:50.000", [face(27, F, "happiness")]),
         photo("S0013", "08:14:59.000", [face(31, M, "neutral")]),
         photo("S0013", "08:14:55.000", [face(38, F, "happiness")], arrived="08:15:01.000"),
         photo("S0013", "08:16:00.000", [face(24, M, "surprise")]),
         photo("S0013", "08:14:58.000", [face(47, F, "sadness"), face(8, None, None)], arrived="08:16:02.000",
               kind="frame", camera="C02")],
        [],
    ),
    "k_anonymity": (
        "4 visit faces: totals only, demographics null; 5 visit faces: everything shown",
        visits("S0017", "09:01:00.000", [face(25, F, "happiness"), face(26, M, "neutral"),
                                         face(70, F, "happiness"), face(33, M, "anger")])
        + visits("S0018", "09:03:00.000", [face(25, F, "happiness"), face(26, M, "neutral"), face(44, F, "fear"),
                                           face(52, M, "happiness"), face(60, F, "contempt")]),
        [],
    ),
    "sightings_are_not_visits": (
        "faces in whole frames are sightings: they never reach a breakdown or k, however many",
        [photo("S0004", "09:05:00.000", [face(19, F, "disgust"), face(20, F, "happiness"), face(21, M, "neutral"),
                                         face(22, M, "surprise"), face(23, F, "fear"), face(24, M, "anger")],
               kind="frame", camera="C02"),
         photo("S0004", "09:06:00.000", [face(19, F, "disgust")] * 4, kind="frame", camera="C02"),
         *visits("S0004", "09:07:00.000", [face(35, M, "neutral"), face(36, F, "happiness")])],
        [],
    ),
    "zero_faces": (
        "photos without faces count as photos (OUTER APPLY), never as faces",
        [photo("S0008", "10:01:00.000"), photo("S0008", "10:02:00.000"), photo("S0008", "10:03:00.000"),
         photo("S0008", "10:04:00.000", [face(36, F, "happiness"), face(37, M, "neutral")], kind="frame",
               camera="C02"),
         photo("S0009", "10:05:00.000"), photo("S0009", "10:06:00.000", kind="frame", camera="C02")],
        [],
    ),
    "missing_store": (
        "a store missing from reference data keeps its rows, with nulls for name, city, country, region, time zone",
        visits("S9999", "11:01:00.000", [face(20, F, "happiness"), face(30, M, "happiness"), face(40, F, "neutral"),
                                         face(50, M, "sadness"), face(60, F, "happiness"), face(None, None, None)])
        + [photo("S0005", "11:03:00.000", [face(29, M, "neutral")])],
        [],
    ),
    "time_zones": (
        "09:00 local in New York, London, Kolkata (+05:30), Kathmandu (+05:45) and Tokyo: windows are UTC-aligned",
        [photo("S0001", f"{DAY}T14:00:00.000Z", [face(30, F, "happiness")]),
         photo("S0007", f"{DAY}T09:00:00.000Z", [face(31, M, "neutral")]),
         photo("S0013", f"{DAY}T03:30:00.000Z", [face(32, F, "happiness")]),
         photo("S0016", f"{DAY}T03:15:00.000Z", [face(33, M, "surprise")]),
         photo("S0017", f"{DAY}T00:00:00.000Z", [face(34, F, "neutral")])],
        [minute("S0017", "C01", "2026-11-22T23:59:00.000Z", {"door": (3, 0)})],
    ),
    "demographics": (
        "visit faces per gender, age band and emotion, unknowns counted; each category adds up to visit_faces",
        visits("S0012", "12:01:00.000", [face(12, F, "happiness"), face(19, M, "neutral"), face(29, F, "happiness"),
                                         face(39, M, "anger"), face(None, F, "happiness"), face(70, None, None),
                                         face(58, M, "fear"), face(47, F, "contempt")])
        + visits("S0012", "12:20:00.000", [face(33, F, "happiness")] * 5 + [face(34, M, "disgust")]),
        [],
    ),
    "visitors_at_the_door": (
        "visitors are entries over entrance cameras' lines (cameras.csv); a zone camera's line and an unknown "
        "camera count nothing; a minute ending on 09:15 belongs to the window ending 09:15",
        [],
        [minute("S0002", "C01", "09:00:00.000", {"door": (4, 1), "side-door": (1, 0)}),
         minute("S0002", "C01", "09:14:00.000", {"door": (2, 3)}),
         minute("S0002", "C01", "09:15:00.000", {"door": (5, 5)}),
         minute("S0002", "C02", "09:05:00.000", {"aisle": (9, 9)}),
         minute("S0002", "C77", "09:06:00.000", {"door": (6, 0)})],
    ),
    "visits_and_door_counts_share_a_window": (
        "one store window holds both the photos of its visits and the entries at its door, however late "
        "either arrives within the tolerance",
        visits("S0003", "10:02:00.000", [face(25, F, "happiness"), face(35, M, "neutral"), face(45, F, "neutral"),
                                         face(55, M, "happiness"), face(65, F, "surprise")]),
        [minute("S0003", "C01", "10:01:00.000", {"door": (3, 0)}),
         minute("S0003", "C01", "10:02:00.000", {"door": (2, 1)}, arrived="10:06:00.000"),
         minute("S0003", "C01", "10:20:00.000", {"door": (0, 4)})],
    ),
    "zones": (
        "zone windows: visits and dwell summed, the dwell histogram by bucket, occupancy averaged over the "
        "minutes reported and its maximum; an entrance camera's zone counts too",
        [],
        [minute("S0019", "C02", "10:00:00.000", zones={"womenswear": (1.5, 3, [20.0, 75.0]),
                                                       "menswear": (0.0, 0, [])}),
         minute("S0019", "C02", "10:01:00.000", zones={"womenswear": (2.5, 4, [400.0]), "menswear": (1.0, 1, [])}),
         minute("S0019", "C03", "10:16:00.000", zones={"tills": (0.5, 1, [1300.0])}),
         minute("S0019", "C01", "10:16:00.000", {"door": (1, 1)}, zones={"lobby": (0.25, 1, [15.0])})],
    ),
    "redelivered_events": (
        "at-least-once delivery: each photo and minute count delivered again (same event_id, 30 s later) is "
        "counted once, so 5 visit faces stay 5 (published) and 3 entries stay 3",
        [e for p in visits("S0006", "13:01:00.000", [face(25, F, "happiness"), face(35, M, "neutral"),
                                                     face(45, F, "neutral"), face(55, M, "happiness"),
                                                     face(65, F, "surprise")])
         for e in (p, redelivered(p, 30))],
        [e for m in (minute("S0006", "C01", "13:02:00.000", {"door": (3, 1)}),) for e in (m, redelivered(m, 30))],
    ),
}

DROP_CASES = ["late_arrival", "out_of_order"]


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)


def render() -> dict[Path, str]:
    """Every file this script writes, path -> content."""
    stores = load_csv(PROJECT / "stores.csv")
    cameras = load_csv(PROJECT / "cameras.csv")
    files: dict[Path, str] = {}

    def config(cases: list[str], policy: str, prefix: str) -> str:
        up = "../" if prefix else ""
        test_cases = []
        for name in cases:
            description, frames, counts = CASES[name]
            outputs = expected_outputs(frames, counts, stores, cameras, late_s=300, ooo_s=10, policy=policy)
            for alias, rows in outputs.items():
                files[TEST_DIR / prefix / "cases" / name / f"{alias}.json"] = _jsonl(rows)
            test_cases.append({
                "Name": f"{name} ({policy}): {description}",
                "Inputs": [
                    {"InputAlias": "frames", "Type": "Data Stream", "Format": "Json",
                     "FilePath": f"{up}cases/{name}/frames.json", "ScriptType": "InputMock"},
                    {"InputAlias": "counts", "Type": "Data Stream", "Format": "Json",
                     "FilePath": f"{up}cases/{name}/counts.json", "ScriptType": "InputMock"},
                    {"InputAlias": "stores", "Type": "Reference Data", "Format": "Csv",
                     "FilePath": f"{up}../stores.csv", "ScriptType": "InputMock"},
                    {"InputAlias": "cameras", "Type": "Reference Data", "Format": "Csv",
                     "FilePath": f"{up}../cameras.csv", "ScriptType": "InputMock"},
                ],
                "ExpectedOutputs": [
                    {"OutputAlias": alias, "FilePath": f"cases/{name}/{alias}.json", "IgnoreFields": [],
                     "Required": True}
                    for alias in outputs
                ],
            })
        script = "../footfall.asaql" if not prefix else "../../footfall.asaql"
        return json.dumps({"Script": script, "TestCases": test_cases}, indent=2) + "\n"

    for name, (_, frames, counts) in CASES.items():
        files[TEST_DIR / "cases" / name / "frames.json"] = _jsonl(frames)
        files[TEST_DIR / "cases" / name / "counts.json"] = _jsonl(counts)
    files[TEST_DIR / "testConfig.json"] = config(list(CASES), "Adjust", "")
    files[TEST_DIR / "drop" / "testConfig.json"] = config(DROP_CASES, "Drop", "drop")
    job = json.loads((PROJECT / "JobConfig.json").read_text())
    job["EventsOutOfOrderPolicy"] = "Drop"
    files[TEST_DIR / "drop" / "JobConfig.json"] = json.dumps(job, indent=2) + "\n"
    return files


def main() -> None:
    shutil.rmtree(TEST_DIR / "cases", ignore_errors=True)
    shutil.rmtree(TEST_DIR / "drop" / "cases", ignore_errors=True)
    for path, content in render().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        print(path.relative_to(PROJECT))


if __name__ == "__main__":
    main()
