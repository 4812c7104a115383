"""Event time as Stream Analytics assigns it to a stream read with ``TIMESTAMP BY``.

Following Microsoft's "time handling" and "event ordering" articles, for each event of the
input, in arrival order:

0. **Data errors.** An event whose ``TIMESTAMP BY`` value is null, or is not a datetime (cannot
   be parsed, or is out of range), is dropped and counted: the run carries on.
1. **Early arrival** (fixed at 5 minutes). An event whose event time is more than 5 minutes
   after its arrival time is dropped, whatever the policy, and does not move the watermark.
2. **Late arrival.** An event whose event time is earlier than its arrival time minus the
   late-arrival tolerance is dropped, or (``Adjust``) re-timed to ``arrival - tolerance``.
   A tolerance of -1 means indefinite: nothing is late.
3. **Out of order**, per input partition. Each partition has its own watermark, the largest
   event time seen so far in that partition minus the out-of-order tolerance; an event below
   it is dropped, or (``Adjust``) re-timed to the watermark. With ``TIMESTAMP BY ... OVER
   keys`` (substreams) every key value has its own watermark instead.

The event's own fields are never changed; only its timestamp (``System.Timestamp()``) is.
Events without a known arrival time (local files without ``EventEnqueuedUtcTime``) arrive in
file order, and rules 1 and 2 do not apply to them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import duckdb

from footfall.asa.config import JobConfig
from footfall.asa.errors import DroppedEvents
from footfall.asa.inputs import arrival_sql, fetch_one, partition_sql
from footfall.asa.translate import q

log = logging.getLogger(__name__)

EARLY_ARRIVAL_S = 300
"""Stream Analytics' early-arrival window: fixed, not configurable."""

_REASONS = {
    "null": ("dropped", "its TIMESTAMP BY value is null (data error)"),
    "invalid": ("dropped", "its TIMESTAMP BY value is not a valid datetime (data error)"),
    "early": ("dropped", f"event time more than {EARLY_ARRIVAL_S} s after its arrival time (early input event)"),
}


def create_stream(con: duckdb.DuckDBPyConnection, raw: str, target: str, ts_sql: str | None, job: JobConfig,
                  alias: str | None = None, over: Sequence[str] = (), input_name: str = "",
                  line: int | None = None) -> list[DroppedEvents]:
    """Create stream table ``target`` (with ``__ts``) from raw input table ``raw``.

    ``ts_sql`` is the translated ``TIMESTAMP BY`` expression, or None for arrival time; it and the
    ``over`` (substream key) expressions may refer to the input by ``alias``. Returns what was
    dropped or re-timed, also logged as warnings.
    """
    if ts_sql is None:
        con.execute(f"CREATE VIEW {q(target)} AS SELECT *, {arrival_sql(con, raw)} AS __ts FROM {q(raw)}")
        return []
    drop = job.events_out_of_order_policy == "Drop"
    late = job.events_late_arrival_max_delay_s
    ooo = job.events_out_of_order_max_delay_s
    source = f"{q(raw)} AS {q(alias)}" if alias else q(raw)
    prefix = f"{q(alias or raw)}."
    keys = [partition_sql(con, raw, prefix), *over]
    part = ", ".join(f"{k} AS __k{i}" for i, k in enumerate(keys))
    by = ", ".join(f"__k{i}" for i in range(len(keys)))
    # Timestamps are computed on a narrow (__seq, times) relation and joined back, so the
    # arrival-order sort never moves the events' payload.
    steps = [
        f"t0 AS (SELECT {prefix}rowid AS __seq, {arrival_sql(con, raw, prefix)} AS __arrival, {part}, "
        f"({ts_sql}) IS NULL AS __isnull, asa_datetime({ts_sql}) AS __t0 FROM {source})",
        "t1 AS (SELECT *, CASE WHEN __isnull THEN 'null' WHEN __t0 IS NULL THEN 'invalid' "
        f"WHEN __t0 > __arrival + to_seconds({EARLY_ARRIVAL_S}) THEN 'early' END AS __err FROM t0)",
    ]
    bound = f"__arrival - to_seconds({late})"
    is_late = f"(__err IS NULL AND __t0 < {bound})" if late >= 0 else "FALSE"
    steps.append(f"t2 AS (SELECT *, {is_late} AS __late, CASE WHEN __err IS NOT NULL THEN NULL "
                 f"WHEN {is_late} THEN {'NULL' if drop else bound} ELSE __t0 END AS __t1 FROM t1)")
    steps.append(f"t3 AS (SELECT *, max(__t1) OVER (PARTITION BY {by} ORDER BY __arrival NULLS FIRST, __seq "
                 "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS __maxprev FROM t2)")
    wm = f"__maxprev - to_seconds({ooo})"
    out_of_order = f"(__t1 IS NOT NULL AND __maxprev IS NOT NULL AND __t1 < {wm})"
    final = (f"SELECT __seq, __err, __late, {out_of_order} AS __ooo, "
             f"CASE WHEN {out_of_order} THEN {'NULL' if drop else wm} ELSE __t1 END AS __ts FROM t3")
    times = q(target + "__ts")
    # One row per event, in the raw table's order, so the events zip back without a hash join.
    con.execute(f"CREATE TABLE {times} AS WITH {', '.join(steps)} {final} ORDER BY __seq")
    con.execute(
        f"CREATE VIEW {q(target)} AS SELECT r.*, t.__ts "
        f"FROM {q(raw)} AS r POSITIONAL JOIN (SELECT __ts FROM {times}) AS t WHERE t.__ts IS NOT NULL"
    )
    return _report(con, target + "__ts", input_name or raw, drop, late, ooo, line)


def _report(con: duckdb.DuckDBPyConnection, times: str, name: str, drop: bool, late: int, ooo: int,
            line: int | None) -> list[DroppedEvents]:
    counts = fetch_one(
        con,
        f"SELECT count(*) FILTER (WHERE __err = 'null'), count(*) FILTER (WHERE __err = 'invalid'), "
        f"count(*) FILTER (WHERE __err = 'early'), count(*) FILTER (WHERE __late), "
        f"count(*) FILTER (WHERE __ooo) FROM {q(times)}",
    )
    action = "dropped" if drop else "adjusted"
    found = [
        *(_REASONS[k] + (n,) for k, n in zip(("null", "invalid", "early"), counts[:3], strict=True)),
        (action, f"event time more than {late} s before its arrival time (late input event)", counts[3]),
        (action, f"event time more than {ooo} s behind its partition's latest (out-of-order event)", counts[4]),
    ]
    reports = [DroppedEvents(input=name, reason=reason, action=act, count=n, line=line)
               for act, reason, n in found if n]
    for report in reports:
        log.warning("%s", report)
    return reports
