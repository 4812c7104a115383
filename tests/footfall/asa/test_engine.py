"""The engine runs each supported Stream Analytics construct the way Azure documents it."""

from __future__ import annotations

import time

import pytest

from footfall.asa import AsaError, JobConfig
from footfall.asa.engine import Engine, connect

T = "2026-11-23T"


def ev(ts: str, **fields: object) -> dict:
    """An event at ``T + ts`` (UTC) with extra fields."""
    return {"time": f"{T}{ts}Z", **fields}


# -- steps, INTO, TIMESTAMP BY, System.Timestamp() ----------------------------------------------

def test_with_steps_feed_later_steps_and_several_outputs_without_semicolons(run_query):
    out = run_query(
        """
        WITH Big AS (SELECT id, v FROM input TIMESTAMP BY time WHERE v > 1),
        Bigger AS (SELECT id, v * 10 AS v10 FROM Big)
        SELECT id, v10 INTO first FROM Bigger
        SELECT id INTO second FROM Big WHERE v = 3
        """,
        [ev("08:00:00", id="a", v=1), ev("08:00:01", id="b", v=2), ev("08:00:02", id="c", v=3)],
    )
    assert out["first"] == [{"id": "b", "v10": 20}, {"id": "c", "v10": 30}]
    assert out["second"] == [{"id": "c"}]


def test_system_timestamp_of_a_plain_select_is_the_timestamp_by_value(run_query):
    out = run_query("SELECT id, System.Timestamp() AS t INTO out FROM input TIMESTAMP BY time",
                    [ev("08:00:00.250", id="a")])
    assert out["out"] == [{"id": "a", "t": f"{T}08:00:00.2500000Z"}]


def test_timestamp_by_an_expression_with_an_alias(run_query):
    out = run_query(
        "SELECT i.id, System.Timestamp() AS t INTO out FROM input i TIMESTAMP BY DATEADD(hour, 1, i.time)",
        [ev("08:00:00", id="a")])
    assert out["out"] == [{"id": "a", "t": f"{T}09:00:00.0000000Z"}]


def test_select_star_keeps_the_event_fields_and_passes_strings_through_unchanged(run_query):
    """A JSON string that looks like a date is still that string in Azure: never rewritten."""
    out = run_query("SELECT * INTO out FROM input TIMESTAMP BY time",
                    [ev("08:00:00", id="a", n=1, day="2026-11-23", stamp="2026-11-23T08:00:00.1+01:00")])
    assert out["out"] == [{"time": f"{T}08:00:00Z", "id": "a", "n": 1, "day": "2026-11-23",
                           "stamp": "2026-11-23T08:00:00.1+01:00"}]


# -- windows ------------------------------------------------------------------------------------

def test_tumbling_window_is_end_inclusive_and_timestamped_at_its_end(run_query):
    out = run_query(
        "SELECT System.Timestamp() AS window_end, COUNT(*) AS n INTO out FROM input TIMESTAMP BY time "
        "GROUP BY TumblingWindow(minute, 5)",
        [ev("08:00:00"), ev("08:00:00.001"), ev("08:05:00"), ev("08:05:00.001"), ev("08:20:00")])
    assert out["out"] == [
        {"window_end": f"{T}08:00:00.0000000Z", "n": 1},
        {"window_end": f"{T}08:05:00.0000000Z", "n": 2},
        {"window_end": f"{T}08:10:00.0000000Z", "n": 1},
        {"window_end": f"{T}08:20:00.0000000Z", "n": 1},
    ]


def test_tumbling_window_with_offset_shifts_the_grid(run_query):
    out = run_query(
        "SELECT System.Timestamp() AS e, COUNT(*) AS n INTO out FROM input TIMESTAMP BY time "
        "GROUP BY TumblingWindow(minute, 60, 30)",
        [ev("08:29:00"), ev("08:31:00")])
    assert [r["e"] for r in out["out"]] == [f"{T}08:30:00.0000000Z", f"{T}09:30:00.0000000Z"]


def test_hopping_window_counts_an_event_in_every_window_that_holds_it(run_query):
    out = run_query(
        "SELECT System.Timestamp() AS e, COUNT(*) AS n, SUM(v) AS s, AVG(v) AS a INTO out "
        "FROM input TIMESTAMP BY time GROUP BY HoppingWindow(minute, 10, 5)",
        [ev("08:01:00", v=1), ev("08:06:00", v=3)])
    assert out["out"] == [
        {"e": f"{T}08:05:00.0000000Z", "n": 1, "s": 1, "a": 1.0},
        {"e": f"{T}08:10:00.0000000Z", "n": 2, "s": 4, "a": 2.0},
        {"e": f"{T}08:15:00.0000000Z", "n": 1, "s": 3, "a": 3.0},
    ]


def test_hopping_window_duration_form(run_query):
    out = run_query(
        "SELECT System.Timestamp() AS e, COUNT(*) AS n INTO out FROM input TIMESTAMP BY time "
        "GROUP BY HoppingWindow(Duration(minute, 10), Hop(minute, 5))",
        [ev("08:05:00")])
    assert [r["e"] for r in out["out"]] == [f"{T}08:05:00.0000000Z", f"{T}08:10:00.0000000Z"]


def test_sliding_window_outputs_when_an_event_enters_or_leaves(run_query):
    out = run_query(
        "SELECT k, System.Timestamp() AS e, COUNT(*) AS n, SUM(v) AS s, AVG(v) AS a INTO out "
        "FROM input TIMESTAMP BY time GROUP BY k, SlidingWindow(second, 10)",
        [ev("08:00:00", k="x", v=2), ev("08:00:03", k="y", v=7), ev("08:00:05", k="x", v=4)])
    # x: enters 00 and 05, 00 leaves at 10 (window (00,10] still holds 05), 05 leaves at 15 (empty).
    assert out["out"] == [
        {"k": "x", "e": f"{T}08:00:00.0000000Z", "n": 1, "s": 2, "a": 2.0},
        {"k": "y", "e": f"{T}08:00:03.0000000Z", "n": 1, "s": 7, "a": 7.0},
        {"k": "x", "e": f"{T}08:00:05.0000000Z", "n": 2, "s": 6, "a": 3.0},
        {"k": "x", "e": f"{T}08:00:10.0000000Z", "n": 1, "s": 4, "a": 4.0},
    ]


def test_having_filters_windows(run_query):
    out = run_query(
        "SELECT k, COUNT(*) AS n INTO out FROM input TIMESTAMP BY time "
        "GROUP BY k, TumblingWindow(minute, 15) HAVING COUNT(*) >= 2",
        [ev("08:01:00", k="a"), ev("08:02:00", k="a"), ev("08:03:00", k="b")])
    assert out["out"] == [{"k": "a", "n": 2}]


def test_a_windowed_step_can_be_windowed_again(run_query):
    out = run_query(
        """
        WITH Q AS (SELECT k, COUNT(*) AS n FROM input TIMESTAMP BY time GROUP BY k, TumblingWindow(minute, 15))
        SELECT System.Timestamp() AS e, SUM(n) AS n INTO out FROM Q GROUP BY TumblingWindow(hour, 1)
        """,
        [ev("08:00:00", k="a"), ev("08:59:00", k="a"), ev("08:46:00", k="b"), ev("09:00:01", k="a")])
    assert out["out"] == [{"e": f"{T}08:00:00.0000000Z", "n": 1}, {"e": f"{T}09:00:00.0000000Z", "n": 2},
                          {"e": f"{T}10:00:00.0000000Z", "n": 1}]


def test_union_keeps_every_row_of_both_streams_and_a_later_window_sums_them(run_query):
    # UNION (Azure Stream Analytics): "UNION incorporates all rows into the results. This includes duplicates."
    out = run_query(
        """
        WITH Both AS (
            SELECT k, 1 AS a, 0 AS b FROM input TIMESTAMP BY time
            UNION
            SELECT k, 0 AS a, 1 AS b FROM other TIMESTAMP BY time
        )
        SELECT k, System.Timestamp() AS e, SUM(a) AS a, SUM(b) AS b INTO out FROM Both
        GROUP BY k, TumblingWindow(minute, 15)
        SELECT k INTO raw FROM input TIMESTAMP BY time UNION SELECT k FROM other TIMESTAMP BY time
        """,
        [ev("08:01:00", k="x"), ev("08:02:00", k="x")],
        other=[ev("08:02:00", k="x"), ev("08:16:00", k="y")],
    )
    assert out["out"] == [{"k": "x", "e": f"{T}08:15:00.0000000Z", "a": 2, "b": 1},
                          {"k": "y", "e": f"{T}08:30:00.0000000Z", "a": 0, "b": 1}]
    assert sorted(r["k"] for r in out["raw"]) == ["x", "x", "x", "y"]


# -- APPLY, JOIN ----------------------------------------------------------------------------------

ITEMS = [ev("08:00:00", id="a", xs=[{"v": 1}, {"v": 2}]), ev("08:00:01", id="b", xs=[])]


def test_cross_apply_get_array_elements_gives_a_row_per_element(run_query):
    out = run_query("SELECT e.id, x.ArrayIndex AS i, x.ArrayValue.v AS v INTO out FROM input e TIMESTAMP BY time "
                    "CROSS APPLY GetArrayElements(e.xs) AS x", ITEMS)
    assert out["out"] == [{"id": "a", "i": 0, "v": 1}, {"id": "a", "i": 1, "v": 2}]


def test_outer_apply_keeps_events_with_an_empty_array(run_query):
    out = run_query("SELECT e.id, x.ArrayIndex AS i, x.ArrayValue.v AS v INTO out FROM input e TIMESTAMP BY time "
                    "OUTER APPLY GetArrayElements(e.xs) AS x", ITEMS)
    assert out["out"] == [{"id": "a", "i": 0, "v": 1}, {"id": "a", "i": 1, "v": 2}, {"id": "b", "i": None, "v": None}]


STORES = [{"store_id": "S1", "city": "Oslo"}, {"store_id": "S2", "city": "Bergen"}]


def test_reference_data_join_and_left_outer_join(run_query):
    events = [ev("08:00:00", store_id="S1"), ev("08:00:01", store_id="S9")]
    inner = run_query("SELECT e.store_id, s.city INTO out FROM input e TIMESTAMP BY time "
                      "JOIN stores s ON e.store_id = s.store_id", events, STORES)
    left = run_query("SELECT e.store_id, s.city INTO out FROM input e TIMESTAMP BY time "
                     "LEFT OUTER JOIN stores s ON e.store_id = s.store_id", events, STORES)
    assert inner["out"] == [{"store_id": "S1", "city": "Oslo"}]
    assert left["out"] == [{"store_id": "S1", "city": "Oslo"}, {"store_id": "S9", "city": None}]


# -- scalar functions -----------------------------------------------------------------------------

def test_case_cast_and_count_distinct(run_query):
    out = run_query(
        """SELECT COUNT(DISTINCT u) AS users, COUNT(*) AS n,
                  SUM(CASE WHEN CAST(v AS bigint) > 2 THEN 1 ELSE 0 END) AS big,
                  SUM(CAST(v AS float)) / COUNT(*) AS mean,
                  CAST(CASE WHEN COUNT(*) > 2 THEN 1 ELSE 0 END AS bit) AS many
           INTO out FROM input TIMESTAMP BY time GROUP BY TumblingWindow(hour, 1)""",
        [ev("08:10:00", u="x", v="1"), ev("08:11:00", u="x", v="3"), ev("08:12:00", u="y", v="5")])
    assert out["out"] == [{"users": 2, "n": 3, "big": 2, "mean": 3.0, "many": True}]


def test_cast_datetime_to_string_is_iso_8601_utc(run_query):
    out = run_query("SELECT CONCAT('k|', id, '|', CAST(System.Timestamp() AS nvarchar(max))) AS key, "
                    "CAST(n AS nvarchar(max)) AS s INTO out FROM input TIMESTAMP BY time",
                    [ev("08:00:00.5", id="a", n=7)])
    assert out["out"] == [{"key": f"k|a|{T}08:00:00.5000000Z", "s": "7"}]


def test_dateadd_and_datediff(run_query):
    out = run_query(
        """SELECT DATEADD(minute, -15, System.Timestamp()) AS start,
                  DATEADD(day, 1, time) AS tomorrow,
                  DATEDIFF(second, time, DATEADD(mi, 2, time)) AS secs,
                  DATEDIFF(hour, '2026-11-23T07:59:59Z', time) AS hours
           INTO out FROM input TIMESTAMP BY time""",
        [ev("08:00:00")])
    assert out["out"] == [{"start": f"{T}07:45:00.0000000Z", "tomorrow": "2026-11-24T08:00:00.0000000Z",
                           "secs": 120, "hours": 1}]


def test_string_and_null_functions(run_query):
    out = run_query("SELECT UPPER(a) AS up, LEN(a) AS n, ISNULL(b, 'none') AS b, IIF(c > 1, 'y', 'n') AS c, "
                    "SUBSTRING(a, 2, 2) AS mid INTO out FROM input TIMESTAMP BY time",
                    [ev("08:00:00", a="oslo", b=None, c=2)])
    assert out["out"] == [{"up": "OSLO", "n": 4, "b": "none", "c": "y", "mid": "sl"}]


# -- analytic functions: LAG, LAST, ISFIRST (examples of Microsoft's query-patterns article) ---------

CARS = [ev("00:00:01", Make="Honda", Plate="ABC-123"), ev("00:00:02", Make="Honda", Plate="AAA-999"),
        ev("00:00:03", Make="Toyota", Plate="DEF-987"), ev("00:00:04", Make="Honda", Plate="GHI-345")]


def test_lag_looks_one_event_back_within_the_duration(run_query):
    out = run_query("""SELECT Make, Plate, LAG(Plate, 1) OVER (LIMIT DURATION(second, 90)) AS previous
                       INTO out FROM input TIMESTAMP BY time
                       WHERE LAG(Make, 1) OVER (LIMIT DURATION(second, 90)) = Make""",
                    CARS)
    assert out["out"] == [{"Make": "Honda", "Plate": "AAA-999", "previous": "ABC-123"}]


def test_lag_is_evaluated_before_where_and_honours_partition_offset_default_and_duration(run_query):
    out = run_query("""SELECT Plate,
                         LAG(Plate) OVER (PARTITION BY Make LIMIT DURATION(second, 2)) AS same_make,
                         LAG(Plate, 2, 'none') OVER (LIMIT DURATION(minute, 1)) AS two_back
                       INTO out FROM input TIMESTAMP BY time WHERE Make = 'Honda'""", CARS)
    assert out["out"] == [{"Plate": "ABC-123", "same_make": None, "two_back": "none"},
                          {"Plate": "AAA-999", "same_make": "ABC-123", "two_back": "none"},
                          {"Plate": "GHI-345", "same_make": "AAA-999", "two_back": "AAA-999"}]
    late = run_query("SELECT Plate, LAG(Plate) OVER (PARTITION BY Make LIMIT DURATION(second, 1)) AS p INTO out "
                     "FROM input TIMESTAMP BY time WHERE Plate = 'GHI-345'", CARS)
    assert late["out"] == [{"Plate": "GHI-345", "p": None}]  # the previous Honda is 2 s back


def test_lag_and_last_with_when_consider_only_matching_events(run_query):
    clicks = [ev("00:00:01", user="u", event="start"), ev("00:00:05", user="u", event="click"),
              ev("00:00:08", user="u", event="end")]
    out = run_query("""SELECT DATEDIFF(second, LAST(time) OVER (PARTITION BY user LIMIT DURATION(hour, 1)
                                                           WHEN event = 'start'), time) AS duration,
                              LAG(event) OVER (LIMIT DURATION(hour, 1) WHEN event <> 'click') AS before
                       INTO out FROM input TIMESTAMP BY time WHERE event = 'end'""", clicks)
    assert out["out"] == [{"duration": 7, "before": "start"}]


def test_isfirst_marks_the_first_event_of_each_tumbling_interval(run_query):
    events = [ev("00:00:05", p="DXE 5291", m="Honda"), ev("00:02:17", p="YZK 5704", m="Ford"),
              ev("00:05:01", p="RMV 8282", m="Honda"), ev("00:12:02", p="QYF 9358", m="Honda")]
    first = run_query("SELECT p INTO out FROM input TIMESTAMP BY time WHERE IsFirst(minute, 10) = 1", events)
    per_make = run_query("SELECT p, ISFIRST(minute, 10) OVER (PARTITION BY m WHEN p <> 'DXE 5291') AS f "
                         "INTO out FROM input TIMESTAMP BY time", events)
    assert first["out"] == [{"p": "DXE 5291"}, {"p": "QYF 9358"}]
    assert per_make["out"] == [{"p": "DXE 5291", "f": 0}, {"p": "YZK 5704", "f": 1}, {"p": "RMV 8282", "f": 1},
                               {"p": "QYF 9358", "f": 1}]


def test_select_star_hides_the_analytic_columns(run_query):
    out = run_query("SELECT *, LAG(Plate) OVER (LIMIT DURATION(minute, 1)) AS p INTO out FROM input TIMESTAMP BY time",
                    CARS[:2])
    assert [sorted(r) for r in out["out"]] == [["Make", "Plate", "p", "time"]] * 2


def test_analytic_functions_need_limit_duration_and_name_what_is_wrong(run_query):
    with pytest.raises(AsaError, match=r"LAG without LIMIT DURATION \(line 2\)"):
        run_query("SELECT\n LAG(Make) OVER (PARTITION BY Make) AS p INTO out FROM input TIMESTAMP BY time", CARS)


# -- clear errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("sql", "construct", "line"),
    [
        ("SELECT id,\n  SUM(v) OVER (LIMIT DURATION(minute, 1)) AS p\nINTO out FROM input TIMESTAMP BY time",
         "SUM() OVER", 2),
        ("SELECT COUNT(*) AS n INTO out FROM input TIMESTAMP BY time\nGROUP BY SessionWindow(minute, 5)",
         "SessionWindow with 2 arguments", 2),
        ("SELECT id INTO out FROM input TIMESTAMP BY time\nORDER BY id", "ORDER BY", 1),
        ("SELECT id INTO out\nFROM input TIMESTAMP BY time\nWHERE Fancy(id) = 1", "Fancy()", 3),
        ("SELECT COUNT(*) AS n INTO out FROM input TIMESTAMP BY time\nGROUP BY id", "GROUP BY without a window", 2),
        ("SELECT COUNT(*) AS n INTO out FROM input TIMESTAMP BY time", "aggregate without a window", 1),
        ("SELECT a.id INTO out FROM input a TIMESTAMP BY time\nJOIN other b TIMESTAMP BY time\n"
         "ON a.id = b.id", "without DATEDIFF", 2),
        ("SELECT id INTO out FROM input TIMESTAMP BY time\nEXCEPT\nSELECT id FROM other TIMESTAMP BY time",
         "EXCEPT", 1),
        ("SELECT e.id INTO out FROM input e TIMESTAMP BY time\n"
         "CROSS APPLY Unfold(e.rec) AS p", "APPLY Unfold()", 2),
        ("SELECT CAST(id AS record) AS r INTO out\nFROM input TIMESTAMP BY time", "CAST to", 1),
    ],
)
def test_unsupported_constructs_are_named_with_their_line(run_query, sql, construct, line):
    with pytest.raises(AsaError) as err:
        run_query(sql, [ev("08:00:00", id="a")], other=[ev("08:00:00", id="a")])
    message = str(err.value)
    assert construct in message
    assert f"line {line}" in message


def test_a_syntax_error_names_its_line(run_query):
    with pytest.raises(AsaError, match="line 2"):
        run_query("SELECT id INTO out\nFROM input TIMESTAMP BY time WHERE (id = \n", [ev("08:00:00", id="a")])


def test_an_unknown_input_is_named(run_query):
    with pytest.raises(AsaError, match=r"line 2: 'nosuch' is neither an input nor a step"):
        run_query("SELECT id INTO out\nFROM nosuch", [ev("08:00:00", id="a")])


def test_an_unknown_input_is_named_at_its_use_not_at_a_comment(run_query):
    with pytest.raises(AsaError, match=r"line 3: 'nosuch' is neither an input nor a step"):
        run_query("-- reads nosuch\nSELECT id INTO out\nFROM nosuch", [ev("08:00:00", id="a")])


def test_a_select_without_into_writes_to_the_default_output(run_query):
    """INTO (reference page): "If not specified, the default output stream is 'output'"."""
    assert run_query("SELECT id FROM input TIMESTAMP BY time", [ev("08:00:00", id="a")]) == {"output": [{"id": "a"}]}


def test_group_by_system_timestamp_groups_events_with_the_same_timestamp(run_query):
    out = run_query("SELECT COUNT(DISTINCT v) AS n, System.Timestamp() AS t INTO out FROM input TIMESTAMP BY time "
                    "GROUP BY System.Timestamp() HAVING n > 1",
                    [ev("08:00:00", v=1), ev("08:00:00", v=2), ev("08:00:00", v=2), ev("08:00:01", v=3)])
    assert out["out"] == [{"n": 2, "t": f"{T}08:00:00.0000000Z"}]


def test_date_string_and_math_functions_number_as_t_sql_does(run_query):
    out = run_query(
        """SELECT DATEPART(weekday, t) AS wd, DATEPART(week, t) AS wk, DAY(t) AS d, MONTH(t) AS m, YEAR(t) AS y,
                  DATENAME(weekday, t) AS dn, DATENAME(month, t) AS mn, REPLACE(s, 'b', 'X') AS r,
                  CHARINDEX('c', s) AS c1, CHARINDEX('c', s, 6) AS c2, CHARINDEX('z', s) AS c0, LTRIM(s) AS l,
                  RTRIM(s) AS rt, NULLIF(n, -3) AS nn, POWER(n, 2) AS p, SIGN(n) AS sg
           INTO out FROM input TIMESTAMP BY t""",
        [{"t": "2026-01-04T10:00:00Z", "s": "  abcabc  ", "n": -3}])
    # 4 January 2026 is a Sunday: weekday 1, and week 2 (week 1 is Thursday 1 to Saturday 3 January).
    assert out["out"] == [{"wd": 1, "wk": 2, "d": 4, "m": 1, "y": 2026, "dn": "Sunday", "mn": "January",
                           "r": "  aXcaXc  ", "c1": 5, "c2": 8, "c0": 0, "l": "abcabc  ", "rt": "  abcabc",
                           "nn": None, "p": 9.0, "sg": -1}]


def test_arrival_time_is_the_timestamp_without_timestamp_by(run_query):
    out = run_query("SELECT id, System.Timestamp() AS t INTO out FROM input",
                    [{"id": "a", "EventEnqueuedUtcTime": f"{T}08:00:03Z"}])
    assert out["out"] == [{"id": "a", "t": f"{T}08:00:03.0000000Z"}]


def test_without_timestamp_by_or_arrival_time_events_pass_but_cannot_be_windowed(run_query):
    assert run_query("SELECT id INTO out FROM input", [{"id": "a"}], job=JobConfig())["out"] == [{"id": "a"}]
    with pytest.raises(AsaError, match="line 1: 'input' has no event times to window"):
        run_query("SELECT COUNT(*) AS n INTO out FROM input GROUP BY TumblingWindow(minute, 1)", [{"id": "a"}])


def test_select_star_with_apply_shows_the_element_as_a_record(run_query):
    out = run_query("SELECT * INTO out FROM input e TIMESTAMP BY time CROSS APPLY GetArrayElements(e.xs) AS x",
                    [ev("08:00:00", id="a", xs=[{"v": 1}])])
    assert out["out"] == [{"time": f"{T}08:00:00Z", "id": "a", "xs": [{"v": 1}],
                           "x": {"ArrayIndex": 0, "ArrayValue": {"v": 1}}}]


def test_nested_apply_over_an_element_array(run_query):
    out = run_query(
        "SELECT e.id, y.ArrayValue AS w INTO out FROM input e TIMESTAMP BY time "
        "CROSS APPLY GetArrayElements(e.xs) AS x CROSS APPLY GetArrayElements(x.ArrayValue.ws) AS y",
        [ev("08:00:00", id="a", xs=[{"ws": [1, 2]}, {"ws": [3]}])])
    assert out["out"] == [{"id": "a", "w": 1}, {"id": "a", "w": 2}, {"id": "a", "w": 3}]


def test_datepart_try_cast_and_round(run_query):
    out = run_query("SELECT DATEPART(hour, time) AS h, TRY_CAST(bad AS bigint) AS n, "
                    "TRY_CAST(bad AS datetime) AS d, ROUND(CAST(x AS float) / 3, 2) AS r "
                    "INTO out FROM input TIMESTAMP BY time",
                    [ev("08:30:00", bad="oops", x=1)])
    assert out["out"] == [{"h": 8, "n": None, "d": None, "r": 0.33}]


@pytest.mark.parametrize(
    ("window", "construct"),
    [("TumblingWindow(minute, n)", "non-constant size"), ("TumblingWindow(fortnight, 1)", "time unit"),
     ("HoppingWindow(minute, 10)", "without a hop size"), ("SlidingWindow(second, 10, 5)", "with an offset")],
)
def test_malformed_windows_are_refused(run_query, window, construct):
    with pytest.raises(AsaError, match=construct):
        run_query(f"SELECT COUNT(*) AS c INTO out FROM input TIMESTAMP BY time GROUP BY {window}",
                  [ev("08:00:00")])


def test_timestamps_inside_records_are_utc_whatever_the_local_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        con = connect()
        _, rows = Engine._fetch(con, "SELECT TIMESTAMP '2026-11-23 08:00:00' AS __ts, "
                                     "{'t': TIMESTAMP '2026-11-23 08:00:00'} AS s")
        con.close()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert rows[0][0] == {"t": "2026-11-23T08:00:00.0000000Z"}  # values first, the time last


def test_a_value_that_fails_a_cast_drops_its_event_with_a_counted_warning(tmp_path):
    """Data errors never abort the job: the event whose weight is not a number is dropped and
    counted, the others are summed (Microsoft's 'Convert data types' pattern)."""
    import json

    from footfall.asa import Engine, InputSource

    path = tmp_path / "input.json"
    rows = [{"Make": "Honda", "Time": f"{T}00:00:01Z", "Weight": "1000"},
            {"Make": "Honda", "Time": f"{T}00:00:02Z", "Weight": "heavy"},
            {"Make": "Honda", "Time": f"{T}00:00:03Z", "Weight": "2000"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    engine = Engine("SELECT Make, SUM(CAST(Weight AS BIGINT)) AS Weight FROM Input TIMESTAMP BY Time\n"
                    "GROUP BY Make, TumblingWindow(second, 10)")
    out = engine.run({"input": InputSource(alias="input", path=path)})
    assert out == {"output": [{"Make": "Honda", "Weight": 3000}]}
    assert [(d.input, d.count, d.action, d.reason) for d in engine.dropped] == [
        ("output", 1, "dropped", "a value fails its CAST (data error)")]
    assert run_try_cast_is_null(tmp_path) == [{"w": None}]


def run_try_cast_is_null(tmp_path) -> list[dict]:
    from footfall.asa import Engine, InputSource

    path = tmp_path / "try.json"
    path.write_text('{"Time": "2026-11-23T00:00:01Z", "Weight": "heavy"}\n')
    return Engine("SELECT TRY_CAST(Weight AS bigint) AS w FROM Input TIMESTAMP BY Time").run(
        {"input": InputSource(alias="input", path=path)})["output"]


def test_topone_collecttop_and_percentiles_rank_the_window_by_order_by(run_query):
    events = [ev("00:00:01", v=3, n="a"), ev("00:00:02", v=1, n="b"), ev("00:00:03", v=3, n="c"),
              ev("00:00:04", v=2, n="d")]
    out = run_query("""SELECT TopOne() OVER (ORDER BY v DESC, time ASC) AS top,
                              CollectTop(2) OVER (ORDER BY v DESC) AS tops,
                              PERCENTILE_CONT(0.5) OVER (ORDER BY v) AS pc,
                              PERCENTILE_DISC(0.5) OVER (ORDER BY v) AS pd,
                              PERCENTILE_DISC(0.6) OVER (ORDER BY v) AS pd6
                       INTO out FROM input TIMESTAMP BY time GROUP BY TumblingWindow(minute, 1)""", events)
    (row,) = out["out"]
    assert row["top"] == events[0]  # the whole event, as it came
    assert [(t["rank"], t["value"]["n"]) for t in row["tops"]] == [(1, "a"), (1, "c")]  # a tie shares rank 1
    # PERCENTILE_CONT interpolates (1, 2, 3, 3 -> 2.5); PERCENTILE_DISC takes the first value whose
    # cumulative distribution reaches p (T-SQL): 2 for 0.5, 3 for 0.6.
    assert (row["pc"], row["pd"], row["pd6"]) == (2.5, 2, 3)


def test_session_window_closes_on_timeout_or_at_the_max_duration_check(run_query):
    """Timeout 5 min, maximum 10 min (checked at multiples of 10 min): 00:01 and 00:03 close at
    00:08 (no event within 5 min); the session starting 00:09 is cut at the 00:20 check; 00:22
    starts another, closed at 00:27. Per user with OVER (PARTITION BY)."""
    times = ["00:01", "00:03", "00:09", "00:10", "00:14", "00:18", "00:22"]
    events = sorted([ev(f"{t}:00", u="a") for t in times] + [ev("00:02:00", u="b")], key=lambda e: e["time"])
    out = run_query("SELECT COUNT(*) AS n, System.Timestamp() AS e INTO out FROM input TIMESTAMP BY time "
                    "GROUP BY SessionWindow(minute, 5, 10)", [e for e in events if e["u"] == "a"])
    assert [(r["n"], r["e"][11:16]) for r in out["out"]] == [(2, "00:08"), (4, "00:20"), (1, "00:27")]
    per_user = run_query("SELECT u, COUNT(*) AS n, System.Timestamp() AS e INTO out FROM input TIMESTAMP BY time "
                         "GROUP BY u, SessionWindow(Timeout(minute, 5), MaxDuration(minute, 10)) OVER (PARTITION BY u)",
                         events)
    assert [(r["u"], r["n"], r["e"][11:16]) for r in per_user["out"]] == [
        ("b", 1, "00:07"), ("a", 2, "00:08"), ("a", 4, "00:20"), ("a", 1, "00:27")]


def test_stream_join_is_bounded_by_datediff_and_stamped_with_the_later_event(run_query):
    """JOIN reference page: DATEDIFF(unit, a, b) BETWEEN lo AND hi bounds b's time after a's; a result
    is stamped with the later of the pair; an unmatched left event (LEFT JOIN) when the bound expires."""
    entries = [ev("00:00:00", plate="A"), ev("00:00:10", plate="B")]
    exits = [ev("00:00:03", plate="A"), ev("00:00:30", plate="B")]
    sql = ("SELECT e.plate, x.plate AS out_plate, System.Timestamp() AS t INTO out FROM input e TIMESTAMP BY time "
           "{} JOIN other x TIMESTAMP BY time ON e.plate = x.plate AND DATEDIFF(second, e, x) BETWEEN 0 AND 5")
    inner = run_query(sql.format(""), entries, other=exits)["out"]
    left = run_query(sql.format("LEFT OUTER"), entries, other=exits)["out"]
    assert inner == [{"plate": "A", "out_plate": "A", "t": f"{T}00:00:03.0000000Z"}]
    assert left == [{"plate": "A", "out_plate": "A", "t": f"{T}00:00:03.0000000Z"},
                    {"plate": "B", "out_plate": None, "t": f"{T}00:00:15.0000000Z"}]


def test_select_star_writes_each_event_with_its_own_fields(run_query):
    """Events with different fields: SELECT * adds no NULL field an event never had (an explicit null stays)."""
    out = run_query("SELECT * INTO out FROM input TIMESTAMP BY time",
                    [ev("08:00:00", a=1), ev("08:00:01", b="x"), ev("08:00:02", a=None)])
    assert out["out"] == [{"time": f"{T}08:00:00Z", "a": 1}, {"time": f"{T}08:00:01Z", "b": "x"},
                          {"time": f"{T}08:00:02Z", "a": None}]


def test_windows_aggregates_over_several_windows_told_apart_by_system_window_id(run_query):
    out = run_query("""SELECT System.Window().Id AS w, System.Timestamp() AS e, COUNT(*) AS n INTO out
                       FROM input TIMESTAMP BY time
                       GROUP BY Windows(Window('ten', TumblingWindow(minute, 10)),
                                        Window('five', TumblingWindow(minute, 5)))""",
                    [ev("00:01:00"), ev("00:06:00")])
    assert sorted((r["w"], r["e"][11:16], r["n"]) for r in out["out"]) == [
        ("five", "00:05", 1), ("five", "00:10", 1), ("ten", "00:10", 2)]


def test_statistical_aggregates_collect_patindex_and_datetimefromparts(run_query):
    out = run_query("""SELECT STDEV(v) AS sd, STDEVP(v) AS sdp, VAR(v) AS var, VARP(v) AS varp, COLLECT(v) AS vs,
                              SQUARE(MAX(v)) AS sq
                       INTO out FROM input TIMESTAMP BY time GROUP BY TumblingWindow(minute, 1)""",
                    [ev("00:00:01", v=2), ev("00:00:02", v=4), ev("00:00:03", v=6)])
    (row,) = out["out"]
    assert (row["sd"], row["sdp"] ** 2, row["var"], row["varp"] * 3, row["vs"], row["sq"]) == (
        2.0, pytest.approx(8 / 3), 4.0, pytest.approx(8.0), [2, 4, 6], 36.0)
    scalars = run_query("""SELECT PATINDEX('%ter%', s) AS anywhere, PATINDEX('wa%', s) AS start,
                                  PATINDEX('%z%', s) AS none,
                                  DATETIMEFROMPARTS(2026, 11, 23, 8, 15, 30, 250) AS t
                           INTO out FROM input TIMESTAMP BY time""", [ev("00:00:01", s="interesting water")])
    assert scalars["out"] == [{"anywhere": 3, "start": 0, "none": 0, "t": f"{T}08:15:30.2500000Z"}]
