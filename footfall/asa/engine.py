"""The local Stream Analytics engine: run a parsed query on DuckDB over local input files."""

from __future__ import annotations

import heapq
import json
import logging
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import duckdb
from sqlglot import exp

from footfall.asa.config import JobConfig
from footfall.asa.datetimes import MACROS
from footfall.asa.errors import AsaError, DroppedEvents, UnsupportedConstruct
from footfall.asa.inputs import OWN_FIELDS, InputSource, arrival_sql, fetch_one, load_input
from footfall.asa.ordering import create_stream
from footfall.asa.script import Script, Statement, mask, node_line, parse_script
from footfall.asa.translate import Relation, Translator, parse_expression, q

Row = dict[str, Any]
log = logging.getLogger(__name__)


def _json_value(v: Any) -> Any:
    if isinstance(v, datetime):
        v = v.astimezone(UTC) if v.tzinfo else v  # DuckDB gives naive UTC
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond:06d}0Z"
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, dict):  # a record; the engine's own columns (__ts, ...) are not the event's
        return {k: _json_value(x) for k, x in v.items() if not k.startswith("__")}
    if isinstance(v, list):
        return [_json_value(x) for x in v]
    return v


def _value_type(con: duckdb.DuckDBPyConnection, value: str, source: str) -> str:
    """The DuckDB type of ``value`` over ``source`` (bound, not run); VARCHAR when it cannot be told."""
    try:
        return str(con.execute(f"DESCRIBE SELECT {value} AS v FROM {source}").fetchall()[0][1])
    except duckdb.Error:
        return "VARCHAR"


def _own_fields_only(rows: list[tuple[int, Row]], input_columns: set[str]) -> None:
    """``SELECT *`` of events with different fields: each row keeps only its event's own input fields."""
    for _, row in rows:
        own = set(row.pop(OWN_FIELDS, None) or ())
        for key in [k for k, v in row.items() if v is None and k in input_columns and k not in own]:
            del row[key]


def _dropped(st: Statement, count: int) -> DroppedEvents:
    report = DroppedEvents(input=st.name, reason="a value fails its CAST (data error)", action="dropped",
                           count=count, line=st.line)
    log.warning("%s", report)
    return report


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection set up for the engine (UTC, macros)."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for macro in MACROS:
        con.execute(macro)
    return con


class Engine:
    """Runs one Stream Analytics query with a job configuration over local inputs."""

    def __init__(self, script: str | Script, job: JobConfig | None = None) -> None:
        self.script = script if isinstance(script, Script) else parse_script(script)
        self.job = job or JobConfig()
        self.dropped: list[DroppedEvents] = []
        """What the last :meth:`run` dropped or re-timed, per input and reason (also logged)."""

    def run(
        self, inputs: Mapping[str, InputSource], con: duckdb.DuckDBPyConnection | None = None
    ) -> dict[str, list[Row]]:
        """Run the query; returns the rows of every output alias, in timestamp order."""
        if con is None:
            con = connect()
            try:
                return self.run(inputs, con)
            finally:
                con.close()
        self.dropped = []
        catalog: dict[str, Relation] = {}
        text = self.script.text
        uses: dict[str, int] = {}  # how many statements read each relation
        for st in self.script.statements:
            for name in {t.name.lower() for t in st.select.find_all(exp.Table)}:
                uses[name] = uses.get(name, 0) + 1
        needed = self._needed_columns()
        input_columns: set[str] = set()
        for alias, src in inputs.items():
            raw = f"input__{alias.lower()}"
            load_input(con, src, raw, None if alias.lower() in needed["*"] else needed["names"], self.dropped)
            input_columns |= {r[0] for r in con.execute(f"DESCRIBE {q(raw)}").fetchall()}
            if src.is_reference:
                catalog[alias.lower()] = Relation(alias.lower(), raw, is_stream=False)
            elif alias.lower() in uses:
                # Without TIMESTAMP BY an event's time is its arrival time (unknown in a local
                # file without EventEnqueuedUtcTime: then only unwindowed queries can read it).
                arrival = arrival_sql(con, raw)
                timed = fetch_one(con, f"SELECT count({arrival}) FROM {q(raw)}")[0] > 0
                create_stream(con, raw, f"rel__{alias.lower()}", None, self.job)
                catalog[alias.lower()] = Relation(alias.lower(), f"rel__{alias.lower()}", is_stream=True, timed=timed)
        translator = Translator(text, catalog, self.script.analytics)
        translator.value_type = lambda value, source: _value_type(con, value, source)
        for stream, tsby in self.script.timestamp_by.items():
            source: InputSource | None = inputs.get(tsby.input_name) or next(
                (s for a, s in inputs.items() if a.lower() == tsby.input_name), None)
            if source is None:
                raise AsaError(f"line {tsby.line}: TIMESTAMP BY reads {tsby.input_name!r}, which is not an input")
            if source.is_reference:
                raise AsaError(f"line {tsby.line}: TIMESTAMP BY on reference data {tsby.input_name!r}")
            ts_sql = self._scalar(translator, tsby.expression, tsby.line)
            over = [self._scalar(translator, key, tsby.line) for key in tsby.over]
            try:
                self.dropped += create_stream(con, f"input__{tsby.input_name}", f"rel__{stream}", ts_sql, self.job,
                                              tsby.alias, over, tsby.input_name, tsby.line)
            except duckdb.Error as exc:
                msg = str(exc).split("\n")[0]
                raise AsaError(f"line {tsby.line}: TIMESTAMP BY {tsby.expression} failed: {msg}") from None
            catalog[stream] = Relation(stream, f"rel__{stream}", is_stream=True)
        outputs: dict[str, list[list[tuple[int, Row]]]] = {name: [] for name in self.script.outputs}
        for st in self.script.statements:
            self._check_names(st, catalog, inputs)
            sql = translator.translate(st)
            try:
                if translator.cast_check:
                    failed = fetch_one(con, translator.cast_check)[0]
                    if failed:
                        self.dropped.append(_dropped(st, failed))
                if st.kind == "step":
                    # A step read once is a view (DuckDB pipelines it into its reader); a step
                    # read by several statements is computed once.
                    kind = "TABLE" if uses.get(st.name, 0) > 1 else "VIEW"
                    con.execute(f"CREATE {kind} {q('rel__' + st.name)} AS {sql}")
                    timed = all(catalog[t.name.lower()].timed for t in st.select.find_all(exp.Table)
                                if t.name.lower() in catalog)
                    catalog[st.name] = Relation(st.name, f"rel__{st.name}", is_stream=True, timed=timed)
                else:
                    cols, records = self._fetch(con, sql)
                    # The time is the last value, so zip(cols, rec) leaves it out without a copy.
                    rows = [(rec[-1], dict(zip(cols, rec, strict=False))) for rec in records]
                    if OWN_FIELDS in cols:
                        _own_fields_only(rows, input_columns)
                    outputs[st.name].append(rows)
            except duckdb.Error as exc:
                msg = str(exc).split("\n")[0]
                raise AsaError(f"line {st.line}: {st.kind} {st.name!r} failed in DuckDB: {msg}") from None
        # Each statement's rows are in time order: merge them (stable: earlier statements first at a tie).
        return {name: [r for _, r in (parts[0] if len(parts) == 1 else heapq.merge(*parts, key=lambda t: t[0]))]
                for name, parts in outputs.items()}

    def _needed_columns(self) -> dict[str, set[str]]:
        """What the query can read of its inputs: ``names``, every identifier in the query text
        (a superset of the columns it uses), and ``*``, the inputs it reads whole (``SELECT *``
        straight or through ``SELECT *`` steps, or a function of the whole event)."""
        text = mask(self.script.text)
        names = {w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)}
        names |= {w.lower() for w in re.findall(r"\[([^\]]+)\]", self.script.text)}
        inputs_of = {s: t.input_name for s, t in self.script.timestamp_by.items()}
        reads = {st.name: {t.name.lower() for t in st.select.find_all(exp.Table)}
                 for st in self.script.statements}
        star = {st.name for st in self.script.statements
                if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
                       for sel in st.select.find_all(exp.Select) for e in sel.expressions)}
        whole: set[str] = set()
        todo = [t for st in self.script.statements if st.name in star for t in reads[st.name]]
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            whole.add(inputs_of.get(name, name))
            if name in star and name in reads:
                todo += reads[name]
        if names & {"topone", "collecttop", "getrecordproperties"}:
            whole |= {t.input_name for t in self.script.timestamp_by.values()} | set(names)
        return {"names": names, "*": whole}

    @staticmethod
    def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run an output statement; rows are (*JSON-ready values, epoch ns of __ts), in time order.

        Values are made JSON-ready inside DuckDB (datetimes as Azure's ISO 8601 text, wide
        integers and decimals narrowed), which is far faster than converting in Python.
        """
        described = con.execute(f"DESCRIBE SELECT * FROM ({sql})").fetchall()
        proj, cols, nested, jsons = [], [], [], []
        for name, typ, *_ in described:
            if name == "__ts":
                continue
            col = q(name)
            cols.append(name)
            if typ.startswith("TIMESTAMP"):
                proj.append(f"asa_format_datetime({col})")
            elif typ in {"HUGEINT", "UHUGEINT"}:
                proj.append(f"CAST({col} AS BIGINT)")
            elif typ.startswith("DECIMAL"):
                proj.append(f"CAST({col} AS DOUBLE)")
            elif typ == "JSON":  # a value of any type (a record's property): text, parsed below
                proj.append(col)
                jsons.append(len(cols) - 1)
            else:
                proj.append(col)
                if typ.endswith("]") or typ.startswith(("STRUCT", "MAP", "DATE", "TIME")):
                    nested.append(len(cols) - 1)
        proj.append(f"coalesce(epoch_ns(__ts), {-2**63}) AS __ts_ns")  # no time (no arrival time): first
        order = ", ".join(str(i) for i in [len(proj), *range(1, len(proj))])  # time first, then every value
        rows = con.execute(f"SELECT {', '.join(proj)} FROM ({sql}) ORDER BY {order}").fetchall()
        if nested or jsons:
            rows = [tuple(_json_value(v) if i in nested else (json.loads(v) if v is not None else None)
                          if i in jsons else v for i, v in enumerate(r)) for r in rows]
        return cols, rows

    def _scalar(self, translator: Translator, expression: str, line: int) -> str:
        return translator.scalar(parse_expression(expression, line, "TIMESTAMP BY expression"))

    def _check_names(self, st: Statement, catalog: dict[str, Relation], inputs: Mapping[str, InputSource]) -> None:
        for table in st.select.find_all(exp.Table):
            name = table.name.lower()
            if name in catalog:
                continue
            line = node_line(table, self.script.text, table.name) or st.line
            if any(a.lower() == name for a in inputs):
                raise AsaError(f"line {line}: stream input {table.name!r} has no arrival time "
                               "(EventEnqueuedUtcTime); read it with TIMESTAMP BY")
            raise AsaError(f"line {line}: {table.name!r} is neither an input nor a step defined before")


__all__ = ["Engine", "InputSource", "connect", "UnsupportedConstruct"]
