"""The benchmark compares like with like: its hand-written DuckDB query gives exactly the job's rows."""

from __future__ import annotations

import sys
from pathlib import Path

from footfall.asa import AsaProject, Engine, InputSource
from footfall.asa.engine import connect
from footfall.asa.job import DEFAULT_PROJECT
from footfall.asa.testing import compare_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_asa  # noqa: E402


def test_the_hand_written_baseline_gives_exactly_the_engines_cosmos_rows(tmp_path: Path):
    bench_asa.write_stores(tmp_path / "stores.csv", n_stores=50, n_cities=10)
    _, parquet = bench_asa.generate(tmp_path, 20_000, n_stores=50)
    project = AsaProject.load(DEFAULT_PROJECT)
    out = Engine(project.script, project.job_config).run({
        "frames": InputSource(alias="frames", path=parquet, format="Parquet"),
        "stores": InputSource(alias="stores", path=tmp_path / "stores.csv", format="Csv", is_reference=True),
    })
    con = connect()
    con.execute(f"CREATE TABLE frames AS SELECT * FROM read_parquet('{parquet}')")
    con.execute(f"CREATE TABLE stores AS SELECT * FROM read_csv('{tmp_path / 'stores.csv'}', header = true, "
                "all_varchar = true)")
    job = project.job_config
    cursor = con.execute(bench_asa.hand_sql(job.events_late_arrival_max_delay_s, job.events_out_of_order_max_delay_s))
    columns = [d[0] for d in cursor.description]
    by_hand = [dict(zip(columns, row)) for row in cursor.fetchall()]
    assert len(by_hand) > 1000
    assert compare_rows(by_hand, out["cosmos"]) == []
