"""Run the project's Stream Analytics job locally: inputs from files, outputs to JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from footfall.asa.config import AsaProject, InputFile
from footfall.asa.engine import Engine
from footfall.asa.errors import AsaError
from footfall.asa.inputs import InputSource
from footfall.paths import REPO_ROOT, state_dir
from functions.settings import get_settings

DEFAULT_PROJECT = REPO_ROOT / "stream_analytics"


def local_event_log() -> Path:
    """The local event log folder (``FOOTFALL_LOCAL_EVENT_LOG``, default ``<state_dir>/events``)."""
    return get_settings().local_event_log


def _format_of(path: Path, default: str) -> str:
    suffix = path.suffix.lower()
    return {".csv": "Csv", ".parquet": "Parquet", ".json": "Json", ".jsonl": "Json"}.get(suffix, default)


def resolve_inputs(project: AsaProject, overrides: Mapping[str, Path] | None = None,
                   replay: bool = True) -> dict[str, InputSource]:
    """Local files for every input of the project.

    An explicit override wins; then the project's ``InputMock`` file; a data stream without
    either reads the local event log. The log is replayed with each event arriving at its
    capture time (``replay``, what the demo needs: it analyses a simulated day in minutes), or
    with the arrival times it recorded (``replay=False``, a live run).
    """
    overrides = {k.lower(): Path(v) for k, v in (overrides or {}).items()}
    unknown = set(overrides) - set(project.inputs) if project.inputs else set()
    if unknown:
        raise AsaError(f"unknown input alias(es) {sorted(unknown)}; the job has {sorted(project.inputs)}")
    sources: dict[str, InputSource] = {}
    for alias, conf in project.inputs.items():
        default_format = "Csv" if conf.serialization.type == "Csv" else "Json"
        mock: InputFile | None = project.local_inputs.get(alias)
        arrival = "file_order"
        if alias in overrides:
            path = overrides[alias]
        elif mock is not None:
            path = Path(mock.file_path)
        elif not conf.is_reference:
            # The local event log: one folder, one stream per input (<alias>-YYYYMMDD.jsonl).
            path = local_event_log()
            path.mkdir(parents=True, exist_ok=True)  # no log yet: no events, empty outputs
            arrival = "capture_time" if replay else "file_order"
        else:
            raise AsaError(f"reference input {alias!r} has no local file: give --input {alias}=PATH")
        fmt = "Parquet" if path.is_dir() and any(path.glob("*.parquet")) and not any(path.glob("*.json*")) \
            else _format_of(path, default_format)
        sources[alias] = InputSource(alias=alias, path=path, format=fmt, is_reference=conf.is_reference,
                                     arrival=arrival)
    return sources


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows as JSON lines; returns the number written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")
            n += 1
    return n


def run_job(
    project_dir: Path = DEFAULT_PROJECT,
    inputs: Mapping[str, Path] | None = None,
    output_dir: Path | None = None,
    report_database: Path | None = None,
    replay: bool = True,
    k: int | None = None,
) -> dict[str, int]:
    """Run ``project_dir``'s job on local inputs and write ``<output_dir>/<alias>.jsonl``.

    ``inputs`` maps input aliases to files or folders (``frames`` defaults to the local event
    log, ``stores`` to the project's reference CSV). When ``report_database`` is given, every
    output's rows also go to ``footfall.reports.database.ReportDatabase(report_database)``.
    ``replay``: see :func:`resolve_inputs`. Dropped and re-timed events are logged as warnings.
    ``k``, when given, replaces the query's k the way Terraform does (:func:`footfall.stream_job.with_k`).
    Returns the number of rows written per output alias.
    """
    project = AsaProject.load(Path(project_dir))
    sources = resolve_inputs(project, inputs, replay)
    script = project.script
    if k is not None:
        from footfall.stream_job import with_k

        script = with_k(script, k)
    results = Engine(script, project.job_config).run(sources)
    for alias in project.outputs:
        results.setdefault(alias, [])
    out_dir = Path(output_dir) if output_dir else state_dir() / "asa"
    counts = {alias: write_jsonl(out_dir / f"{alias}.jsonl", rows) for alias, rows in results.items()}
    if report_database is not None:
        from footfall.reports.database import ReportDatabase  # lazily: only the demo needs it

        database = ReportDatabase(Path(report_database))
        for alias, rows in results.items():
            database.write_output(alias, rows)
    return counts
