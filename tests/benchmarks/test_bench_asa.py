"""The benchmark compares like with like: its hand-written DuckDB queries give exactly the job's rows."""

from __future__ import annotations

from pathlib import Path

import bench_asa

from footfall.asa import AsaProject, Engine
from footfall.asa.engine import connect
from footfall.asa.job import DEFAULT_PROJECT
from footfall.asa.testing import compare_rows


def redeliver_some(parquet: Path) -> Path:
    """The events again with every 20th delivered a second time, 20 s later (at least once)."""
    out = parquet.with_name(parquet.stem + "-redelivered.parquet")
    con = connect()
    con.execute(f"""COPY (
        SELECT * FROM read_parquet('{parquet}')
        UNION ALL
        SELECT * REPLACE (strftime(CAST(EventEnqueuedUtcTime AS TIMESTAMP) + INTERVAL 20 SECOND,
                                   '%Y-%m-%dT%H:%M:%S.%gZ') AS EventEnqueuedUtcTime)
        FROM read_parquet('{parquet}') WHERE hash(event_id) % 20 = 0
        ORDER BY EventEnqueuedUtcTime) TO '{out}' (FORMAT parquet)""")
    con.close()
    return out


def test_the_hand_written_baseline_gives_exactly_the_engines_rows(tmp_path: Path):
    stores = tmp_path / "stores.csv"
    bench_asa.write_stores(stores, n_stores=20, n_cities=5)
    generated = bench_asa.generate(tmp_path, 20_000, n_stores=20)
    files = {table: redeliver_some(parquet) for table, (_, parquet) in generated.items()}
    project = AsaProject.load(DEFAULT_PROJECT)
    out = Engine(project.script, project.job_config).run(bench_asa._sources(files, "Parquet", stores))
    con = connect()
    bench_asa.load_by_hand(con, files, "Parquet", stores)
    job = project.job_config
    store_sql, zone_sql = bench_asa.hand_sql(job.events_late_arrival_max_delay_s, job.events_out_of_order_max_delay_s)
    for alias, sql in (("store_windows", store_sql), ("zone_windows", zone_sql)):
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        by_hand = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        assert len(by_hand) > 500, alias
        assert compare_rows(by_hand, out[alias]) == [], alias
    assert sum(r["photos"] for r in out["store_windows"]) == 20_000  # every photo once, redelivered or not
    suppressed = [r for r in out["store_windows"] if r["suppressed"]]
    assert 0 < len(suppressed) < len(out["store_windows"])
    assert all(r["visitors"] > 0 for r in out["store_windows"] if r["photos"] == 0)
