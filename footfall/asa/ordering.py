"""Event ordering: the late-arrival and out-of-order policies of ``JobConfig.json``.

As Stream Analytics documents them, both apply only to a stream read with ``TIMESTAMP BY``:

1. **Late arrival.** An event whose event time is earlier than its arrival time minus the
   late-arrival tolerance is dropped, or (``Adjust``) its timestamp becomes
   ``arrival - tolerance``. A tolerance of -1 means indefinite: nothing is late.
2. **Out of order.** Then, in arrival order, an event earlier than the latest timestamp seen
   so far minus the out-of-order tolerance is dropped, or (``Adjust``) its timestamp becomes
   ``latest - tolerance``. Events within the tolerance are simply reordered.

One policy (``EventsOutOfOrderPolicy``: Adjust or Drop) governs both, as in the job settings.
The event's own fields are never changed; only its timestamp (``System.Timestamp()``) is.
"""

from __future__ import annotations

import duckdb

from footfall.asa.config import JobConfig
from footfall.asa.inputs import arrival_sql
from footfall.asa.translate import q


def create_stream(con: duckdb.DuckDBPyConnection, raw: str, target: str, ts_sql: str | None, job: JobConfig,
                  alias: str | None = None) -> None:
    """Create stream table ``target`` (with ``__ts``) from raw input table ``raw``.

    ``ts_sql`` is the translated ``TIMESTAMP BY`` expression, or None for arrival time; it may
    refer to the input by ``alias``.
    """
    if ts_sql is None:
        con.execute(f"CREATE VIEW {q(target)} AS SELECT *, {arrival_sql(con, raw)} AS __ts FROM {q(raw)}")
        return
    drop = job.events_out_of_order_policy == "Drop"
    late = job.events_late_arrival_max_delay_s
    ooo = job.events_out_of_order_max_delay_s
    source = f"{q(raw)} AS {q(alias)}" if alias else q(raw)
    # Timestamps are computed on a narrow (__seq, times) relation and joined back, so the
    # arrival-order sort never moves the events' payload.
    prefix = f"{q(alias or raw)}."
    steps = [f"t0 AS (SELECT {prefix}rowid AS __seq, {arrival_sql(con, raw, prefix)} AS __arrival, "
             f"asa_datetime({ts_sql}) AS __t0 FROM {source})"]
    if late >= 0:
        bound = f"__arrival - to_seconds({late})"
        is_late = f"(__arrival IS NOT NULL AND __t0 < {bound})"
        if drop:
            steps.append(f"t1 AS (SELECT *, __t0 AS __t1 FROM t0 WHERE NOT {is_late})")
        else:
            steps.append(f"t1 AS (SELECT *, CASE WHEN {is_late} THEN {bound} ELSE __t0 END AS __t1 FROM t0)")
    else:
        steps.append("t1 AS (SELECT *, __t0 AS __t1 FROM t0)")
    steps.append(
        "t2 AS (SELECT *, max(__t1) OVER (ORDER BY __arrival NULLS FIRST, __seq "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS __maxprev FROM t1)"
    )
    bound = f"__maxprev - to_seconds({ooo})"
    out_of_order = f"(__maxprev IS NOT NULL AND __t1 < {bound})"
    if drop:
        final = f"SELECT __seq, __t1 AS __ts FROM t2 WHERE NOT {out_of_order}"
    else:
        final = f"SELECT __seq, CASE WHEN {out_of_order} THEN {bound} ELSE __t1 END AS __ts FROM t2"
    con.execute(f"CREATE TABLE {q(target + '__ts')} AS WITH {', '.join(steps)} {final}")
    con.execute(
        f"CREATE VIEW {q(target)} AS SELECT r.*, t.__ts "
        f"FROM {q(raw)} AS r JOIN {q(target + '__ts')} AS t ON r.rowid = t.__seq"
    )
