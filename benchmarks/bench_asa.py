"""Benchmark: the local Stream Analytics engine on one fleet day, side by side with DuckDB by hand.

Generates N FrameEvents (default 5 million) from 1,000 stores over one day, with DuckDB, 80% of them
visit crops (at most one face) and 20% whole frames (0-6 faces), plus the CountEvents of one
entrance camera and one zone camera per store, one a minute over 12 hours (1.44 million for 1,000
stores). Both go straight to JSON lines (as the local event log holds them: Event Hubs'
EventEnqueuedUtcTime a little after the event time, in arrival order, and the partition,
PartitionId = one of 8) and to Parquet. Then, each in its own process (so each peak memory is its own):

* ``engine``   - stream_analytics/footfall.asaql on the local engine (event ordering per partition,
  every step and output, rows returned as Python dicts), as ``footfall asa run`` does it;
* ``by hand``  - the same aggregation written directly in DuckDB SQL over the same files (late
  arrival and out-of-order adjustment per partition, first deliveries only, 15-minute store windows
  of photos and door counts, k-anonymity of visit faces, zone windows), rows fetched the same way.

Prints seconds (the fastest of ``--repeat`` alternating runs), events/s, peak RSS of each, and
the engine / by-hand ratio (target <= 1.3), for JSON lines (parsing included) and for Parquet.
Generation time is not counted. Figures move with other work on the machine: the load average
is printed beside them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from footfall.asa import AsaProject, Engine, InputSource
from footfall.asa.engine import connect
from footfall.asa.job import DEFAULT_PROJECT
from footfall.machine import load_average
from footfall.stream_job import DEDUPLICATION_HOURS
from functions.aggregates import CATEGORIES, COUNT_COLUMNS, DWELL_COLUMNS, UNKNOWN
from functions.contracts import DEFAULT_K, DWELL_BUCKET_NAMES

REGIONS = [("US Northeast", "US"), ("US West", "US"), ("UK South", "GB"), ("DE East", "DE"), ("IN South", "IN"),
           ("JP Kanto", "JP"), ("AU East", "AU"), ("FR North", "FR"), ("BR Southeast", "BR"), ("CA Central", "CA")]
OPEN_MINUTES = 12 * 60


def write_stores(path: Path, n_stores: int = 1000, n_cities: int = 100) -> Path:
    """1,000 stores in 100 cities in 10 regions, and beside them their cameras (one entrance, one zone camera)."""
    lines = ["store_id,store_name,city,country,region,time_zone,opening_hours"]
    cameras = ["store_id,camera_id,role,zones"]
    for s in range(1, n_stores + 1):
        c = s % n_cities
        region, country = REGIONS[c % len(REGIONS)]
        lines.append(f"S{s:04d},Store {s},City {c:03d},{country},{region},UTC,08:00-20:00")
        cameras += [f"S{s:04d},C01,entrance,", f"S{s:04d},C02,zone,floor;tills"]
    path.write_text("\n".join(lines) + "\n")
    cameras_csv = path.with_name("cameras.csv")
    cameras_csv.write_text("\n".join(cameras) + "\n")
    return cameras_csv


def generate(directory: Path, n_events: int, n_stores: int = 1000) -> dict[str, tuple[Path, Path]]:
    """Write the day's events: ``{"frames": (jsonl, parquet), "counts": (jsonl, parquet)}``."""
    con = connect()
    day_us = 86_400_000_000
    con.execute(f"""
        CREATE TABLE frames AS
        WITH base AS (
            SELECT i,
                   TIMESTAMP '2026-11-23' + to_microseconds(CAST(i * {day_us} // {n_events} AS BIGINT)) AS ts,
                   CAST(hash(i, 'faces') % 100 AS INTEGER) AS r,
                   hash(i, 'kind') % 5 <> 0 AS visit
            FROM range({n_events}) t(i)
        ), sized AS (
            SELECT *, CASE WHEN visit THEN CASE WHEN r < 15 THEN 0 ELSE 1 END
                           WHEN r < 35 THEN 0 WHEN r < 65 THEN 1 WHEN r < 82 THEN 2 WHEN r < 91 THEN 3
                           WHEN r < 96 THEN 4 WHEN r < 99 THEN 5 ELSE 6 END AS nf
            FROM base
        )
        SELECT
            'footfall.frame.v2' AS schema,
            printf('%032x', i) AS event_id,
            strftime(ts, '%Y-%m-%dT%H:%M:%SZ') AS captured_at,
            printf('S%04d', 1 + hash(i, 'store') % {n_stores}) AS store_id,
            CASE WHEN visit THEN 'C01' ELSE 'C02' END AS camera_id,
            CASE WHEN visit THEN 'visit' ELSE 'frame' END AS kind,
            nf AS face_count,
            list_transform(range(nf), lambda x: {{
                'age': CAST(NULL AS BIGINT),
                'age_band': ['0-17', '18-24', '25-34', '35-44', '45-54', '55-64', '65+', NULL]
                            [CAST(hash(i, x, 'a') % 8 AS INTEGER) + 1],
                'gender': CASE hash(i, x, 'g') % 3 WHEN 0 THEN 'female' WHEN 1 THEN 'male' ELSE NULL END,
                'emotion': ['anger', 'contempt', 'disgust', 'fear', 'happiness', 'neutral', 'sadness',
                            'surprise', NULL][CAST(hash(i, x, 'e') % 9 AS INTEGER) + 1],
                'emotion_score': 0.9
            }}) AS faces,
            'face-service/1.0' AS analyzer,
            CAST(hash(printf('S%04d', 1 + hash(i, 'store') % {n_stores})) % 8 AS VARCHAR) AS PartitionId,
            strftime(ts + INTERVAL 1 SECOND, '%Y-%m-%dT%H:%M:%SZ') AS processed_at,
            strftime(ts + to_milliseconds(CAST(200 + hash(i, 'enq') % 2800 AS BIGINT)),
                     '%Y-%m-%dT%H:%M:%S.%gZ') AS EventEnqueuedUtcTime
        FROM sized
        ORDER BY EventEnqueuedUtcTime, i
    """)
    hist = ", ".join(f"'{name}': CAST(CASE WHEN b = {i} THEN v ELSE 0 END AS BIGINT)"
                     for i, name in enumerate(DWELL_BUCKET_NAMES))
    con.execute(f"""
        CREATE TABLE counts AS
        WITH grid AS (
            SELECT s, m, cam, TIMESTAMP '2026-11-23 08:00:00' + to_minutes(m) AS ws,
                   printf('S%04d', s) AS store_id, CAST(hash(s, m, cam) % 7 AS BIGINT) AS v,
                   CAST(hash(s, m, cam, 'b') % 7 AS INTEGER) AS b
            FROM range(1, {n_stores} + 1) a(s), range({OPEN_MINUTES}) b(m), range(2) c(cam)
        )
        SELECT
            'footfall.count.v1' AS schema,
            printf('%032x', hash(s, m, cam)) AS event_id,
            store_id,
            CASE WHEN cam = 0 THEN 'C01' ELSE 'C02' END AS camera_id,
            strftime(ws, '%Y-%m-%dT%H:%M:%SZ') AS window_start,
            strftime(ws + INTERVAL 1 MINUTE, '%Y-%m-%dT%H:%M:%SZ') AS window_end,
            CAST(600 AS BIGINT) AS frames,
            [{{'line': 'door', 'entries': v, 'exits': CAST(hash(s, m, 'x') % 7 AS BIGINT)}}] AS lines,
            CASE WHEN cam = 0 THEN []
                 ELSE [{{'zone': 'floor', 'occupancy_mean': v * 0.5, 'occupancy_max': v, 'visits': v,
                         'dwell_s_sum': v * 90.0, 'dwell_histogram': {{{hist}}}}}]
            END AS zones,
            CAST(hash(store_id) % 8 AS VARCHAR) AS PartitionId,
            strftime(ws + INTERVAL 1 MINUTE + to_milliseconds(CAST(100 + hash(s, m, cam, 'enq') % 2000 AS BIGINT)),
                     '%Y-%m-%dT%H:%M:%S.%gZ') AS EventEnqueuedUtcTime
        FROM grid
        ORDER BY EventEnqueuedUtcTime, event_id
    """)
    files = {}
    for table in ("frames", "counts"):
        jsonl, parquet = directory / f"{table}-0001.jsonl", directory / f"{table}.parquet"
        con.execute(f"COPY {table} TO '{jsonl}' (FORMAT json)")
        con.execute(f"COPY {table} TO '{parquet}' (FORMAT parquet)")
        files[table] = (jsonl, parquet)
    con.close()
    return files


def _demographic_sql() -> list[str]:
    """Per visit face, one count per demographic column (from the contracts' categories)."""
    out = []
    for cat in CATEGORIES:
        for value in cat.values:
            out.append(f"count(*) FILTER (WHERE kind = 'visit' AND f.{cat.event_field} = '{value}') "
                       f"AS {cat.column(value)}")
        out.append(f"count(*) FILTER (WHERE kind = 'visit' AND fi IS NOT NULL AND f.{cat.event_field} IS NULL) "
                   f"AS {cat.column(UNKNOWN)}")
    return out


def _timed(table: str, time_field: str, fields: str, late_s: int, ooo_s: int) -> str:
    """A stream's event ordering by hand: early events dropped, late ones adjusted, then out-of-order
    ones adjusted to the partition's latest time - tolerance (policy Adjust), per partition; then
    each event_id's first delivery only (none of the same id in the hour before it)."""
    return f"""
    {table}_ev AS (
        SELECT rowid AS seq, event_id, {fields}, PartitionId AS part,
               CAST(EventEnqueuedUtcTime AS TIMESTAMP_NS) AS arrival, CAST({time_field} AS TIMESTAMP_NS) AS t0
        FROM {table}
    ), {table}_late AS (
        SELECT *, CASE WHEN t0 < arrival - INTERVAL {late_s} SECOND THEN arrival - INTERVAL {late_s} SECOND
                       ELSE t0 END AS t1
        FROM {table}_ev WHERE t0 IS NOT NULL AND t0 <= arrival + INTERVAL 300 SECOND
    ), {table}_ordered AS (
        SELECT *, max(t1) OVER (PARTITION BY part ORDER BY arrival, seq
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev FROM {table}_late
    ), {table}_ts AS (
        SELECT event_id, {fields},
               CASE WHEN t1 < prev - INTERVAL {ooo_s} SECOND THEN prev - INTERVAL {ooo_s} SECOND ELSE t1 END AS ts
        FROM {table}_ordered
    ), {table}_timed AS (
        SELECT {fields}, make_timestamp_ns(((epoch_ns(ts) + 899999999999) // 900000000000) * 900000000000) AS we
        FROM {table}_ts
        QUALIFY coalesce(lag(ts) OVER (PARTITION BY event_id ORDER BY ts) < ts - INTERVAL {DEDUPLICATION_HOURS} HOUR,
                         TRUE)
    )"""


def _iso(column: str) -> str:
    return f"left(strftime({column}, '%Y-%m-%dT%H:%M:%S.%n'), 27) || 'Z'"


def hand_sql(late_s: int, ooo_s: int, k: int = DEFAULT_K) -> tuple[str, str]:
    """The job's aggregation written by hand in DuckDB: (store_windows SQL, zone_windows SQL)."""
    frames = _timed("frames", "captured_at", "store_id, kind, faces", late_s, ooo_s)
    counts = _timed("counts", "window_end", "store_id, camera_id, lines, zones", late_s, ooo_s)
    totals = ["photos", "visit_photos", "visit_faces", "sightings", "visitors", "exits"]
    store = f"""
WITH {frames}, {counts}, face_rows AS (
    SELECT store_id, kind, we,
           unnest(CASE WHEN len(faces) > 0 THEN faces ELSE [NULL] END) AS f,
           unnest(CASE WHEN len(faces) > 0 THEN range(len(faces)) ELSE [NULL] END) AS fi
    FROM frames_timed
), photo_w AS (
    SELECT store_id, we,
           count(*) FILTER (WHERE fi IS NULL OR fi = 0) AS photos,
           count(*) FILTER (WHERE kind = 'visit' AND (fi IS NULL OR fi = 0)) AS visit_photos,
           count(fi) FILTER (WHERE kind = 'visit') AS visit_faces,
           count(fi) FILTER (WHERE kind = 'frame') AS sightings,
           {", ".join(_demographic_sql())}
    FROM face_rows GROUP BY ALL
), door_w AS (
    SELECT l.store_id, l.we, sum(l.line.entries) AS visitors, sum(l.line.exits) AS exits
    FROM (SELECT store_id, camera_id, we, unnest(lines) AS line FROM counts_timed) l
    JOIN cameras cam ON l.store_id = cam.store_id AND l.camera_id = cam.camera_id
    WHERE cam.role = 'entrance'
    GROUP BY ALL
), store_w AS (
    SELECT coalesce(p.store_id, d.store_id) AS store_id, coalesce(p.we, d.we) AS we,
           {", ".join(f"coalesce(p.{c}, 0) AS {c}" for c in totals if c not in ("visitors", "exits"))},
           coalesce(d.visitors, 0) AS visitors, coalesce(d.exits, 0) AS exits,
           {", ".join(f"coalesce(p.{c}, 0) AS {c}" for c in COUNT_COLUMNS)}
    FROM photo_w p FULL OUTER JOIN door_w d ON p.store_id = d.store_id AND p.we = d.we
)
SELECT w.store_id || '|' || {_iso("w.we")} AS id, 'store_window' AS doc_type, w.store_id,
       s.store_name, s.city, s.country, s.region, s.time_zone,
       {_iso("w.we - INTERVAL 15 MINUTE")} AS window_start, {_iso("w.we")} AS window_end,
       {", ".join(f"w.{c}" for c in totals)},
       {", ".join(f"CASE WHEN w.visit_faces >= {k} THEN w.{c} END AS {c}" for c in COUNT_COLUMNS)},
       w.visit_faces < {k} AS suppressed
FROM store_w w LEFT JOIN stores s ON w.store_id = s.store_id
ORDER BY w.we, id
"""
    dwell = ", ".join(f"sum(z.zone.dwell_histogram.{b}) AS {c.name}"
                      for b, c in zip(DWELL_BUCKET_NAMES, DWELL_COLUMNS, strict=True))
    zone = f"""
WITH {counts}
SELECT z.store_id || '|' || z.zone.zone || '|' || {_iso("z.we")} AS id, 'zone_window' AS doc_type,
       z.store_id, z.zone.zone AS zone, {_iso("z.we - INTERVAL 15 MINUTE")} AS window_start,
       {_iso("z.we")} AS window_end, sum(z.zone.visits) AS visits, sum(z.zone.dwell_s_sum) AS dwell_s_sum, {dwell},
       avg(z.zone.occupancy_mean) AS occupancy_mean, max(z.zone.occupancy_max) AS occupancy_max
FROM (SELECT store_id, we, unnest(zones) AS zone FROM counts_timed) z
GROUP BY z.store_id, z.zone.zone, z.we
ORDER BY z.we, id
"""
    return store, zone


def _sources(files: dict[str, Path], fmt: str, stores: Path) -> dict[str, InputSource]:
    return {
        "frames": InputSource(alias="frames", path=files["frames"], format=fmt),
        "counts": InputSource(alias="counts", path=files["counts"], format=fmt),
        "stores": InputSource(alias="stores", path=stores, format="Csv", is_reference=True),
        "cameras": InputSource(alias="cameras", path=stores.with_name("cameras.csv"), format="Csv",
                               is_reference=True),
    }


def run_engine(files: dict[str, Path], fmt: str, stores: Path) -> tuple[float, int]:
    """Run the job on the engine; returns seconds and rows (of both outputs)."""
    project = AsaProject.load(DEFAULT_PROJECT)
    started = time.perf_counter()
    out = Engine(project.script, project.job_config).run(_sources(files, fmt, stores))
    return time.perf_counter() - started, sum(len(v) for v in out.values())


def load_by_hand(con: duckdb.DuckDBPyConnection, files: dict[str, Path], fmt: str, stores: Path) -> None:
    """The tables the hand-written SQL reads: only the columns it needs."""
    from footfall.asa.inputs import EVENT_COLUMNS
    from functions.contracts import COUNT_SCHEMA, FRAME_SCHEMA

    wanted = {"frames": ("event_id", "captured_at", "store_id", "kind", "faces", "PartitionId", "EventEnqueuedUtcTime"),
              "counts": ("event_id", "window_end", "store_id", "camera_id", "lines", "zones", "PartitionId",
                         "EventEnqueuedUtcTime")}
    schemas = {"frames": FRAME_SCHEMA, "counts": COUNT_SCHEMA}
    for table, columns in wanted.items():
        declared = {**EVENT_COLUMNS[schemas[table]], "PartitionId": "VARCHAR"}
        spec = "{" + ", ".join(f"'{c}': '{declared[c]}'" for c in columns) + "}"
        reader = (f"read_parquet('{files[table]}')" if fmt == "Parquet" else
                  f"read_json('{files[table]}', format = 'newline_delimited', columns = {spec})")
        con.execute(f"CREATE TABLE {table} AS SELECT {', '.join(columns)} FROM {reader}")
    for name, path in (("stores", stores), ("cameras", stores.with_name("cameras.csv"))):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', header = true, all_varchar = true)")


def run_by_hand(files: dict[str, Path], fmt: str, stores: Path) -> tuple[float, int]:
    """The same aggregation in DuckDB SQL; returns seconds and rows (of both outputs)."""
    started = time.perf_counter()
    con = connect()
    load_by_hand(con, files, fmt, stores)
    job = AsaProject.load(DEFAULT_PROJECT).job_config
    rows = sum(len(con.execute(sql).fetchall())
               for sql in hand_sql(job.events_late_arrival_max_delay_s, job.events_out_of_order_max_delay_s))
    con.close()
    return time.perf_counter() - started, rows


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; getrusage's ru_maxrss would include the peak
    of the process that started it, which survives exec on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Measured = tuple[float, int, float]
"""Seconds, rows, peak RSS in MB."""


def _measure(target: str, files: dict[str, Path], fmt: str, stores: Path,
             queue: multiprocessing.Queue[Measured]) -> None:
    secs, rows = (run_engine if target == "engine" else run_by_hand)(files, fmt, stores)
    queue.put((secs, rows, peak_rss_mb()))


def measure(target: str, files: dict[str, Path], fmt: str, stores: Path) -> tuple[float, int, float]:
    """Run ``target`` in a fresh process: seconds, rows, peak RSS in MB."""
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[Measured] = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(target, files, fmt, stores, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--formats", default="json,parquet", help="json, parquet or both")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, alternating; the fastest counts")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench_asa_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        stores = work / "stores.csv"
        write_stores(stores)
        t0 = time.perf_counter()
        generated = generate(work, args.events)
        gen = time.perf_counter() - t0
        n_counts = 1000 * 2 * OPEN_MINUTES
        size_mb = sum(j.stat().st_size for j, _ in generated.values()) / 1e6
        parquet_mb = sum(p.stat().st_size for _, p in generated.values()) / 1e6
        print(f"generated {args.events:,} FrameEvents and {n_counts:,} CountEvents from 1,000 stores for one day "
              f"in {gen:.1f} s (JSON lines {size_mb:,.0f} MB, Parquet {parquet_mb:,.0f} MB); "
              f"{load_average()}")
        for label, index, fmt in (("json", 0, "Json"), ("parquet", 1, "Parquet")):
            if label not in args.formats:
                continue
            files = {table: paths[index] for table, paths in generated.items()}
            runs: dict[str, list[tuple[float, int, float]]] = {"engine": [], "hand": []}
            for _ in range(args.repeat):  # alternating, so a burst of load from elsewhere hits both
                for target in runs:
                    runs[target].append(measure(target, files, fmt, stores))
            engine, hand = min(runs["engine"]), min(runs["hand"])
            ratio = engine[0] / hand[0]
            events = args.events + n_counts
            for name, (secs, rows, rss) in (("engine", engine), ("by hand", hand)):
                print(f"{label:8s}{name:8s} {secs:6.1f} s  {events / secs:>10,.0f} events/s  "
                      f"peak RSS {rss:,.0f} MB  rows {rows:,}")
            verdict = "OK" if ratio <= 1.3 else "over the 1.3x target"
            print(f"{label:8s}engine / by hand = {ratio:.2f} [{verdict}]; {load_average()}")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
