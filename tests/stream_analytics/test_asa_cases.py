"""The job's test cases (stream_analytics/test) pass on the local engine, and their expected
outputs come from the independent reference model, not from the engine."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from asa_reference_model import DEMOGRAPHICS, expected_cosmos, iso, load_stores, parse, powerbi_rows
from make_cases import CASES, DROP_CASES, PROJECT, face, render

from footfall.asa import Engine, InputSource, JobConfig, run_tests
from footfall.asa.datetimes import canonical
from footfall.asa.testing import compare_rows, read_rows

TEST_DIR = PROJECT / "test"


def test_case_files_on_disk_are_what_the_reference_model_gives():
    stale = [str(p.relative_to(PROJECT)) for p, content in render().items()
             if not p.exists() or p.read_text() != content]
    assert stale == [], "run tests/stream_analytics/make_cases.py"


def test_test_config_has_at_least_the_cases_the_issue_asks_for():
    names = [c["Name"].split(" ")[0] for c in json.loads((TEST_DIR / "testConfig.json").read_text())["TestCases"]]
    assert len(names) >= 8
    assert {"window_edges", "empty_window", "late_arrival", "out_of_order", "k_anonymity", "zero_faces",
            "missing_store", "time_zones"} <= set(names)
    drop = json.loads((TEST_DIR / "drop" / "testConfig.json").read_text())["TestCases"]
    assert [c["Name"].split(" ")[0] for c in drop] == DROP_CASES


@pytest.mark.parametrize("config", ["testConfig.json", "drop/testConfig.json"])
def test_every_case_passes_on_the_engine(config: str):
    results = run_tests(TEST_DIR / config, report=None)
    failures = {r.name: r.messages for r in results if not r.passed}
    assert failures == {}


def _rows(name: str, drop: bool = False) -> list[dict]:
    return read_rows(TEST_DIR / ("drop/" if drop else "") / "cases" / name / "cosmos.json")


def _by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in rows}


def test_window_edges_worked_by_hand():
    rows = _by_id(_rows("window_edges"))
    store = {i.split("|")[2][11:16]: r["frames"] for i, r in rows.items() if i.startswith("store|")}
    assert store == {"08:00": 1, "08:15": 3, "08:30": 1}
    assert rows["store|S0007|2026-11-23T08:00:00.000Z"]["window_start"] == "2026-11-23T07:45:00.000Z"


def test_empty_window_has_no_row():
    ends = [r["window_end"][11:16] for r in _rows("empty_window") if r["level"] == "store"]
    assert ends == ["08:15", "08:45"]


def test_late_and_out_of_order_events_under_each_policy_worked_by_hand():
    def store_faces(rows: list[dict]) -> dict[str, int]:
        return {r["window_end"][11:16]: r["faces"] for r in rows if r["level"] == "store"}

    # The 2-face frame captured 08:05 arrives 08:31: Adjust -> 08:26 (window 08:30), Drop -> gone.
    assert store_faces(_rows("late_arrival")) == {"08:15": 1, "08:30": 3, "08:45": 1}
    assert store_faces(_rows("late_arrival", drop=True)) == {"08:15": 1, "08:30": 1, "08:45": 1}
    # The 2-face frame captured 08:14:58 after 08:16:00 was seen: Adjust -> 08:15:50, Drop -> gone.
    assert store_faces(_rows("out_of_order")) == {"08:15": 3, "08:30": 3}
    assert store_faces(_rows("out_of_order", drop=True)) == {"08:15": 3, "08:30": 1}


def test_k_anonymity_at_four_and_five_faces():
    rows = {(r["level"], r["store_id"] or r["city"]): r for r in _rows("k_anonymity")}
    four, five, seattle = rows[("store", "S0017")], rows[("store", "S0018")], rows[("city", "Seattle")]
    assert (four["faces"], four["suppressed"], four["female"], four["avg_age"]) == (4, True, None, None)
    assert (seattle["faces"], seattle["suppressed"], seattle["happiness_share"]) == (4, True, None)
    assert (five["faces"], five["suppressed"], five["female"], five["male"]) == (5, False, 3, 2)
    assert five["avg_age"] == pytest.approx((25 + 26 + 44 + 52 + 60) / 5)
    tokyo = rows[("city", "Tokyo")]
    assert (tokyo["faces"], tokyo["suppressed"]) == (9, False)
    # Tokyo's demographics are Ginza's alone: the suppressed Shibuya window adds nothing.
    assert [tokyo[c] for c in (*DEMOGRAPHICS, "avg_age")] == [five[c] for c in (*DEMOGRAPHICS, "avg_age")]


SHOWN = (*DEMOGRAPHICS, "avg_age", "happiness_share")


def test_a_region_minus_its_published_store_windows_reveals_nothing():
    """The defect as a specification. Hour (13:00, 14:00] in US Northeast: New York's store window
    (13:00, 13:15] has 6 faces (published), its window (13:15, 13:30] 1 face and Boston's 2 faces
    (both suppressed). The region and New York count all 9 and 7 faces, but their demographics are
    exactly those of the published window, so subtracting it leaves nothing to see."""
    rows = {(r["level"], r["store_id"] or r["city"] or r["region"], r["window_end"][11:16]): r
            for r in _rows("suppressed_children")}
    published = rows[("store", "S0001", "13:15")]
    small = [rows[("store", "S0001", "13:30")], rows[("store", "S0003", "13:15")]]
    region = rows[("region", "US Northeast", "14:00")]
    new_york, boston = rows[("city", "New York", "14:00")], rows[("city", "Boston", "14:00")]
    assert (published["faces"], published["suppressed"], published["female"]) == (6, False, 6)
    assert [(r["faces"], r["suppressed"], r["male"]) for r in small] == [(1, True, None), (2, True, None)]
    assert (region["faces"], region["frames"], region["suppressed"]) == (9, 4, False)
    assert (new_york["faces"], new_york["frames"], new_york["suppressed"]) == (7, 3, False)
    for parent in (region, new_york):
        assert {c: parent[c] for c in SHOWN} == {c: published[c] for c in SHOWN}
    assert (region["male"], region["age_65_plus"], region["emotion_sadness"], region["emotion_anger"]) == (0, 0, 0, 0)
    assert region["avg_age"] == pytest.approx((30 * 3 + 31 + 32) / 5)
    assert region["happiness_share"] == pytest.approx(4 / 5)
    assert (boston["faces"], boston["suppressed"], boston["female"]) == (2, True, None)


def test_a_parent_with_enough_faces_but_too_few_published_is_suppressed():
    """Hour (14:00, 15:00] in UK South: Oxford Street 3 faces, Covent Garden 3, Bristol 2: every store
    window is suppressed, so London (6 faces) and the region (8 faces) are suppressed too."""
    rows = {(r["level"], r["store_id"] or r["city"] or r["region"]): r
            for r in _rows("suppressed_children") if r["window_end"][11:16] in ("14:15", "15:00")}
    assert {k[1]: r["faces"] for k, r in rows.items() if k[0] == "store"} == {"S0007": 3, "S0008": 3, "S0009": 2}
    for key, faces in ((("city", "London"), 6), (("region", "UK South"), 8), (("city", "Bristol"), 2)):
        row = rows[key]
        assert (row["faces"], row["suppressed"]) == (faces, True), key
        assert {c: row[c] for c in SHOWN} == dict.fromkeys(SHOWN), key


def _hour_end(window_end: str) -> str:
    end = parse(window_end)
    extra = timedelta(minutes=(-end.minute) % 60)
    return iso(end + extra)


def assert_parents_sum_published_stores(rows: list[dict]) -> int:
    """Every city and region row: frames and faces sum all its store rows, demographics sum only the
    published ones, and it is suppressed exactly when those hold fewer than 5 faces. Returns how many
    parents were checked."""
    children: dict[tuple[str, str, str], list[dict]] = {}
    for r in rows:
        if r["level"] == "store" and r["region"] is not None:
            for level in ("city", "region"):
                children.setdefault((level, r[level], canonical(_hour_end(r["window_end"]))), []).append(r)
    parents = [r for r in rows if r["level"] != "store"]
    for parent in parents:
        stores = children[(parent["level"], parent["city"] if parent["level"] == "city" else parent["region"],
                           canonical(parent["window_end"]))]
        shown = [s for s in stores if not s["suppressed"]]
        assert all(s["faces"] >= 5 for s in shown) and all(s["faces"] < 5 for s in stores if s["suppressed"])
        totals = (sum(s["frames"] for s in stores), sum(s["faces"] for s in stores))
        assert (parent["frames"], parent["faces"]) == totals, parent["id"]
        published_faces = sum(s["faces"] for s in shown)
        assert parent["suppressed"] is (published_faces < 5), parent["id"]
        for c in DEMOGRAPHICS:
            assert parent[c] == (None if parent["suppressed"] else sum(s[c] for s in shown)), (parent["id"], c)
    return len(parents)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_case_parent_is_the_sum_of_its_published_store_windows(case: str):
    assert_parents_sum_published_stores(_rows(case))


def test_zero_face_frames_count_as_frames_only():
    rows = {r["store_id"]: r for r in _rows("zero_faces") if r["level"] == "store"}
    assert (rows["S0008"]["frames"], rows["S0008"]["faces"]) == (4, 2)
    assert (rows["S0009"]["frames"], rows["S0009"]["faces"], rows["S0009"]["suppressed"]) == (2, 0, True)


def test_missing_store_keeps_store_rows_only():
    rows = _rows("missing_store")
    unknown = [r for r in rows if r["store_id"] == "S9999"]
    assert len(unknown) == 1
    assert [unknown[0][k] for k in ("store_name", "city", "country", "region")] == [None] * 4
    assert unknown[0]["suppressed"] is False and unknown[0]["happiness_share"] == pytest.approx(3 / 5)
    assert {r["faces"] for r in rows if r["level"] != "store"} == {1}


def test_time_zones_windows_are_utc_aligned():
    ends = {r["store_id"]: r["window_end"] for r in _rows("time_zones") if r["level"] == "store"}
    assert ends == {
        "S0001": "2026-11-23T14:00:00.000Z",  # 09:00 New York
        "S0007": "2026-11-23T09:00:00.000Z",  # 09:00 London
        "S0013": "2026-11-23T03:30:00.000Z",  # 09:00 Kolkata, a quarter-hour boundary in UTC too
        "S0016": "2026-11-23T03:15:00.000Z",  # 09:00 Kathmandu
        "S0017": "2026-11-23T00:00:00.000Z",  # 09:00 Tokyo: the window (23:45, 00:00] of the day before
    }
    kolkata = [r for r in _rows("time_zones") if r["level"] == "city" and r["city"] == "Bengaluru"]
    assert [r["window_end"] for r in kolkata] == ["2026-11-23T04:00:00.000Z"]


def test_demographics_worked_by_hand():
    rows = {r["window_end"][11:16]: r for r in _rows("demographics") if r["level"] == "store"}
    first = rows["12:15"]
    assert (first["faces"], first["female"], first["male"], first["gender_unknown"]) == (8, 4, 3, 1)
    assert (first["age_0_17"], first["age_18_24"], first["age_25_34"], first["age_65_plus"],
            first["age_unknown"]) == (1, 1, 1, 1, 1)
    assert first["avg_age"] == pytest.approx((12 + 19 + 29 + 39 + 70 + 58 + 47) / 7)
    assert first["happiness_share"] == pytest.approx(3 / 7)
    assert rows["12:30"]["happiness_share"] == pytest.approx(5 / 6)


@pytest.mark.parametrize("policy", ["Adjust", "Drop"])
def test_engine_matches_the_reference_model_on_a_random_disordered_fleet(tmp_path: Path, policy: str):
    rng = random.Random(7 if policy == "Adjust" else 11)
    stores = load_stores(PROJECT / "stores.csv")
    ids = list(stores) + ["S9998"]
    start = datetime(2026, 11, 23, 6, tzinfo=timezone.utc)
    events = []
    for i in range(1500):
        captured = start + timedelta(seconds=rng.uniform(0, 4 * 3600))
        delay = rng.choice([1, 2, 5, 12, 40, 400, 2000]) + rng.random()
        faces = [face(rng.choice([None, *range(3, 90)]), rng.choice([None, "female", "male"]),
                      rng.choice([None, "happiness", "neutral", "anger", "sadness"]))
                 for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 6]))]
        events.append({"schema": "footfall.frame.v1", "event_id": f"{i:032x}", "captured_at": iso(captured),
                       "store_id": rng.choice(ids), "camera_id": "C01", "face_count": len(faces), "faces": faces,
                       "analyzer": "t", "processed_at": iso(captured),
                       "EventEnqueuedUtcTime": iso(captured + timedelta(seconds=delay))})
    events.sort(key=lambda e: e["EventEnqueuedUtcTime"])
    (tmp_path / "frames.json").write_text("".join(json.dumps(e) + "\n" for e in events))
    job = JobConfig(EventsOutOfOrderPolicy=policy, EventsLateArrivalMaxDelayInSeconds=300,
                    EventsOutOfOrderMaxDelayInSeconds=10)
    out = Engine((PROJECT / "footfall.asaql").read_text(), job).run({
        "frames": InputSource(alias="frames", path=tmp_path / "frames.json"),
        "stores": InputSource(alias="stores", path=PROJECT / "stores.csv", format="Csv", is_reference=True),
    })
    expected = expected_cosmos(events, stores, late_s=300, ooo_s=10, policy=policy)
    assert len(expected) > 100
    assert compare_rows(expected, out["cosmos"]) == []
    assert assert_parents_sum_published_stores(out["cosmos"]) > 50
    assert compare_rows(powerbi_rows(expected), out["powerbi"]) == []


def test_every_case_has_frames_and_reference_inputs():
    for name in CASES:
        assert (TEST_DIR / "cases" / name / "frames.json").stat().st_size > 0
