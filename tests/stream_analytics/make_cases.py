"""The Stream Analytics test cases: inputs written by hand here, expected outputs from the
independent reference model (asa_reference_model.py), never from the engine.

Run ``.venv/bin/python tests/stream_analytics/make_cases.py`` to (re)write
stream_analytics/test/{testConfig.json,cases/} and stream_analytics/test/drop/.
test_asa_cases.py checks that the files on disk are exactly what this script writes.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from asa_reference_model import expected_cosmos, iso, load_stores, parse, powerbi_rows  # noqa: E402

PROJECT = Path(__file__).resolve().parents[2] / "stream_analytics"
TEST_DIR = PROJECT / "test"
DAY = "2026-11-23"

_BAND_UPPER = [(18, "0-17"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64")]


def face(age: int | None = None, gender: str | None = None, emotion: str | None = None) -> dict:
    """One anonymized face record as the ingest function writes it."""
    band = None if age is None else next((b for upper, b in _BAND_UPPER if age < upper), "65+")
    return {"age": age, "age_band": band, "gender": gender, "emotion": emotion,
            "emotion_score": None if emotion is None else 0.9}


def frame(store: str, captured: str, faces: list[dict] | None = None, arrived: str | None = None) -> dict:
    """A FrameEvent v1 plus the Event Hubs enqueue time (1 s after capture unless given)."""
    faces = faces or []
    cap = parse(f"{DAY}T{captured}Z" if "T" not in captured else captured)
    arr = parse(f"{DAY}T{arrived}Z" if arrived and "T" not in arrived else arrived) if arrived else cap + timedelta(seconds=1)
    eid = hashlib.sha256(f"{store}|{iso(cap)}|{len(faces)}|{arrived}".encode()).hexdigest()[:32]
    return {"schema": "footfall.frame.v1", "event_id": eid, "captured_at": iso(cap), "store_id": store,
            "camera_id": "C01", "face_count": len(faces), "faces": faces, "analyzer": "face-service/1.0",
            "processed_at": iso(arr - timedelta(milliseconds=200)), "EventEnqueuedUtcTime": iso(arr)}


F, M = "female", "male"

CASES: dict[str, tuple[str, list[dict]]] = {
    "window_edges": (
        "an event exactly on 08:00:00.000 belongs to the window (07:45, 08:00]; 1 ms later to (08:00, 08:15]",
        [frame("S0007", "08:00:00.000", [face(30, F, "happiness")]),
         frame("S0007", "08:00:00.001", [face(41, M, "neutral")]),
         frame("S0007", "08:14:59.999", [face(22, F, "surprise")]),
         frame("S0007", "08:15:00.000", [face(67, M, "sadness")]),
         frame("S0007", "08:15:00.001", [face(15, F, "happiness")])],
    ),
    "empty_window": (
        "no row at all for a store window without events (08:15-08:30)",
        [frame("S0001", "08:05:00.000", [face(33, F, "happiness")]),
         frame("S0001", "08:40:00.000", [face(35, M, "neutral")])],
    ),
    "late_arrival": (
        "an event 26 minutes late (tolerance 300 s): Adjust moves it to arrival - 300 s, Drop discards it",
        [frame("S0010", "08:10:00.000", [face(28, F, "happiness")]),
         frame("S0010", "08:20:00.000", [face(52, M, "neutral")], arrived="08:24:00.000"),
         frame("S0010", "08:05:00.000", [face(61, F, "happiness"), face(19, M, "anger")], arrived="08:31:00.000"),
         frame("S0010", "08:40:00.000", [face(44, M, "fear")])],
    ),
    "out_of_order": (
        "4 s out of order is reordered (tolerance 10 s); 62 s out of order is adjusted to latest - 10 s or dropped",
        [frame("S0013", "08:14:50.000", [face(27, F, "happiness")]),
         frame("S0013", "08:14:59.000", [face(31, M, "neutral")]),
         frame("S0013", "08:14:55.000", [face(38, F, "happiness")], arrived="08:15:01.000"),
         frame("S0013", "08:16:00.000", [face(24, M, "surprise")]),
         frame("S0013", "08:14:58.000", [face(47, F, "sadness"), face(8, None, None)], arrived="08:16:02.000")],
    ),
    "k_anonymity": (
        "4 faces: totals only, demographics null; 5 faces: everything shown (store, city and region levels)",
        [frame("S0017", "09:01:00.000", [face(25, F, "happiness"), face(26, M, "neutral")]),
         frame("S0017", "09:02:00.000", [face(70, F, "happiness"), face(33, M, "anger")]),
         frame("S0018", "09:03:00.000", [face(25, F, "happiness"), face(26, M, "neutral"), face(44, F, "fear")]),
         frame("S0018", "09:04:00.000", [face(52, M, "happiness"), face(60, F, "contempt")]),
         frame("S0004", "09:05:00.000", [face(19, F, "disgust"), face(20, F, "happiness"),
                                         face(21, M, "neutral"), face(22, M, "surprise")])],
    ),
    "zero_faces": (
        "frames without faces count as frames (OUTER APPLY), never as faces",
        [frame("S0008", "10:01:00.000"), frame("S0008", "10:02:00.000"), frame("S0008", "10:03:00.000"),
         frame("S0008", "10:04:00.000", [face(36, F, "happiness"), face(37, M, "neutral")]),
         frame("S0009", "10:05:00.000"), frame("S0009", "10:06:00.000")],
    ),
    "missing_store": (
        "a store missing from reference data keeps its store rows (nulls for name, city, country, region) "
        "and stays out of city and region rows",
        [frame("S9999", "11:01:00.000", [face(20, F, "happiness"), face(30, M, "happiness"), face(40, F, "neutral")]),
         frame("S9999", "11:02:00.000", [face(50, M, "sadness"), face(60, F, "happiness"), face(None, None, None)]),
         frame("S0005", "11:03:00.000", [face(29, M, "neutral")])],
    ),
    "time_zones": (
        "09:00 local in New York, London, Kolkata (+05:30), Kathmandu (+05:45) and Tokyo: windows are UTC-aligned",
        [frame("S0001", f"{DAY}T14:00:00.000Z", [face(30, F, "happiness")]),
         frame("S0007", f"{DAY}T09:00:00.000Z", [face(31, M, "neutral")]),
         frame("S0013", f"{DAY}T03:30:00.000Z", [face(32, F, "happiness")]),
         frame("S0016", f"{DAY}T03:15:00.000Z", [face(33, M, "surprise")]),
         frame("S0017", f"{DAY}T00:00:00.000Z", [face(34, F, "neutral")])],
    ),
    "demographics": (
        "counts per gender, age band and emotion, average age and happiness share over known values",
        [frame("S0012", "12:01:00.000", [face(12, F, "happiness"), face(19, M, "neutral"), face(29, F, "happiness")]),
         frame("S0012", "12:02:00.000", [face(39, M, "anger"), face(None, F, "happiness"), face(70, None, None)]),
         frame("S0012", "12:03:00.000", [face(58, M, "fear"), face(47, F, "contempt")]),
         frame("S0012", "12:20:00.000", [face(33, F, "happiness")] * 5 + [face(34, M, "disgust")])],
    ),
    "suppressed_children": (
        "city and region demographics sum only published store windows (>= 5 faces): nothing of a suppressed "
        "store window leaks by subtraction; faces count them all; a parent whose published windows hold < 5 "
        "faces is suppressed even with >= 5 faces in total",
        [frame("S0001", "13:01:00.000", [face(30, F, "happiness")] * 3),
         frame("S0001", "13:02:00.000", [face(31, F, "neutral"), face(32, F, "happiness"), face(None, F, None)]),
         frame("S0001", "13:20:00.000", [face(70, M, "sadness")]),
         frame("S0003", "13:05:00.000", [face(68, M, "anger"), face(8, None, "surprise")]),
         frame("S0007", "14:01:00.000", [face(25, F, "happiness"), face(26, M, "neutral"), face(27, F, "fear")]),
         frame("S0008", "14:02:00.000", [face(45, M, "sadness"), face(46, F, "happiness")]),
         frame("S0008", "14:03:00.000", [face(47, M, "anger")]),
         frame("S0009", "14:04:00.000", [face(60, F, "contempt"), face(61, M, "disgust")])],
    ),
}

DROP_CASES = ["late_arrival", "out_of_order"]


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)


def render() -> dict[Path, str]:
    """Every file this script writes, path -> content."""
    stores = load_stores(PROJECT / "stores.csv")
    files: dict[Path, str] = {}

    def config(cases: list[str], policy: str, prefix: str, stores_path: str) -> str:
        test_cases = []
        for name in cases:
            description, events = CASES[name]
            rows = expected_cosmos(events, stores, late_s=300, ooo_s=10, policy=policy)
            files[TEST_DIR / prefix / "cases" / name / "cosmos.json"] = _jsonl(rows)
            files[TEST_DIR / prefix / "cases" / name / "powerbi.json"] = _jsonl(powerbi_rows(rows))
            test_cases.append({
                "Name": f"{name} ({policy}): {description}",
                "Inputs": [
                    {"InputAlias": "frames", "Type": "Data Stream", "Format": "Json",
                     "FilePath": f"{'../' if prefix else ''}cases/{name}/frames.json", "ScriptType": "InputMock"},
                    {"InputAlias": "stores", "Type": "Reference Data", "Format": "Csv",
                     "FilePath": stores_path, "ScriptType": "InputMock"},
                ],
                "ExpectedOutputs": [
                    {"OutputAlias": "cosmos", "FilePath": f"cases/{name}/cosmos.json", "IgnoreFields": [], "Required": True},
                    {"OutputAlias": "powerbi", "FilePath": f"cases/{name}/powerbi.json", "IgnoreFields": [], "Required": True},
                ],
            })
        script = "../footfall.asaql" if not prefix else "../../footfall.asaql"
        return json.dumps({"Script": script, "TestCases": test_cases}, indent=2) + "\n"

    for name, (_, events) in CASES.items():
        files[TEST_DIR / "cases" / name / "frames.json"] = _jsonl(events)
    files[TEST_DIR / "testConfig.json"] = config(list(CASES), "Adjust", "", "../stores.csv")
    files[TEST_DIR / "drop" / "testConfig.json"] = config(DROP_CASES, "Drop", "drop", "../../stores.csv")
    job = json.loads((PROJECT / "JobConfig.json").read_text())
    job["EventsOutOfOrderPolicy"] = "Drop"
    files[TEST_DIR / "drop" / "JobConfig.json"] = json.dumps(job, indent=2) + "\n"
    return files


def main() -> None:
    for path, content in render().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        print(path.relative_to(PROJECT))


if __name__ == "__main__":
    main()
