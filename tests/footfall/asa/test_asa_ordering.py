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
    assert {r["id"]: r["time"] for r in out}["1"] == f"{T}00:10:00.000Z"


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
