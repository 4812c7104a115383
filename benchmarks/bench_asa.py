"""Benchmark: the local Stream Analytics engine on one fleet day.

Generates N FrameEvents (default 5 million) from 1,000 stores over one day, with DuckDB,
straight to JSON lines (as the ingest function's local event log holds them, plus Event Hubs'
EventEnqueuedUtcTime 0.2-3 s after capture, in arrival order) and to Parquet, then runs
stream_analytics/footfall.asaql on both and prints seconds and events/s:

* ``json``    - parse the JSON lines and aggregate (the whole local job as `footfall asa run` does it);
* ``parquet`` - the same events from Parquet (no JSON parsing), to show what parsing costs.

Generation time is printed but not counted. Target: the day in <= 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from footfall.asa import Engine, InputSource
from footfall.asa.engine import connect
from footfall.asa.job import DEFAULT_PROJECT

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


def run(script: str, events: Path, fmt: str, stores: Path) -> tuple[float, dict[str, int]]:
    """Run the job once; returns seconds and rows per output."""
    engine = Engine(script)
    started = time.perf_counter()
    out = engine.run({
        "frames": InputSource(alias="frames", path=events, format=fmt),
        "stores": InputSource(alias="stores", path=stores, format="Csv", is_reference=True),
    })
    return time.perf_counter() - started, {k: len(v) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
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
              f"(JSON lines {size_mb:,.0f} MB, Parquet {parquet.stat().st_size / 1e6:,.0f} MB)")
        script = (DEFAULT_PROJECT / "footfall.asaql").read_text()
        for label, path, fmt in (("json (parse JSON lines + aggregate)", jsonl, "Json"),
                                 ("parquet (aggregate, no JSON parsing)", parquet, "Parquet")):
            secs, rows = run(script, path, fmt, stores)
            verdict = "OK" if secs <= 60 else "over the 60 s target"
            print(f"asa engine, {label}: {secs:.1f} s, {args.events / secs:,.0f} events/s, "
                  f"rows {rows} [{verdict}]")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
