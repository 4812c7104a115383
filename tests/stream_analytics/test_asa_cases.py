"""The job's test cases (stream_analytics/test) pass on the local engine, and their expected
outputs come from the independent reference model, not from the engine."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asa_reference_model import DEMOGRAPHICS, expected_outputs, iso, load_csv
from make_cases import CASES, DROP_CASES, PROJECT, face, minute, render

from footfall.asa import Engine, InputSource, JobConfig, run_tests
from footfall.asa.testing import compare_rows, read_rows

TEST_DIR = PROJECT / "test"


def test_case_files_on_disk_are_what_the_reference_model_gives():
    stale = [str(p.relative_to(PROJECT)) for p, content in render().items()
             if not p.exists() or p.read_text() != content]
    assert stale == [], "run tests/stream_analytics/make_cases.py"


def test_test_config_has_at_least_the_cases_the_issue_asks_for():
    names = [c["Name"].split(" ")[0] for c in json.loads((TEST_DIR / "testConfig.json").read_text())["TestCases"]]
    assert len(names) >= 12
    assert {"window_edges", "empty_window", "late_arrival", "out_of_order", "k_anonymity", "zero_faces",
            "missing_store", "time_zones", "visitors_at_the_door", "zones", "sightings_are_not_visits"} <= set(names)
    drop = json.loads((TEST_DIR / "drop" / "testConfig.json").read_text())["TestCases"]
    assert [c["Name"].split(" ")[0] for c in drop] == DROP_CASES


@pytest.mark.parametrize("config", ["testConfig.json", "drop/testConfig.json"])
def test_every_case_passes_on_the_engine(config: str):
    results = run_tests(TEST_DIR / config, report=None)
    failures = {r.name: r.messages for r in results if not r.passed}
    assert failures == {}


def _rows(name: str, drop: bool = False, alias: str = "store_windows") -> list[dict]:
    return read_rows(TEST_DIR / ("drop/" if drop else "") / "cases" / name / f"{alias}.json")


def _by_end(rows: list[dict]) -> dict[str, dict]:
    return {r["window_end"][11:16]: r for r in rows}


def test_window_edges_worked_by_hand():
    rows = _by_end(_rows("window_edges"))
    assert {end: r["photos"] for end, r in rows.items()} == {"08:00": 1, "08:15": 3, "08:30": 1}
    assert rows["08:00"]["window_start"] == "2026-11-23T07:45:00.000Z"
    assert rows["08:00"]["id"] == "S0007|2026-11-23T08:00:00.000Z"


def test_empty_window_has_no_row():
    assert list(_by_end(_rows("empty_window"))) == ["08:15", "08:45"]


def test_late_and_out_of_order_events_under_each_policy_worked_by_hand():
    def photos(rows: list[dict]) -> dict[str, tuple[int, int]]:
        return {end: (r["photos"], r["visit_faces"] + r["sightings"]) for end, r in _by_end(rows).items()}

    # The 2-face frame captured 08:05 arrives 08:31: Adjust -> 08:26 (window 08:30), Drop -> gone.
    assert photos(_rows("late_arrival")) == {"08:15": (1, 1), "08:30": (2, 3), "08:45": (1, 1)}
    assert photos(_rows("late_arrival", drop=True)) == {"08:15": (1, 1), "08:30": (1, 1), "08:45": (1, 1)}
    # The 2-face frame captured 08:14:58 after 08:16:00 was seen: Adjust -> 08:15:50, Drop -> gone.
    assert photos(_rows("out_of_order")) == {"08:15": (3, 3), "08:30": (2, 3)}
    assert photos(_rows("out_of_order", drop=True)) == {"08:15": (3, 3), "08:30": (1, 1)}


def test_k_anonymity_at_four_and_five_visit_faces():
    rows = {r["store_id"]: r for r in _rows("k_anonymity")}
    four, five = rows["S0017"], rows["S0018"]
    assert (four["visit_faces"], four["suppressed"], four["gender_female"]) == (4, True, None)
    assert all(four[c] is None for c in DEMOGRAPHICS)
    assert (five["visit_faces"], five["suppressed"], five["gender_female"], five["gender_male"]) == (5, False, 3, 2)


def test_sightings_never_reach_a_breakdown_or_k():
    (row,) = _rows("sightings_are_not_visits")
    # 10 faces in two whole frames and 2 visit faces: 2 < k, so suppressed, whatever the sightings.
    assert (row["photos"], row["visit_photos"], row["visit_faces"], row["sightings"]) == (4, 2, 2, 10)
    assert row["suppressed"] is True and row["visitors"] == 0


def test_each_category_adds_up_to_the_visit_faces():
    for name in CASES:
        for row in _rows(name):
            if row["suppressed"]:
                assert all(row[c] is None for c in DEMOGRAPHICS), (name, row["id"])
                continue
            for prefix in ("gender_", "age_", "emotion_"):
                assert sum(row[c] for c in DEMOGRAPHICS if c.startswith(prefix)) == row["visit_faces"], (name, prefix)


def test_zero_face_photos_count_as_photos_only():
    rows = {r["store_id"]: r for r in _rows("zero_faces")}
    assert (rows["S0008"]["photos"], rows["S0008"]["visit_faces"], rows["S0008"]["sightings"]) == (4, 0, 2)
    assert (rows["S0009"]["photos"], rows["S0009"]["visit_photos"], rows["S0009"]["suppressed"]) == (2, 1, True)


def test_missing_store_keeps_its_rows_with_null_reference_fields():
    rows = {r["store_id"]: r for r in _rows("missing_store")}
    unknown = rows["S9999"]
    assert [unknown[k] for k in ("store_name", "city", "country", "region", "time_zone")] == [None] * 5
    assert unknown["suppressed"] is False and unknown["emotion_happiness"] == 3
    assert rows["S0005"]["time_zone"] == "America/Los_Angeles"


def test_time_zones_windows_are_utc_aligned():
    ends = {r["store_id"]: r["window_end"] for r in _rows("time_zones") if r["photos"]}
    assert ends == {
        "S0001": "2026-11-23T14:00:00.000Z",  # 09:00 New York
        "S0007": "2026-11-23T09:00:00.000Z",  # 09:00 London
        "S0013": "2026-11-23T03:30:00.000Z",  # 09:00 Kolkata, a quarter-hour boundary in UTC too
        "S0016": "2026-11-23T03:15:00.000Z",  # 09:00 Kathmandu
        "S0017": "2026-11-23T00:00:00.000Z",  # 09:00 Tokyo: the window (23:45, 00:00] of the day before
    }
    # Tokyo's door minute 08:59-09:00 local ends on the same boundary: the same store window.
    tokyo = next(r for r in _rows("time_zones") if r["store_id"] == "S0017")
    assert (tokyo["visitors"], tokyo["photos"]) == (3, 1)


def test_demographics_worked_by_hand():
    rows = _by_end(_rows("demographics"))
    first = rows["12:15"]
    assert (first["visit_faces"], first["gender_female"], first["gender_male"], first["gender_unknown"]) == (8, 4, 3, 1)
    assert (first["age_0_17"], first["age_18_24"], first["age_25_34"], first["age_65_plus"],
            first["age_unknown"]) == (1, 1, 1, 1, 1)
    assert (first["emotion_happiness"], first["emotion_unknown"]) == (3, 1)
    assert (rows["12:30"]["emotion_happiness"], rows["12:30"]["emotion_disgust"]) == (5, 1)


def test_visitors_are_entries_at_entrance_cameras_only():
    rows = _by_end(_rows("visitors_at_the_door"))
    # 09:00 door 4/1 + side door 1/0 + 09:14 door 2/3; the zone camera C02 and unknown C77 count nothing.
    assert (rows["09:15"]["visitors"], rows["09:15"]["exits"]) == (7, 4)
    assert (rows["09:30"]["visitors"], rows["09:30"]["exits"]) == (5, 5)
    assert all(r["photos"] == 0 and r["suppressed"] for r in rows.values())


def test_photos_and_door_counts_of_one_quarter_share_its_row():
    rows = _by_end(_rows("visits_and_door_counts_share_a_window"))
    assert (rows["10:15"]["visitors"], rows["10:15"]["visit_faces"], rows["10:15"]["suppressed"]) == (5, 5, False)
    assert (rows["10:30"]["exits"], rows["10:30"]["photos"]) == (4, 0)


def test_zone_windows_worked_by_hand():
    rows = {(r["zone"], r["window_end"][11:16]): r for r in _rows("zones", alias="zone_windows")}
    women = rows[("womenswear", "10:15")]
    assert (women["visits"], women["dwell_s_sum"], women["dwell_lt_30s"], women["dwell_lt_2m"],
            women["dwell_lt_10m"]) == (3, 495.0, 1, 1, 1)
    assert (women["occupancy_mean"], women["occupancy_max"]) == (2.0, 4)
    assert (rows[("menswear", "10:15")]["visits"], rows[("menswear", "10:15")]["occupancy_mean"]) == (0, 0.5)
    assert rows[("tills", "10:30")]["dwell_ge_20m"] == 1
    assert rows[("lobby", "10:30")]["visits"] == 1  # an entrance camera's zone
    assert _by_end(_rows("zones"))["10:30"]["visitors"] == 1


@pytest.mark.parametrize("policy", ["Adjust", "Drop"])
def test_engine_matches_the_reference_model_on_a_random_disordered_fleet(tmp_path: Path, policy: str):
    rng = random.Random(7 if policy == "Adjust" else 11)
    stores = load_csv(PROJECT / "stores.csv")
    cameras = load_csv(PROJECT / "cameras.csv")
    ids = [s["store_id"] for s in stores] + ["S9998"]
    start = datetime(2026, 11, 23, 6, tzinfo=UTC)
    frames, counts = [], []
    for i in range(1500):
        captured = start + timedelta(seconds=rng.uniform(0, 4 * 3600))
        delay = rng.choice([1, 2, 5, 12, 40, 400, 2000]) + rng.random()
        kind = rng.choice(["visit", "visit", "frame"])
        faces = [face(rng.choice([None, *range(3, 90)]), rng.choice([None, "female", "male"]),
                      rng.choice([None, "happiness", "neutral", "anger", "sadness"]))
                 for _ in range(rng.choice([0, 1, 1, 1]) if kind == "visit" else rng.choice([0, 1, 2, 3, 6]))]
        frames.append({"schema": "footfall.frame.v2", "event_id": f"{i:032x}", "captured_at": iso(captured),
                       "store_id": rng.choice(ids), "camera_id": "C01", "kind": kind, "face_count": len(faces),
                       "faces": faces, "analyzer": "t", "processed_at": iso(captured),
                       "EventEnqueuedUtcTime": iso(captured + timedelta(seconds=delay))})
    for i in range(600):
        end = start + timedelta(minutes=rng.randrange(1, 4 * 60))
        delay = rng.choice([1, 2, 5, 30, 400]) + rng.random()
        camera = rng.choice(["C01", "C02", "C03", "C09"])
        counts.append({**minute(rng.choice(ids), camera, iso(end - timedelta(minutes=1)),
                                {"door": (rng.randrange(6), rng.randrange(6))},
                                {"tills": (rng.random() * 3, 3, [rng.uniform(5, 2000)])}),
                       "event_id": f"{i:032x}", "EventEnqueuedUtcTime": iso(end + timedelta(seconds=delay))})
    frames.sort(key=lambda e: e["EventEnqueuedUtcTime"])
    counts.sort(key=lambda e: e["EventEnqueuedUtcTime"])
    (tmp_path / "frames.json").write_text("".join(json.dumps(e) + "\n" for e in frames))
    (tmp_path / "counts.json").write_text("".join(json.dumps(e) + "\n" for e in counts))
    job = JobConfig(EventsOutOfOrderPolicy=policy, EventsLateArrivalMaxDelayInSeconds=300,
                    EventsOutOfOrderMaxDelayInSeconds=10)
    out = Engine((PROJECT / "footfall.asaql").read_text(), job).run({
        "frames": InputSource(alias="frames", path=tmp_path / "frames.json"),
        "counts": InputSource(alias="counts", path=tmp_path / "counts.json"),
        "stores": InputSource(alias="stores", path=PROJECT / "stores.csv", format="Csv", is_reference=True),
        "cameras": InputSource(alias="cameras", path=PROJECT / "cameras.csv", format="Csv", is_reference=True),
    })
    expected = expected_outputs(frames, counts, stores, cameras, late_s=300, ooo_s=10, policy=policy)
    assert len(expected["store_windows"]) > 100 and len(expected["zone_windows"]) > 50
    for alias, rows in expected.items():
        assert compare_rows(rows, out[alias]) == [], alias


def test_every_case_has_its_inputs():
    for name, (_, frames, counts) in CASES.items():
        assert frames or counts, name
        assert (TEST_DIR / "cases" / name / "frames.json").exists()
        assert (TEST_DIR / "cases" / name / "counts.json").exists()
