"""Benchmark: the local Stream Analytics engine on one fleet day, side by side with DuckDB by hand.

Generates N FrameEvents (default 5 million) from 1,000 stores over one day, with DuckDB,
straight to JSON lines (as the local event log holds them: Event Hubs' EventEnqueuedUtcTime
0.2-3 s after capture, in arrival order, and the partition, PartitionId = one of 8) and to
Parquet. Then, each in its own process (so each peak memory is its own):

* ``engine``   - stream_analytics/footfall.asaql on the local engine (event ordering per partition,
  every step and output, rows returned as Python dicts), as ``footfall asa run`` does it;
* ``by hand``  - the same aggregation written directly in DuckDB SQL over the same file (late
  arrival and out-of-order adjustment per partition, 15-minute store windows, hourly city and
  region roll-ups of published store windows, k-anonymity), rows fetched the same way.

Prints seconds, events/s, peak RSS of each, and the engine / by-hand ratio (target <= 1.3),
for JSON lines (parsing included) and for Parquet. Generation time is not counted.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from footfall.asa import AsaProject, Engine, InputSource
from footfall.asa.engine import connect
from footfall.asa.job import DEFAULT_PROJECT
from functions.reports.models import AGE_COLUMNS, COUNT_COLUMNS, EMOTION_COLUMNS, GENDER_COLUMNS

REGIONS = [("US Northeast", "US"), ("US West", "US"), ("UK South", "GB"), ("DE East", "DE"), ("IN South", "IN"),
           ("JP Kanto", "JP"), ("AU East", "AU"), ("FR North", "FR"), ("BR Southeast", "BR"), ("CA Central", "CA")]


def write_stores(path: Path, n_stores: int = 1000, n_cities: int = 100) -> None:
    """1,000 stores in 100 cities in 10 regions."""
    lines = ["store_id,store_name,city,country,region,time_zone"]
    for s in range(1, n_stores + 1):
        c = s % n_cities
        region, country = REGIONS[c % len(REGIONS)]
        lines.append(f"S{s:04d},Store {s},City {c:03d},{country},{region},UTC")
    path.write_text("\n".join(lines) + "\n")


def generate(directory: Path, n_events: int, n_stores: int = 1000) -> tuple[Path, Path]:
    """Write the day's events to ``frames-0001.jsonl`` and ``frames.parquet``."""
    con = connect()
    day_us = 86_400_000_000
    con.execute(f"""
        CREATE TABLE ev AS
        WITH base AS (
            SELECT i,
                   TIMESTAMP '2026-11-23' + to_microseconds(CAST(i * {day_us} // {n_events} AS BIGINT)) AS ts,
                   CAST(hash(i, 'faces') % 100 AS INTEGER) AS r
            FROM range({n_events}) t(i)
        ), sized AS (
            SELECT *, CASE WHEN r < 35 THEN 0 WHEN r < 65 THEN 1 WHEN r < 82 THEN 2 WHEN r < 91 THEN 3
                           WHEN r < 96 THEN 4 WHEN r < 99 THEN 5 ELSE 6 END AS nf
            FROM base
        )
        SELECT
            'footfall.frame.v1' AS schema,
            printf('%032x', i) AS event_id,
            strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS captured_at,
            printf('S%04d', 1 + hash(i, 'store') % {n_stores}) AS store_id,
            'C01' AS camera_id,
            nf AS face_count,
            list_transform(range(nf), lambda x: {{
                'age': CAST(hash(i, x, 'a') % 85 + 3 AS BIGINT),
                'age_band': CASE WHEN hash(i, x, 'a') % 85 + 3 < 18 THEN '0-17'
                                 WHEN hash(i, x, 'a') % 85 + 3 < 25 THEN '18-24'
                                 WHEN hash(i, x, 'a') % 85 + 3 < 35 THEN '25-34'
                                 WHEN hash(i, x, 'a') % 85 + 3 < 45 THEN '35-44'
                                 WHEN hash(i, x, 'a') % 85 + 3 < 55 THEN '45-54'
                                 WHEN hash(i, x, 'a') % 85 + 3 < 65 THEN '55-64' ELSE '65+' END,
                'gender': CASE hash(i, x, 'g') % 3 WHEN 0 THEN 'female' WHEN 1 THEN 'male' ELSE NULL END,
                'emotion': ['anger', 'contempt', 'disgust', 'fear', 'happiness', 'neutral', 'sadness',
                            'surprise', NULL][CAST(hash(i, x, 'e') % 9 AS INTEGER) + 1],
                'emotion_score': 0.9
            }}) AS faces,
            'face-service/1.0' AS analyzer,
            CAST(hash(printf('S%04d', 1 + hash(i, 'store') % {n_stores})) % 8 AS VARCHAR) AS PartitionId,
            strftime(ts + INTERVAL 200 MILLISECOND, '%Y-%m-%dT%H:%M:%S.%gZ') AS processed_at,
            strftime(ts + to_milliseconds(CAST(200 + hash(i, 'enq') % 2800 AS BIGINT)),
                     '%Y-%m-%dT%H:%M:%S.%gZ') AS EventEnqueuedUtcTime
        FROM sized
        ORDER BY EventEnqueuedUtcTime, i
    """)
    jsonl, parquet = directory / "frames-0001.jsonl", directory / "frames.parquet"
    con.execute(f"COPY ev TO '{jsonl}' (FORMAT json)")
    con.execute(f"COPY ev TO '{parquet}' (FORMAT parquet)")
    con.close()
    return jsonl, parquet


def _count_sql() -> list[str]:
    """Per-face count expressions of every demographic column (models.*_COLUMNS)."""
    out = [f"count(*) FILTER (WHERE f.gender = '{g}') AS {c}" for g, c in GENDER_COLUMNS.items() if g != "unknown"]
    out.append("count(*) FILTER (WHERE fi IS NOT NULL AND f.gender IS NULL) AS gender_unknown")
    out += [f"count(*) FILTER (WHERE f.age_band = '{b}') AS {c}" for b, c in AGE_COLUMNS.items() if b != "unknown"]
    out.append("count(*) FILTER (WHERE fi IS NOT NULL AND f.age_band IS NULL) AS age_unknown")
    out += [f"count(*) FILTER (WHERE f.emotion = '{e}') AS {c}" for e, c in EMOTION_COLUMNS.items()]
    return out


def hand_sql(late_s: int, ooo_s: int) -> str:
    """The job's aggregation written by hand in DuckDB: the cosmos rows (powerbi is the same rows
    without id and pk): per-partition event ordering (Adjust), 15-minute store windows, hourly
    city and region roll-ups of published store windows, k-anonymity (k = 5)."""
    counts = ", ".join(_count_sql())
    sums = ", ".join(f"sum({c}) FILTER (WHERE faces >= 5) AS {c}" for c in COUNT_COLUMNS)
    return f"""
WITH ev AS (
    SELECT rowid AS seq, store_id, faces, PartitionId AS part,
           CAST(EventEnqueuedUtcTime AS TIMESTAMP_NS) AS arrival, CAST(captured_at AS TIMESTAMP_NS) AS t0
    FROM frames
), late AS (
    SELECT *, CASE WHEN t0 < arrival - INTERVAL {late_s} SECOND THEN arrival - INTERVAL {late_s} SECOND ELSE t0 END AS t1
    FROM ev WHERE t0 IS NOT NULL AND t0 <= arrival + INTERVAL 300 SECOND
), ordered AS (
    SELECT *, max(t1) OVER (PARTITION BY part ORDER BY arrival, seq
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev FROM late
), timed AS (
    SELECT store_id, faces,
           CASE WHEN t1 < prev - INTERVAL {ooo_s} SECOND THEN prev - INTERVAL {ooo_s} SECOND ELSE t1 END AS ts
    FROM ordered
), face_rows AS (
    SELECT t.store_id, s.store_name, s.city, s.country, s.region,
           make_timestamp_ns(((epoch_ns(t.ts) + 899999999999) // 900000000000) * 900000000000) AS we,
           unnest(CASE WHEN len(t.faces) > 0 THEN t.faces ELSE [NULL] END) AS f,
           unnest(CASE WHEN len(t.faces) > 0 THEN range(len(t.faces)) ELSE [NULL] END) AS fi
    FROM timed t LEFT JOIN stores s ON t.store_id = s.store_id
), store_w AS (
    SELECT store_id, store_name, city, country, region, we,
           count(*) FILTER (WHERE fi IS NULL OR fi = 0) AS frames, count(fi) AS faces, {counts},
           count(f.emotion) AS emotion_known, coalesce(sum(f.age), 0) AS age_sum, count(f.age) AS age_known
    FROM face_rows GROUP BY ALL
), parents AS (
    SELECT level, key, country, region,
           make_timestamp_ns(((epoch_ns(we) + 3599999999999) // 3600000000000) * 3600000000000) AS we,
           sum(frames) AS frames, sum(faces) AS faces, coalesce(sum(faces) FILTER (WHERE faces >= 5), 0) AS published,
           {sums}, sum(emotion_known) FILTER (WHERE faces >= 5) AS emotion_known,
           sum(age_sum) FILTER (WHERE faces >= 5) AS age_sum, sum(age_known) FILTER (WHERE faces >= 5) AS age_known
    FROM (SELECT 'city' AS level, city AS key, * FROM store_w WHERE city IS NOT NULL
          UNION ALL SELECT 'region', region, * FROM store_w WHERE region IS NOT NULL)
    GROUP BY level, key, country, region, 5
), published AS (
    SELECT 'store' AS level, store_id AS key, faces AS published, * EXCLUDE (we), we FROM store_w
    UNION ALL BY NAME
    SELECT *, CASE WHEN level = 'city' THEN key END AS city FROM parents
)
SELECT level || '|' || key || '|' || left(strftime(we, '%Y-%m-%dT%H:%M:%S.%n'), 27) || 'Z' AS id, level || '|' || key AS pk,
       level, left(strftime(we - CASE level WHEN 'store' THEN INTERVAL 15 MINUTE ELSE INTERVAL 1 HOUR END,
                            '%Y-%m-%dT%H:%M:%S.%n'), 27) || 'Z' AS window_start,
       left(strftime(we, '%Y-%m-%dT%H:%M:%S.%n'), 27) || 'Z' AS window_end,
       store_id, store_name, city, country, region, frames, faces,
       {", ".join(f"CASE WHEN published >= 5 THEN {c} END AS {c}" for c in COUNT_COLUMNS)},
       CASE WHEN published >= 5 AND age_known > 0 THEN age_sum / age_known END AS avg_age,
       CASE WHEN published >= 5 AND emotion_known > 0 THEN emotion_happiness / emotion_known END AS happiness_share,
       published < 5 AS suppressed
FROM published ORDER BY we, id
"""


def run_engine(events: Path, fmt: str, stores: Path) -> tuple[float, int]:
    """Run the job on the engine; returns seconds and rows (of both outputs)."""
    project = AsaProject.load(DEFAULT_PROJECT)
    started = time.perf_counter()
    out = Engine(project.script, project.job_config).run({
        "frames": InputSource(alias="frames", path=events, format=fmt),
        "stores": InputSource(alias="stores", path=stores, format="Csv", is_reference=True),
    })
    return time.perf_counter() - started, sum(len(v) for v in out.values())


def run_by_hand(events: Path, fmt: str, stores: Path) -> tuple[float, int]:
    """The same aggregation in DuckDB SQL; returns seconds and rows (of both outputs)."""
    started = time.perf_counter()
    con = connect()
    cols = "captured_at, store_id, faces, PartitionId, EventEnqueuedUtcTime"
    reader = (f"read_parquet('{events}')" if fmt == "Parquet" else
              f"read_json('{events}', format = 'newline_delimited', columns = {{'captured_at': 'VARCHAR', "
              "'store_id': 'VARCHAR', 'faces': 'STRUCT(age BIGINT, age_band VARCHAR, gender VARCHAR, emotion VARCHAR, "
              "emotion_score DOUBLE)[]', 'PartitionId': 'VARCHAR', 'EventEnqueuedUtcTime': 'VARCHAR'})")
    con.execute(f"CREATE TABLE frames AS SELECT {cols} FROM {reader}")
    con.execute(f"CREATE TABLE stores AS SELECT * FROM read_csv('{stores}', header = true, all_varchar = true)")
    job = AsaProject.load(DEFAULT_PROJECT).job_config
    cosmos = con.execute(hand_sql(job.events_late_arrival_max_delay_s, job.events_out_of_order_max_delay_s)).fetchall()
    powerbi = [row[2:] for row in cosmos]
    con.close()
    return time.perf_counter() - started, len(cosmos) + len(powerbi)


def _measure(target: str, events: Path, fmt: str, stores: Path, queue: multiprocessing.Queue) -> None:
    secs, rows = (run_engine if target == "engine" else run_by_hand)(events, fmt, stores)
    queue.put((secs, rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(target: str, events: Path, fmt: str, stores: Path) -> tuple[float, int, float]:
    """Run ``target`` in a fresh process: seconds, rows, peak RSS in MB."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(target, events, fmt, stores, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--formats", default="json,parquet", help="json, parquet or both")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench_asa_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        stores = work / "stores.csv"
        write_stores(stores)
        t0 = time.perf_counter()
        jsonl, parquet = generate(work, args.events)
        gen = time.perf_counter() - t0
        size_mb = jsonl.stat().st_size / 1e6
        print(f"generated {args.events:,} FrameEvents from 1,000 stores for one day in {gen:.1f} s "
              f"(JSON lines {size_mb:,.0f} MB, Parquet {parquet.stat().st_size / 1e6:,.0f} MB); "
              f"load average {os.getloadavg()[0]:.2f}")
        for label, path, fmt in (("json", jsonl, "Json"), ("parquet", parquet, "Parquet")):
            if label not in args.formats:
                continue
            engine = measure("engine", path, fmt, stores)
            hand = measure("hand", path, fmt, stores)
            ratio = engine[0] / hand[0]
            for name, (secs, rows, rss) in (("engine", engine), ("by hand", hand)):
                print(f"{label:8s}{name:8s} {secs:6.1f} s  {args.events / secs:>10,.0f} events/s  "
                      f"peak RSS {rss:,.0f} MB  rows {rows:,}")
            verdict = "OK" if ratio <= 1.3 else "over the 1.3x target"
            print(f"{label:8s}engine / by hand = {ratio:.2f} [{verdict}]; load average {os.getloadavg()[0]:.2f}")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
