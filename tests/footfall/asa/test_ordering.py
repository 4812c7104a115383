"""Late-arrival and out-of-order policies from JobConfig.json, applied before windowing."""

from __future__ import annotations

from footfall.asa import JobConfig

T = "2026-11-23T"
QUERY = "SELECT id, time, System.Timestamp() AS t INTO out FROM input TIMESTAMP BY time"


def ev(id_: str, time: str, arrived: str) -> dict:
    return {"id": id_, "time": f"{T}{time}Z", "EventEnqueuedUtcTime": f"{T}{arrived}Z"}


def job(policy: str = "Adjust", late: int = 15, ooo: int = 5) -> JobConfig:
    return JobConfig(EventsOutOfOrderPolicy=policy, EventsLateArrivalMaxDelayInSeconds=late,
                     EventsOutOfOrderMaxDelayInSeconds=ooo)


def stamps(rows: list[dict]) -> dict[str, str]:
    return {r["id"]: r["t"][11:19] for r in rows}


# The example of Microsoft's "event ordering" article: late arrival 15 s, out of order 5 s.
DOC_EXAMPLE = [
    ev("1", "00:10:00", "00:10:40"),  # 40 s late: adjusted to arrival - 15 s = 00:10:25
    ev("2", "00:10:30", "00:10:41"),  # 11 s late: within tolerance, kept
    ev("3", "00:10:42", "00:10:42"),  # on time
    ev("4", "00:10:38", "00:10:43"),  # 4 s out of order: within 5 s, reordered, kept
    ev("5", "00:10:35", "00:10:45"),  # 7 s behind 00:10:42: adjusted to 00:10:37
]


def test_adjust_reproduces_the_documented_example(run_query):
    out = run_query(QUERY, DOC_EXAMPLE, job=job("Adjust"))["out"]
    assert stamps(out) == {"1": "00:10:25", "2": "00:10:30", "3": "00:10:42", "4": "00:10:38", "5": "00:10:37"}


def test_adjust_changes_only_the_timestamp_not_the_event(run_query):
    out = run_query(QUERY, DOC_EXAMPLE, job=job("Adjust"))["out"]
    assert {r["id"]: r["time"] for r in out}["1"] == f"{T}00:10:00Z"


def test_drop_discards_late_and_out_of_order_events(run_query):
    out = run_query(QUERY, DOC_EXAMPLE, job=job("Drop"))["out"]
    assert stamps(out) == {"2": "00:10:30", "3": "00:10:42", "4": "00:10:38"}


def test_indefinite_late_arrival_tolerance_never_adjusts_for_lateness(run_query):
    out = run_query(QUERY, [ev("1", "00:10:00", "05:00:00")], job=job("Drop", late=-1))["out"]
    assert stamps(out) == {"1": "00:10:00"}


def test_out_of_order_is_judged_in_arrival_order_not_file_order(run_query):
    events = [ev("late-in-file", "00:10:10", "00:10:11"), ev("first", "00:10:00", "00:10:01")]
    out = run_query(QUERY, events, job=job("Drop", ooo=0))["out"]
    assert stamps(out) == {"first": "00:10:00", "late-in-file": "00:10:10"}


def test_without_arrival_times_file_order_is_arrival_order(run_query):
    events = [{"id": "a", "time": f"{T}00:10:10Z"}, {"id": "b", "time": f"{T}00:10:00Z"}]
    out = run_query(QUERY, events, job=job("Adjust", ooo=5))["out"]
    assert stamps(out) == {"a": "00:10:10", "b": "00:10:05"}


def test_adjusted_events_are_windowed_at_their_adjusted_time(run_query):
    query = ("SELECT System.Timestamp() AS e, COUNT(*) AS n INTO out FROM input TIMESTAMP BY time "
             "GROUP BY TumblingWindow(minute, 1)")
    late = [ev("on-time", "00:10:30", "00:10:31"), ev("late", "00:09:30", "00:12:00")]
    adjust = run_query(query, late, job=job("Adjust", late=15))["out"]
    drop = run_query(query, late, job=job("Drop", late=15))["out"]
    assert [(r["e"][11:19], r["n"]) for r in adjust] == [("00:11:00", 1), ("00:12:00", 1)]
    assert [(r["e"][11:19], r["n"]) for r in drop] == [("00:11:00", 1)]


# -- issue 13: the five event-time defects, each as Azure documents the behaviour ----------------

def at(id_: str, time: str, arrived: str, **fields: object) -> dict:
    """An event with event time ``T time`` and arrival time ``T arrived`` (minutes precision)."""
    return {"id": id_, "time": f"{T}{time}:00Z", "EventEnqueuedUtcTime": f"{T}{arrived}:00Z", **fields}


# "Illustrated example of watermarks" (stream-analytics-time-handling): early arrival 5 min
# (fixed), late arrival 5 min, out of order 2 min, policy Adjust, one partition.
WATERMARK_EXAMPLE = [
    at("1", "12:07", "12:07", device="device1"), at("2", "12:08", "12:08", device="device2"),
    at("3", "12:17", "12:11", device="device1"), at("4", "12:08", "12:13", device="device3"),
    at("5", "12:19", "12:16", device="device1"), at("6", "12:12", "12:17", device="device3"),
    at("7", "12:17", "12:18", device="device2"), at("8", "12:20", "12:19", device="device2"),
    at("9", "12:16", "12:21", device="device3"), at("10", "12:23", "12:22", device="device2"),
    at("11", "12:22", "12:24", device="device2"), at("12", "12:21", "12:27", device="device3"),
]


def test_the_documented_watermark_illustration(run_query):
    """Event 3 arrives 6 minutes early: dropped, and the watermark does not move (so event 4 is
    not pushed to 12:15 as it would be without the early rule); event 6 is adjusted to the
    watermark 12:17; event 12 arrives 6 minutes late and is adjusted to 12:22."""
    engine_out = run_query(QUERY, WATERMARK_EXAMPLE, job=job("Adjust", late=300, ooo=120))["out"]
    assert {r["id"]: r["t"][11:16] for r in engine_out} == {
        "1": "12:07", "2": "12:08", "4": "12:08", "5": "12:19", "6": "12:17", "7": "12:17",
        "8": "12:20", "9": "12:18", "10": "12:23", "11": "12:22", "12": "12:22"}


def test_an_early_event_is_dropped_under_either_policy_and_moves_no_clock(run_query):
    """One camera with a clock 10 minutes fast: its event is dropped (early input event), so
    another store's on-time frame is neither dropped (Drop) nor moved (Adjust)."""
    events = [at("fast", "08:20", "08:10", store="S1"), at("on-time", "08:10", "08:10", store="S2")]
    for policy in ("Drop", "Adjust"):
        out = run_query(QUERY, events, job=job(policy, late=5, ooo=0))["out"]
        assert stamps(out) == {"on-time": "08:10:00"}, policy


def test_out_of_order_is_judged_per_input_partition(run_query):
    """Azure keeps a watermark per input partition: a store 80 s behind another one, on its own
    partition, loses nothing under Drop; in the same partition it would be out of order."""
    ahead = [at(f"a{i}", f"08:1{i}", f"08:1{i}", PartitionKey="S1") for i in range(3)]
    behind = [{**at(f"b{i}", f"08:1{i}", f"08:1{i}", PartitionKey="S2"), "time": f"{T}08:{8 + i:02d}:40Z"}
              for i in range(3)]
    events = sorted(ahead + behind, key=lambda e: e["EventEnqueuedUtcTime"])
    out = run_query(QUERY, events, job=job("Drop", late=300, ooo=10))["out"]
    assert sorted(stamps(out)) == ["a0", "a1", "a2", "b0", "b1", "b2"]
    one_partition = [{k: v for k, v in e.items() if k != "PartitionKey"} for e in events]
    out = run_query(QUERY, one_partition, job=job("Drop", late=300, ooo=10))["out"]
    assert sorted(stamps(out)) == ["a0", "a1", "a2"]


def test_substreams_have_their_own_watermarks(run_query):
    """TIMESTAMP BY ... OVER device: event 6 (device3, 12:12) is behind device1's 12:19 but not
    behind its own device's 12:08, so it keeps its time."""
    query = "SELECT id, System.Timestamp() AS t INTO out FROM input TIMESTAMP BY time OVER device"
    out = run_query(query, WATERMARK_EXAMPLE, job=job("Adjust", late=300, ooo=120))["out"]
    times = {r["id"]: r["t"][11:16] for r in out}
    assert times["6"] == "12:12" and times["9"] == "12:16" and "3" not in times


def test_null_and_unparseable_timestamps_are_dropped_with_a_counted_warning(tmp_path, caplog):
    """A data error drops the one event and the run carries on: no row with a null window
    (no ``store|S1|`` id), no aborted run, and a warning naming the input and the reason."""
    import json

    from footfall.asa import Engine, InputSource

    events = [{"store": "S1", "time": f"{T}08:01:00Z"}, {"store": "S1", "time": None},
              {"store": "S1"}, {"store": "S1", "time": "yesterday at noon"}, {"store": "S1", "time": f"{T}08:02:00Z"}]
    path = tmp_path / "frames.json"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    engine = Engine("SELECT CONCAT('store|', store, '|', CAST(System.Timestamp() AS nvarchar(max))) AS id, "
                    "COUNT(*) AS n INTO out FROM frames TIMESTAMP BY time GROUP BY store, TumblingWindow(minute, 15)")
    out = engine.run({"frames": InputSource(alias="frames", path=path)})["out"]
    assert out == [{"id": f"store|S1|{T}08:15:00.0000000Z", "n": 2}]
    assert {(d.input, d.action, d.count, d.reason.split(" (")[0]) for d in engine.dropped} == {
        ("frames", "dropped", 2, "its TIMESTAMP BY value is null"),
        ("frames", "dropped", 1, "its TIMESTAMP BY value is not a valid datetime"),
    }
    assert "input 'frames' (line 1): 1 event(s) dropped: its TIMESTAMP BY value is not a valid datetime" in caplog.text


def test_time_has_100_ns_resolution_and_is_written_with_7_digits(run_query):
    """Azure counts time in 100 ns ticks: an event 100 ns past a window's end belongs to the next
    window, and datetimes are written as ``.fffffffZ``."""
    query = ("SELECT System.Timestamp() AS e, COUNT(*) AS n, MIN(time) AS first INTO out "
             "FROM input TIMESTAMP BY time GROUP BY TumblingWindow(minute, 5)")
    events = [{"time": f"{T}08:05:00.0000000Z"}, {"time": f"{T}08:05:00.0000001Z"}]
    out = run_query(query, events)["out"]
    assert out == [{"e": f"{T}08:05:00.0000000Z", "n": 1, "first": f"{T}08:05:00.0000000Z"},
                   {"e": f"{T}08:10:00.0000000Z", "n": 1, "first": f"{T}08:05:00.0000001Z"}]
    plain = run_query("SELECT System.Timestamp() AS t INTO out FROM input TIMESTAMP BY time",
                      [{"time": f"{T}08:05:00.1234567Z"}])["out"]
    assert plain == [{"t": f"{T}08:05:00.1234567Z"}]
