"""Translate one Stream Analytics SELECT (a step or an output statement) into DuckDB SQL.

Every relation the engine holds in DuckDB is a table; stream relations carry a hidden
``__ts`` column, the event's timestamp (``System.Timestamp()`` of a non-aggregating query).
A translated statement always yields ``__ts`` too: for a windowed aggregate that is the window
end, so later steps can window the result again.

The translator generates SQL itself for every node type it knows and refuses every other one
with :class:`UnsupportedConstruct` naming the construct and its line: no silent guesses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from footfall.asa.errors import AsaError, UnsupportedConstruct
from footfall.asa.script import ANALYTIC_PREFIX, SYSTEM_TIMESTAMP, Analytic, Statement, node_line
from footfall.asa.windows import UNIT_NS, WindowSpec, parse_window, unit_amount, window_name

DATE_UNITS: dict[str, str] = {
    "year": "year", "yy": "year", "yyyy": "year",
    "quarter": "quarter", "qq": "quarter", "q": "quarter",
    "month": "month", "mm": "month", "m": "month",
    "dayofyear": "doy", "dy": "doy", "y": "doy",
    "day": "day", "dd": "day", "d": "day",
    "week": "week", "wk": "week", "ww": "week",
    "weekday": "dow", "dw": "dow", "w": "dow",
    "hour": "hour", "hh": "hour",
    "minute": "minute", "mi": "minute", "n": "minute",
    "second": "second", "ss": "second", "s": "second",
    "millisecond": "millisecond", "ms": "millisecond",
    "microsecond": "microsecond", "mcs": "microsecond",
}
"""DATEADD/DATEDIFF/DATEPART units (Stream Analytics names and abbreviations) to DuckDB parts."""

_INTERVAL_FN = {
    "year": "to_years", "quarter": None, "month": "to_months", "week": "to_weeks", "day": "to_days",
    "hour": "to_hours", "minute": "to_minutes", "second": "to_seconds",
    "millisecond": "to_milliseconds", "microsecond": "to_microseconds",
}

_BINARY: dict[type[exp.Expression], str] = {
    exp.And: "AND", exp.Or: "OR", exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=",
    exp.LT: "<", exp.LTE: "<=", exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Mod: "%",
    exp.Like: "LIKE",
}
_SIMPLE_FUNCS: dict[type[exp.Expression], str] = {
    exp.Upper: "upper", exp.Lower: "lower", exp.Floor: "floor", exp.Ceil: "ceil", exp.Abs: "abs",
    exp.Sqrt: "sqrt", exp.Exp: "exp", exp.Ln: "ln", exp.Reverse: "reverse",
}
_AGGREGATE_FUNCS: dict[type[exp.Expression], str] = {
    exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max", exp.Stddev: "stddev_samp",
}
_AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)
_TYPES = {
    exp.DataType.Type.BIGINT: "BIGINT", exp.DataType.Type.INT: "BIGINT",
    exp.DataType.Type.FLOAT: "DOUBLE", exp.DataType.Type.DOUBLE: "DOUBLE",
    exp.DataType.Type.BIT: "BOOLEAN", exp.DataType.Type.BOOLEAN: "BOOLEAN",
}
_STRING_TYPES = {exp.DataType.Type.NVARCHAR, exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT,
                 exp.DataType.Type.NCHAR, exp.DataType.Type.CHAR}
_DATETIME_TYPES = {exp.DataType.Type.DATETIME, exp.DataType.Type.DATETIME2, exp.DataType.Type.TIMESTAMP}
_SELECT_ARGS = {"expressions", "from_", "joins", "where", "group", "having", "kind"}


def q(name: str) -> str:
    """A quoted DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def parse_expression(text: str, line: int | None, what: str = "") -> exp.Expression:
    """``text`` parsed as one T-SQL expression; else an :class:`AsaError` that names the script's ``line``
    (and what the text is, e.g. ``TIMESTAMP BY expression``)."""
    named = f"{what} {text!r}" if what else repr(text)
    try:
        node = sqlglot.parse_one(text, read="tsql")
    except sqlglot.errors.ParseError:
        raise AsaError(f"line {line}: cannot parse {named}") from None
    if not isinstance(node, exp.Expression):
        raise AsaError(f"line {line}: {named} is not an expression")
    return node


@dataclass(frozen=True)
class Relation:
    """A table the engine holds in DuckDB: an input, a ``TIMESTAMP BY`` stream or a step."""

    name: str
    table: str
    is_stream: bool
    timed: bool = True
    """Whether its events have timestamps (an input read without TIMESTAMP BY and without
    arrival times has none, so it cannot be windowed)."""


@dataclass
class _Ctx:
    text: str
    stream_alias: str
    ts_sql: str = ""
    aliases: set[str] = field(default_factory=set)
    applies: list[str] = field(default_factory=list)
    """APPLY aliases; their fields (ArrayIndex/ArrayValue, PropertyName/PropertyValue) are columns
    ``<alias>__<field>`` of the stream."""
    apply_fields: dict[str, tuple[str, str]] = field(default_factory=dict)
    analytics: list[str] = field(default_factory=list)
    """Analytic function calls, computed as columns ``__analytic<n>`` of the stream."""
    join_ts: str = ""
    """The timestamp of a stream-to-stream JOIN's result (else the FROM stream's)."""


class Translator:
    """Translates statements against a catalog of relations (name -> :class:`Relation`)."""

    def __init__(self, text: str, catalog: dict[str, Relation], analytics: dict[str, Analytic] | None = None) -> None:
        self.text = text
        self.catalog = catalog
        self.analytics = analytics or {}
        self.cast_check: str | None = None
        self.value_type: Callable[[str, str], str] | None = None
        """``value_type(expression_sql, from_sql)``: the DuckDB type of an expression (set by the engine)."""
        """After :meth:`translate`: SQL counting the events its CASTs drop, or None."""

    # -- errors -------------------------------------------------------------------------
    def _unsupported(self, node: exp.Expression, construct: str | None = None, hint: str = "") -> UnsupportedConstruct:
        name = construct or _construct_name(node)
        needle = name.split("(")[0].split()[0] if name else None
        return UnsupportedConstruct(name, node_line(node, self.text, needle), hint)

    # -- statements -----------------------------------------------------------------------
    def translate(self, st: Statement) -> str:
        """DuckDB SQL for ``st``: its columns plus ``__ts``.

        ``UNION`` keeps every row of every side (Stream Analytics has no duplicate-removing
        UNION); the sides match by position, as the reference page requires the same columns
        in the same order.
        """
        if isinstance(st.select, exp.Union):
            union = st.select
            if union.args.get("by_name") or union.args.get("side") or union.args.get("kind"):
                raise self._unsupported(union, "UNION with BY NAME, a side or a kind")
            sides = [union.this, union.expression]
            return " UNION ALL ".join(
                f"({self.translate(Statement(st.kind, st.name, side, st.line))})" for side in sides
            )
        sel = st.select
        multi = [g for g in (sel.args["group"].expressions if sel.args.get("group") else [])
                 if isinstance(g, exp.Anonymous) and str(g.this).lower() == "windows"]
        if multi:
            return self._windows(st, multi[0])
        if any(_is_window_id(n) for n in sel.walk()):
            raise self._unsupported(sel, "System.Window().Id without GROUP BY Windows(...)")
        for key, value in sel.args.items():
            if value and key not in _SELECT_ARGS:
                raise self._unsupported(sel, _CLAUSE_NAMES.get(key, key.upper()))
        if sel.args.get("kind"):
            raise self._unsupported(sel, "SELECT " + str(sel.args["kind"]).upper())
        if sel.args.get("distinct"):
            raise self._unsupported(sel, "SELECT DISTINCT")
        from_ = sel.args.get("from_")
        if from_ is None:
            raise AsaError(f"line {st.line}: SELECT without FROM")
        source = from_.this
        if not isinstance(source, exp.Table):
            raise self._unsupported(source, "subquery in FROM", "use a WITH step instead")
        rel = self._relation(source)
        if not rel.is_stream:
            raise AsaError(f"line {st.line}: FROM {source.name} reads reference data; FROM must read a stream")
        alias = source.alias_or_name
        ctx = _Ctx(text=self.text, stream_alias=alias, aliases={alias.lower()})
        joins = sel.args.get("joins") or []
        base = f"{q(rel.table)} AS {q(alias)}"
        # Analytic functions see the stream as FROM gives it, before WHERE, JOIN and GROUP BY.
        calls = [n for n in sel.find_all(exp.Anonymous) if _analytic_key(n) and self._session_over(n) is None]
        if calls:
            cols = []
            for call in calls:
                key = _analytic_key(call) or ""
                if key in ctx.analytics:
                    continue
                ctx.analytics.append(key)
                cols.append(f"{self._analytic(call, key, ctx)} AS {q(key)}")
            base = f"(SELECT {q(alias)}.*, {', '.join(cols)} FROM {base}) AS {q(alias)}"
        # APPLY unnests in the projection of a wrapping subquery (several times faster in DuckDB
        # than a LATERAL join); the stream keeps its alias, the elements become its columns.
        for join in joins:
            if isinstance(join.this, exp.Lateral):
                base = f"(SELECT *, {self._apply(join.this, ctx)} FROM {base}) AS {q(alias)}"
        from_sql = [base]
        for join in joins:
            if not isinstance(join.this, exp.Lateral):
                from_sql.append(self._join(join, ctx))

        group = sel.args.get("group")
        keys: list[exp.Expression] = []
        window: WindowSpec | None = None
        if group is not None:
            for g in group.expressions:
                if isinstance(g, exp.Anonymous) and str(g.this).lower() in {SYSTEM_TIMESTAMP, "snapshotwindow"}:
                    if window is not None:
                        raise self._unsupported(g, "two windows in one GROUP BY")
                    window = WindowSpec("snapshot", 0, 0)  # events with the very same timestamp
                elif (spec := self._session_over(g)) is not None or window_name(g):
                    if window is not None:
                        raise self._unsupported(g, "two windows in one GROUP BY")
                    line = node_line(g, self.text, str(g.this))
                    if spec is not None:  # SessionWindow(...) OVER (PARTITION BY ...), lifted by the parser
                        g = exp.Anonymous(this="SessionWindow", expressions=list(g.expressions))
                        line = spec.line
                    window = parse_window(g, line)
                    if window.kind == "session":
                        window = WindowSpec("session", window.size_ns, window.hop_ns,
                                            partition_by=spec.partition_by if spec else ())
                else:
                    keys.append(g)
            if window is None:
                raise self._unsupported(group, "GROUP BY without a window",
                                        "a stream is grouped by TumblingWindow, HoppingWindow or SlidingWindow")
        if window is not None and not rel.timed:
            raise AsaError(f"line {st.line}: {source.name!r} has no event times to window: read the input "
                           "with TIMESTAMP BY, or give its events an arrival time (EventEnqueuedUtcTime)")
        has_agg = any(_is_aggregate(n) for e in sel.expressions for n in e.walk())
        if has_agg and window is None:
            raise self._unsupported(sel, "aggregate without a window", "add GROUP BY with a window")
        if sel.args.get("having") is not None and window is None:
            raise self._unsupported(sel, "HAVING without a window")

        ts_col = ctx.join_ts or f"{q(alias)}.{q('__ts')}"
        where = sel.args.get("where")
        where_sql = ""
        ctx.ts_sql = ts_col
        if where is not None:
            where_sql = " WHERE " + self.sql(where.this, ctx)
        # A value that fails a CAST is a data error: the event is dropped (and counted), the job goes on.
        guards = self._cast_guards(sel, ctx, f"{' '.join(from_sql)}{where_sql}")
        self.cast_check = None
        if guards:
            self.cast_check = (f"SELECT count(*) FROM {' '.join(from_sql)}{where_sql or ' WHERE TRUE'} "
                               f"AND NOT ({' AND '.join(guards)})")
            where_sql = (where_sql or " WHERE TRUE") + f" AND {' AND '.join(guards)}"
        group_sql: list[str] = []
        if window is None:
            ctx.ts_sql = ts_col
        elif window.kind == "tumbling":
            ctx.ts_sql = window.end_sql(ts_col)
            group_sql.append(ctx.ts_sql)
        elif window.kind == "snapshot":
            ctx.ts_sql = ts_col
            group_sql.append(ts_col)
        elif window.kind == "hopping":
            from_sql[0] = f"(SELECT *, unnest({window.hop_ends_sql(ts_col)}) AS __we FROM {from_sql[0]}) AS {q(alias)}"
            ctx.ts_sql = f"make_timestamp_ns({q(alias)}.__we)"
            group_sql.append(ctx.ts_sql)
        elif window.kind == "session":
            if joins:
                assert group is not None  # a window comes from GROUP BY
                raise self._unsupported(group, "SessionWindow over a JOIN or APPLY", "window a step that does the join")
            from_sql = [self._session_from(rel, alias, window, where_sql, ctx)]
            ctx.ts_sql = f"make_timestamp_ns({q(alias)}.__we)"
            group_sql.append(ctx.ts_sql)
        else:
            if joins:
                assert group is not None  # a window comes from GROUP BY
                raise self._unsupported(group, "SlidingWindow over a JOIN or APPLY", "window a step that does the join")
            from_sql = [self._sliding_from(rel, alias, keys, window, where_sql, ctx)]
            ctx.ts_sql = "__w.__we"
            group_sql.append(ctx.ts_sql)
        group_sql = [self.sql(k, ctx) for k in keys] + group_sql

        proj = [self._projection(e, ctx, rel, windowed=window is not None) for e in sel.expressions]
        out = f"SELECT {', '.join(proj)}, {ctx.ts_sql} AS __ts FROM {' '.join(from_sql)}{where_sql}"
        if group_sql:
            out += " GROUP BY " + ", ".join(group_sql)
        having = sel.args.get("having")
        if having is not None:
            # HAVING may name a SELECT alias ("HAVING [Count] >= 3" in Microsoft's query patterns).
            aliases = {e.alias.lower(): e.this for e in sel.expressions if isinstance(e, exp.Alias)}
            cond = having.this.transform(
                lambda n: aliases[n.name.lower()].copy()
                if isinstance(n, exp.Column) and not n.table and n.name.lower() in aliases else n)
            out += " HAVING " + self.sql(cond, ctx)
        return out

    def _windows(self, st: Statement, windows: exp.Anonymous) -> str:
        """``GROUP BY Windows(Window('id', <window>), ...)``: the statement once per window, each row
        telling its window by ``System.Window().Id`` (Windows reference page)."""
        parts = []
        for w in windows.expressions:
            if not (isinstance(w, exp.Anonymous) and str(w.this).lower() == "window" and len(w.expressions) == 2
                    and isinstance(w.expressions[0], exp.Literal) and w.expressions[0].is_string):
                raise self._unsupported(w, "Windows() entry", "write Window('id', TumblingWindow(...))")
            name, window = w.expressions[0].this, w.expressions[1]
            one = st.select.copy()
            group = one.args["group"]
            group.set("expressions", [window.copy() if isinstance(g, exp.Anonymous) and str(g.this).lower() == "windows"
                                      else g for g in group.expressions])
            named = one.transform(lambda n, name=name: exp.Literal.string(name) if _is_window_id(n) else n)
            assert isinstance(named, (exp.Select, exp.Union))  # the root is not a window id
            parts.append(self.translate(Statement(st.kind, st.name, named, st.line)))
        if not parts:
            raise self._unsupported(windows, "Windows() without a window")
        return " UNION ALL ".join(f"({p})" for p in parts)

    def _relation(self, table: exp.Table) -> Relation:
        if table.args.get("db") or table.args.get("catalog"):
            raise self._unsupported(table, f"qualified name {table.sql()}")
        rel = self.catalog.get(table.name.lower())
        if rel is None:
            line = node_line(table, self.text, table.name)
            raise AsaError(f"line {line}: {table.name!r} is neither an input nor a step defined before")
        return rel

    def _apply(self, target: exp.Lateral, ctx: _Ctx) -> str:
        """The unnest columns of ``CROSS|OUTER APPLY GetArrayElements(array) | GetRecordProperties(record)``."""
        fn = target.this
        name = str(fn.this).lower() if isinstance(fn, exp.Anonymous) else ""
        if name not in {"getarrayelements", "getrecordproperties"}:
            raise self._unsupported(fn, f"APPLY {_construct_name(fn)}",
                                    "APPLY takes GetArrayElements or GetRecordProperties")
        if len(fn.expressions) != 1:
            raise self._unsupported(fn, f"{fn.this} with {len(fn.expressions)} arguments")
        alias = target.alias
        if not alias:
            raise self._unsupported(target, "APPLY without AS alias")
        arg = self.sql(fn.expressions[0], ctx)
        ctx.applies.append(alias.lower())
        ctx.aliases.add(alias.lower())
        if name == "getarrayelements":
            fields = ("ArrayIndex", "ArrayValue")
            first, second = f"range(len({arg}))", arg
            empty = f"coalesce(len({arg}), 0) = 0"
        else:  # one row per property: its name, and its value as JSON (any type, as Azure's records hold)
            fields = ("PropertyName", "PropertyValue")
            keys = f"json_keys(to_json({arg}))"
            first, second = keys, f"list_transform({keys}, lambda k: json_extract(to_json({arg}), '$.' || to_json(k)))"
            empty = f"coalesce(len({keys}), 0) = 0"
        ctx.apply_fields[alias.lower()] = fields
        if not target.args.get("cross_apply"):  # OUTER APPLY: one all-NULL row when there is nothing
            first, second = (f"CASE WHEN {empty} THEN [NULL] ELSE {x} END" for x in (first, second))
        return (f"unnest({first}) AS {q(alias.lower() + '__' + fields[0])}, "
                f"unnest({second}) AS {q(alias.lower() + '__' + fields[1])}")

    def _join(self, join: exp.Join, ctx: _Ctx) -> str:
        target = join.this
        if not isinstance(target, exp.Table):
            raise self._unsupported(target, "JOIN of a subquery", "use a WITH step instead")
        rel = self._relation(target)
        if rel.is_stream:
            return self._stream_join(join, rel, ctx)
        side = (join.side or "").upper()
        kind = (join.kind or "").upper()
        if side in {"RIGHT", "FULL"} or kind == "CROSS":
            raise self._unsupported(join, f"{side or kind} JOIN with reference data")
        if join.args.get("on") is None:
            raise self._unsupported(join, "JOIN without ON")
        alias = target.alias_or_name
        ctx.aliases.add(alias.lower())
        word = "LEFT JOIN" if side == "LEFT" else "JOIN"
        return f"{word} {q(rel.table)} AS {q(alias)} ON {self.sql(join.args['on'], ctx)}"

    def _stream_join(self, join: exp.Join, rel: Relation, ctx: _Ctx) -> str:
        """``[LEFT [OUTER]] JOIN stream ON ... AND DATEDIFF(unit, a, b) BETWEEN lo AND hi`` (JOIN reference
        page): DATEDIFF of two stream aliases is b's time minus a's; the result's timestamp is the later
        of the pair (System.Timestamp page), or for an unmatched left event its time plus the bound."""
        target = join.this
        side = (join.side or "").upper()
        if side not in {"", "LEFT"} or (join.kind or "").upper() in {"CROSS"}:
            raise self._unsupported(join, f"{side or join.kind} JOIN between two streams")
        on = join.args.get("on")
        alias = target.alias_or_name
        ctx.aliases.add(alias.lower())
        bounds = [n for n in (on.find_all(exp.Between) if on is not None else [])
                  if isinstance(n.this, exp.DateDiff) and self._stream_args(n.this, ctx)]
        if on is None or not bounds:
            raise self._unsupported(join, f"JOIN between two streams ({target.name}) without DATEDIFF(unit, a, b) "
                                          "BETWEEN x AND y", "Stream Analytics requires a time bound")
        between = bounds[0]
        high = between.args["high"]
        streams = self._stream_args(between.this, ctx)
        assert streams is not None  # bounds holds only DATEDIFFs between two streams
        first, second = streams
        left_ts, right_ts = f"{q(ctx.stream_alias)}.{q('__ts')}", f"{q(alias)}.{q('__ts')}"
        unit = _unit_ns(self._date_unit(between.this))
        ctx.join_ts = f"greatest({left_ts}, {right_ts})"
        if side == "LEFT":
            late = f"{left_ts} + to_microseconds(CAST(({self.sql(high, ctx)}) * {unit // 1000} AS BIGINT))"
            sign = 1 if first == ctx.stream_alias.lower() else -1
            ctx.join_ts = (f"CASE WHEN {right_ts} IS NULL THEN "
                           f"{late if sign == 1 else left_ts} ELSE greatest({left_ts}, {right_ts}) END")
        word = "LEFT JOIN" if side == "LEFT" else "JOIN"
        return f"{word} {q(rel.table)} AS {q(alias)} ON {self.sql(on, ctx)}"

    def _stream_args(self, node: exp.DateDiff, ctx: _Ctx) -> tuple[str, str] | None:
        """The two stream aliases of ``DATEDIFF(unit, a, b)`` in a JOIN condition (a, b), or None."""
        a, b = (x.this if isinstance(x, exp.TimeStrToTime) else x for x in (node.expression, node.this))
        names = [x.name.lower() if isinstance(x, exp.Column) and not x.table else None for x in (a, b)]
        first, second = names
        if first is not None and second is not None and first in ctx.aliases and second in ctx.aliases:
            return first, second
        return None

    def _session_over(self, node: exp.Expression) -> Analytic | None:
        key = _analytic_key(node)
        spec = self.analytics.get(key) if key else None
        return spec if spec is not None and spec.function in {"sessionwindow", "session"} else None

    def _session_from(self, rel: Relation, alias: str, w: WindowSpec, where_sql: str, ctx: _Ctx) -> str:
        """Events with ``__we``, the end of their session window (SessionWindow reference page):
        a session starts with an event and extends while the next one comes within the timeout;
        the maximum duration is checked at multiples of itself, so a session that started at s
        ends by the first multiple c of maxDuration with c - s >= maxDuration; a session ends at
        min(its last event + timeout, that check). Sessions are per OVER (PARTITION BY) keys."""
        ctx.ts_sql = f"{q(alias)}.__ts"
        parts = [self.sql(self._expr(p, None), ctx) for p in w.partition_by]
        keys = "{" + ", ".join([f"'p{i}': {p}" for i, p in enumerate(parts)] + ["'_': 0"]) + "}"
        timeout, dur = w.size_ns, w.hop_ns
        cap = f"((__s + {2 * dur - 1}) // {dur}) * {dur}"
        return f"""(WITH RECURSIVE ev AS (
            SELECT {q(alias)}.*, {keys} AS __part, epoch_ns({q(alias)}.__ts) AS __t
            FROM {q(rel.table)} AS {q(alias)}{where_sql}
        ), gaps AS (
            SELECT *, CASE WHEN __t - lag(__t) OVER (PARTITION BY __part ORDER BY __t) <= {timeout}
                           THEN 0 ELSE 1 END AS __new FROM ev
        ), isl AS (
            SELECT *, {{'part': __part, 'n': sum(__new) OVER (PARTITION BY __part ORDER BY __t
                                                         ROWS UNBOUNDED PRECEDING)}} AS __isl FROM gaps
        ), sess(__isl, __s, __cap) AS (
            SELECT __isl, min(__t), {cap.replace('__s', 'min(__t)')} FROM isl GROUP BY __isl
            UNION ALL
            SELECT n.__isl, n.__s, {cap} FROM (
                SELECT s.__isl, (SELECT min(i.__t) FROM isl i WHERE i.__isl = s.__isl AND i.__t > s.__cap) AS __s
                FROM sess s) n
            WHERE n.__s IS NOT NULL
        ), assigned AS (
            SELECT isl.*, sess.__s AS __start, sess.__cap AS __cap FROM isl ASOF JOIN sess
            ON isl.__isl = sess.__isl AND isl.__t >= sess.__s
        )
        SELECT * EXCLUDE (__part, __t, __new, __isl, __start, __cap),
               least(max(__t) OVER (PARTITION BY __isl, __start) + {timeout}, __cap) AS __we
        FROM assigned) AS {q(alias)}"""

    def _sliding_from(self, rel: Relation, alias: str, keys: list[exp.Expression], w: WindowSpec,
                      where_sql: str, ctx: _Ctx) -> str:
        for k in keys:
            if not isinstance(k, exp.Column):
                raise self._unsupported(k, "SlidingWindow grouped by an expression", "group by columns")
        ctx.ts_sql = f"{q(alias)}.__ts"
        ksql = [self.sql(k, ctx) for k in keys]
        kcols = [f"{k} AS __k{i}" for i, k in enumerate(ksql)]
        src = f"{q(rel.table)} AS {q(alias)}"
        pre = ", ".join(kcols + [""])
        ends = (f"SELECT DISTINCT * FROM (SELECT {pre}{q(alias)}.__ts AS __we FROM {src}{where_sql} "
                f"UNION ALL SELECT {pre}{q(alias)}.__ts + to_microseconds({w.size_ns // 1000}) AS __we "
                f"FROM {src}{where_sql})")
        cond = [f"{k} IS NOT DISTINCT FROM __w.__k{i}" for i, k in enumerate(ksql)]
        cond += [f"{q(alias)}.__ts > __w.__we - to_microseconds({w.size_ns // 1000})", f"{q(alias)}.__ts <= __w.__we"]
        return f"{src} JOIN ({ends}) AS __w ON {' AND '.join(cond)}"

    def _projection(self, e: exp.Expression, ctx: _Ctx, rel: Relation, windowed: bool) -> str:
        if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)):
            if windowed:
                raise self._unsupported(e, "SELECT * in a windowed aggregate")
            table = e.table if isinstance(e, exp.Column) else ""
            hidden = (["__ts"] + [f"{a}__{f}" for a in ctx.applies for f in ctx.apply_fields[a]]
                      + ctx.analytics)
            records = ["{" + ", ".join(f"'{f}': {self._apply_col(a, f, ctx)}" for f in ctx.apply_fields[a])
                       + f"}} AS {q(a)}" for a in ctx.applies]
            if not table:
                return ", ".join([f"* EXCLUDE ({', '.join(q(h) for h in hidden)})"] + records)
            if table.lower() == ctx.stream_alias.lower():
                return f"{q(table)}.* EXCLUDE ({', '.join(q(h) for h in hidden)})"
            if table.lower() in ctx.applies:
                return next(r for a, r in zip(ctx.applies, records, strict=True) if a == table.lower())
            return f"{q(table)}.*"
        if isinstance(e, exp.Alias):
            return f"{self.sql(e.this, ctx)} AS {q(e.alias)}"
        if isinstance(e, exp.Column):
            return f"{self.sql(e, ctx)} AS {q(e.name)}"
        return self.sql(e, ctx)

    # -- expressions ------------------------------------------------------------------------
    def scalar(self, node: exp.Expression) -> str:
        """DuckDB SQL for a scalar expression over one input's columns (``TIMESTAMP BY``)."""
        return self.sql(node, _Ctx(text=self.text, stream_alias=""))

    def sql(self, node: exp.Expression, ctx: _Ctx) -> str:
        """DuckDB SQL for a scalar or aggregate expression."""
        s = self.sql
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                raise self._unsupported(node, f"{node.table}.* outside the SELECT list")
            parts = [p.name for p in node.parts]
            if parts[0].lower() in ctx.applies:
                fields = {f.lower(): f for f in ctx.apply_fields[parts[0].lower()]}
                if len(parts) < 2 or parts[1].lower() not in fields:
                    raise self._unsupported(node, f"APPLY element reference {node.sql()}",
                                            f"use <alias>.{' or <alias>.'.join(fields.values())}")
                field_ = fields[parts[1].lower()]
                return ".".join([self._apply_col(parts[0], field_, ctx)] + [q(p) for p in parts[2:]])
            return ".".join(q(p) for p in parts)
        if isinstance(node, exp.Dot):
            return f"{s(node.this, ctx)}.{q(node.name)}"
        if isinstance(node, exp.Literal):
            if node.is_string:
                return "'" + str(node.this).replace("'", "''") + "'"
            return str(node.this)
        if isinstance(node, exp.Null):
            return "NULL"
        if isinstance(node, exp.Boolean):
            return "TRUE" if node.this else "FALSE"
        if isinstance(node, exp.Paren):
            return f"({s(node.this, ctx)})"
        if isinstance(node, exp.Neg):
            return f"(-{s(node.this, ctx)})"
        if isinstance(node, exp.Not):
            return f"(NOT {s(node.this, ctx)})"
        if isinstance(node, exp.Div):
            return f"(CAST({s(node.this, ctx)} AS DOUBLE) / {s(node.expression, ctx)})"
        for cls, op in _BINARY.items():
            if type(node) is cls:
                return f"({s(node.this, ctx)} {op} {s(node.expression, ctx)})"
        if isinstance(node, exp.Is):
            return f"({s(node.this, ctx)} IS {s(node.expression, ctx)})"
        if isinstance(node, exp.In):
            if node.args.get("query") or not node.expressions:
                raise self._unsupported(node, "IN (subquery)")
            return f"({s(node.this, ctx)} IN ({', '.join(s(x, ctx) for x in node.expressions)}))"
        if isinstance(node, exp.Between):
            return f"({s(node.this, ctx)} BETWEEN {s(node.args['low'], ctx)} AND {s(node.args['high'], ctx)})"
        if isinstance(node, exp.Case):
            out = "CASE" + (f" {s(node.this, ctx)}" if node.this else "")
            for branch in node.args.get("ifs") or []:
                out += f" WHEN {s(branch.this, ctx)} THEN {s(branch.args['true'], ctx)}"
            if node.args.get("default") is not None:
                out += f" ELSE {s(node.args['default'], ctx)}"
            return out + " END"
        if isinstance(node, exp.If):
            out = f"CASE WHEN {s(node.this, ctx)} THEN {s(node.args['true'], ctx)}"
            if node.args.get("false") is not None:
                out += f" ELSE {s(node.args['false'], ctx)}"
            return out + " END"
        if isinstance(node, exp.Coalesce):
            args = [node.this, *node.expressions]
            return f"coalesce({', '.join(s(a, ctx) for a in args)})"
        if isinstance(node, (exp.Cast, exp.TryCast)):
            return self._cast(node, ctx)
        if isinstance(node, exp.TimeStrToTime):
            return f"asa_datetime({s(node.this, ctx)})"
        if isinstance(node, exp.DateAdd):
            unit = self._date_unit(node)
            fn = _INTERVAL_FN.get(unit)
            if fn is None:
                raise self._unsupported(node, f"DATEADD unit {unit}")
            return f"(asa_datetime({s(node.this, ctx)}) + {fn}(CAST({s(node.expression, ctx)} AS BIGINT)))"
        if isinstance(node, exp.DateDiff):
            unit = self._date_unit(node)
            pair = self._stream_args(node, ctx)
            if pair is not None:  # DATEDIFF of two streams in a JOIN: the time between their events
                a, b = (f"{q(next(x for x in ctx.aliases if x == n))}.{q('__ts')}" for n in pair)
                return f"(CAST(epoch_ns({b}) - epoch_ns({a}) AS DOUBLE) / {_unit_ns(unit)})"
            return (f"date_diff('{unit}', asa_datetime({s(node.expression, ctx)}), "
                    f"asa_datetime({s(node.this, ctx)}))")
        if isinstance(node, exp.Extract):
            name = node.this.name.lower()
            part = "dow" if name == "dayofweek" else DATE_UNITS.get(name)
            if part is None:
                raise self._unsupported(node, f"DATEPART unit {node.this.name}")
            return _datepart(part, f"asa_datetime({s(node.expression, ctx)})")
        if isinstance(node, (exp.Day, exp.Month, exp.Year)):
            inner = node.this.this if isinstance(node.this, exp.TsOrDsToDate) else node.this
            return _datepart(type(node).__name__.lower(), f"asa_datetime({s(inner, ctx)})")
        if isinstance(node, exp.TimeToStr):  # DATENAME(part, t): names for month and weekday, else numbers
            inner = node.this.this if isinstance(node.this, exp.Cast) else node.this
            fmt = node.args["format"].name
            t = f"asa_datetime({s(inner, ctx)})"
            if fmt in {"%B", "%A"}:
                return f"strftime({t}, '{fmt}')"
            named = {"%Y": "year", "%m": "month", "%d": "day", "%j": "doy", "%H": "hour", "%M": "minute",
                     "%S": "second", "%f": "millisecond", "%W": "week", "%U": "week", "%q": "quarter"}.get(fmt)
            if named is None:
                raise self._unsupported(node, "DATENAME part")
            return f"CAST({_datepart(named, t)} AS VARCHAR)"
        if isinstance(node, exp.Replace):
            return f"replace({s(node.this, ctx)}, {s(node.expression, ctx)}, {s(node.args['replacement'], ctx)})"
        if isinstance(node, exp.StrPosition):  # CHARINDEX(find, text[, start]): 1-based, 0 when absent
            text, find = s(node.this, ctx), s(node.args["substr"], ctx)
            start = node.args.get("position")
            if start is None:
                return f"strpos({text}, {find})"
            st = f"greatest(CAST({s(start, ctx)} AS BIGINT), 1)"
            return (f"CASE WHEN strpos(substring({text}, {st}), {find}) = 0 THEN 0 "
                    f"ELSE strpos(substring({text}, {st}), {find}) + {st} - 1 END")
        if isinstance(node, exp.Trim):
            fn = {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(str(node.args.get("position") or "").upper(), "trim")
            if node.args.get("expression") is not None:
                raise self._unsupported(node, "TRIM(characters FROM text)")
            return f"{fn}({s(node.this, ctx)})"
        if isinstance(node, exp.Window):
            return self._ranked_aggregate(node, ctx)
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in _RECORD_FUNCTIONS:
            return self._record_function(node, ctx)
        if isinstance(node, exp.Nullif):
            return f"nullif({s(node.this, ctx)}, {s(node.expression, ctx)})"
        if isinstance(node, exp.Pow):
            return f"pow(CAST({s(node.this, ctx)} AS DOUBLE), {s(node.expression, ctx)})"
        if isinstance(node, exp.Sign):
            return f"CAST(sign({s(node.this, ctx)}) AS BIGINT)"
        if isinstance(node, exp.Concat):
            return f"concat({', '.join('asa_to_string(' + s(a, ctx) + ')' for a in node.expressions)})"
        if isinstance(node, exp.Length):
            inner = node.this.this if isinstance(node.this, exp.Cast) else node.this
            return f"length(asa_to_string({s(inner, ctx)}))"
        if isinstance(node, exp.Substring):
            args = [s(node.this, ctx), s(node.args["start"], ctx)]
            if node.args.get("length") is not None:
                args.append(s(node.args["length"], ctx))
            return f"substring({', '.join(args)})"
        if isinstance(node, exp.Round):
            dec = node.args.get("decimals")
            return f"round({s(node.this, ctx)}" + (f", {s(dec, ctx)})" if dec is not None else ")")
        for cls, fn in _SIMPLE_FUNCS.items():
            if type(node) is cls:
                return f"{fn}({s(node.this, ctx)})"
        if isinstance(node, exp.Count):
            arg = node.this
            if isinstance(arg, exp.Star):
                return "count(*)"
            if isinstance(arg, exp.Distinct):
                if len(arg.expressions) != 1:
                    raise self._unsupported(node, "COUNT(DISTINCT a, b)")
                return f"count(DISTINCT {s(arg.expressions[0], ctx)})"
            return f"count({s(arg, ctx)})"
        for aggregate, fn in _AGGREGATE_FUNCS.items():
            if type(node) is aggregate:
                if isinstance(node.this, exp.Distinct):
                    raise self._unsupported(node, f"{fn.upper()}(DISTINCT ...)")
                return f"{fn}({s(node.this, ctx)})"
        if isinstance(node, exp.Anonymous) and (agg := str(node.this).lower()) in _NAMED_AGGREGATES:
            if agg == "collect":  # the window's events (or values) as an array
                return f"list({s(node.expressions[0], ctx) if node.expressions else q(ctx.stream_alias)})"
            if len(node.expressions) != 1:
                raise self._unsupported(node, f"{node.this} with {len(node.expressions)} arguments")
            return f"{_NAMED_AGGREGATES[agg]}({s(node.expressions[0], ctx)})"
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == "patindex":
            return self._patindex(node, ctx)
        if isinstance(node, exp.TimestampFromParts):  # DATETIMEFROMPARTS(y, m, d, h, mi, s, ms)
            parts = [s(node.args[k], ctx) if node.args.get(k) is not None else "0"
                     for k in ("year", "month", "day", "hour", "min", "sec", "milli")]
            return (f"CAST(make_timestamp(CAST({parts[0]} AS BIGINT), CAST({parts[1]} AS BIGINT), "
                    f"CAST({parts[2]} AS BIGINT), CAST({parts[3]} AS BIGINT), CAST({parts[4]} AS BIGINT), "
                    f"CAST({parts[5]} AS DOUBLE) + CAST({parts[6]} AS DOUBLE) / 1000) AS TIMESTAMP_NS)")
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == SYSTEM_TIMESTAMP:
            return ctx.ts_sql
        if isinstance(node, exp.Anonymous) and (key := _analytic_key(node)):
            if key not in ctx.analytics:
                raise self._unsupported(node, f"{key.split('__')[-1].upper()} here",
                                        "use it in a statement over a stream")
            return f"{q(ctx.stream_alias)}.{q(key)}"
        if isinstance(node, exp.Anonymous) and window_name(node):
            raise self._unsupported(node, str(node.this), "windows belong in GROUP BY")
        raise self._unsupported(node)

    # -- analytic functions ---------------------------------------------------------------------
    def _analytic(self, call: exp.Anonymous, key: str, ctx: _Ctx) -> str:
        """Window SQL for LAG, LAST or ISFIRST over the statement's stream, ordered by time."""
        spec = self.analytics.get(key) or Analytic(key, "isfirst", (), None, None, node_line(call, self.text) or 0)
        name = spec.function.upper()
        line = spec.line or node_line(call, self.text, str(call.this))
        ts = f"{q(ctx.stream_alias)}.{q('__ts')}"
        part = [self.sql(self._expr(p, line), ctx) for p in spec.partition_by]
        when = f"coalesce({self.sql(self._expr(spec.when, line), ctx)}, FALSE)" if spec.when else None
        args = list(call.expressions)
        if spec.function == "isfirst":
            if len(args) != 2:
                raise UnsupportedConstruct(f"ISFIRST with {len(args)} arguments", line, "ISFIRST(unit, length)")
            size = unit_amount(args, "ISFIRST", line)
            interval = WindowSpec("tumbling", size, size).end_sql(ts)
            keys = ", ".join([*part, interval] + ([when] if when else []))
            first = f"CAST(row_number() OVER (PARTITION BY {keys} ORDER BY {ts}) = 1 AS BIGINT)"
            return f"CASE WHEN {when} THEN {first} ELSE 0 END" if when else first
        if spec.duration is None:
            raise UnsupportedConstruct(f"{name} without LIMIT DURATION", line, "Stream Analytics requires it")
        duration = unit_amount(list(self._expr(f"Duration({spec.duration})", line).expressions), "LIMIT DURATION", line)
        since = f"{ts} - to_microseconds({duration // 1000})"
        if args and isinstance(args[0], exp.Star):
            raise UnsupportedConstruct(f"{name}(*)", line, "name the fields")
        max_args = 3 if spec.function == "lag" else 2
        if not 1 <= len(args) <= max_args:
            raise UnsupportedConstruct(f"{name} with {len(args)} arguments", line)
        value = self.sql(args[0], ctx)
        offset = 0
        if spec.function == "lag":
            offset = 1
            if len(args) > 1:
                if not (isinstance(args[1], exp.Literal) and args[1].this.isdigit() and int(args[1].this) >= 1):
                    raise UnsupportedConstruct(f"LAG offset {args[1].sql()}", line, "an integer >= 1")
                offset = int(args[1].this)
        default = self.sql(args[-1], ctx) if len(args) == max_args else "NULL"
        over = f"OVER ({'PARTITION BY ' + ', '.join(part) + ' ' if part else ''}ORDER BY {ts}"
        if when is None and offset >= 1:
            return (f"CASE WHEN lag({ts}, {offset}) {over}) >= {since} "
                    f"THEN lag({value}, {offset}) {over}) ELSE {default} END")
        if offset > 1:
            raise UnsupportedConstruct("LAG with an offset above 1 and WHEN", line)
        frame = "1 PRECEDING" if offset else "CURRENT ROW"
        found = (f"last_value(CASE WHEN {when or 'TRUE'} THEN {{'v': {value}, 't': {ts}}} END IGNORE NULLS) "
                 f"{over} ROWS BETWEEN UNBOUNDED PRECEDING AND {frame})")
        return f"CASE WHEN ({found}).t >= {since} THEN ({found}).v ELSE {default} END"

    def _ranked_aggregate(self, node: exp.Window, ctx: _Ctx) -> str:
        """TopOne(), CollectTop(n), PERCENTILE_CONT(p), PERCENTILE_DISC(p) ``OVER (ORDER BY ...)``."""
        fn = node.this
        name = (str(fn.this) if isinstance(fn, exp.Anonymous) else fn.key).lower().replace("percentile", "percentile_")
        order = node.args.get("order")
        if order is None or node.args.get("partition_by") or node.args.get("spec"):
            raise self._unsupported(node, f"{_construct_name(fn)} OVER (...)", "write OVER (ORDER BY ...)")
        keys = [(self.sql(o.this, ctx), bool(o.args.get("desc"))) for o in order.expressions]
        order_sql = ", ".join(f"{k} {'DESC' if d else 'ASC'}" for k, d in keys)
        record = q(ctx.stream_alias)  # the whole event (hidden columns are left out when written)
        if name in {"percentile_cont", "percentile_disc", "percentilecont", "percentiledisc"}:
            if len(keys) != 1:
                raise self._unsupported(node, f"{name.upper()} over several ORDER BY keys")
            (col, desc), p = keys[0], self.sql(fn.this, ctx)
            if "cont" in name:
                return f"quantile_cont({col}, {'1 - ' if desc else ''}{p})"
            # T-SQL: the first value (in order) whose cumulative distribution reaches p.
            values = f"list_sort(list({col}) FILTER (WHERE {col} IS NOT NULL), '{'DESC' if desc else 'ASC'}')"
            return f"list_extract({values}, CAST(greatest(ceil({p} * count({col})), 1) AS BIGINT))"
        if name == "topone":
            return f"first({record} ORDER BY {order_sql})"
        if name == "collecttop":
            n = self.sql(fn.expressions[0], ctx) if fn.expressions else "1"
            key = "{" + ", ".join(f"'k{i}': {k}" for i, (k, _) in enumerate(keys)) + "}"
            ranked = f"list({{'k': {key}, 'value': {record}}} ORDER BY {order_sql})"
            # rank: 1 + how many come strictly before (ties share a rank), top n ranks kept
            ranks = (f"list_transform({ranked}, lambda e: {{'rank': list_position(list_transform({ranked}, "
                     f"lambda x: x.k), e.k), 'value': e.value}})")
            return f"list_filter({ranks}, lambda r: r.rank <= {n})"
        raise self._unsupported(node, f"{_construct_name(fn)} OVER (...)")

    def _patindex(self, node: exp.Anonymous, ctx: _Ctx) -> str:
        """PATINDEX('%pattern%', text): 1-based start of the first match of a LIKE pattern, else 0."""
        if len(node.expressions) != 2 or not (isinstance(node.expressions[0], exp.Literal)
                                              and node.expressions[0].is_string):
            raise self._unsupported(node, "PATINDEX without a literal pattern")
        pattern = node.expressions[0].this
        body = pattern.removeprefix("%").removesuffix("%")
        regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in body)
        regex = ("" if pattern.startswith("%") else "^") + regex + ("" if pattern.endswith("%") else "$")
        text = self.sql(node.expressions[1], ctx)
        rx = "'" + regex.replace("'", "''") + "'"
        return (f"CASE WHEN regexp_matches({text}, {rx}) "
                f"THEN strpos({text}, regexp_extract({text}, {rx})) ELSE 0 END")

    def _record_function(self, node: exp.Anonymous, ctx: _Ctx) -> str:
        """GetArrayElement (0-based, NULL out of range), GetArrayLength, GetRecordPropertyValue."""
        name = str(node.this).lower()
        args = [self.sql(a, ctx) for a in node.expressions]
        if len(args) != _RECORD_FUNCTIONS[name]:
            raise self._unsupported(node, f"{node.this} with {len(args)} arguments")
        if name == "getarrayelement":
            i = f"CAST({args[1]} AS BIGINT)"
            return f"CASE WHEN {i} >= 0 THEN list_extract({args[0]}, {i} + 1) END"
        if name == "getarraylength":
            return f"len({args[0]})"
        return f"(to_json({args[0]}) -> CAST({args[1]} AS VARCHAR))"  # JSON: the value of any type

    def _expr(self, text: str, line: int | None) -> exp.Expression:
        return parse_expression(text, line)

    @staticmethod
    def _apply_col(alias: str, field_: str, ctx: _Ctx) -> str:
        return f"{q(ctx.stream_alias)}.{q(alias.lower() + '__' + field_)}"

    def _date_unit(self, node: exp.Expression) -> str:
        raw = node.args.get("unit")
        name = (raw.name if raw is not None else "day").lower()
        unit = DATE_UNITS.get(name)
        if unit is None:
            raise self._unsupported(node, f"{_construct_name(node)} unit {name}")
        return unit

    def _cast(self, node: exp.Cast, ctx: _Ctx) -> str:
        """CAST and TRY_CAST never abort: a failed CAST's event is dropped by :meth:`_cast_guards`
        (or, inside an aggregate, the value is NULL), a failed TRY_CAST is NULL."""
        to = node.args["to"]
        inner = self.sql(node.this, ctx)
        if to.this in _STRING_TYPES:
            return f"asa_to_string({inner})"
        if to.this in _DATETIME_TYPES:
            return f"asa_try_datetime({inner})"
        if to.this in _TYPES:
            return f"TRY_CAST({inner} AS {_TYPES[to.this]})"
        raise self._unsupported(node, f"CAST to {to.sql('tsql')}")

    def _cast_guards(self, sel: exp.Select, ctx: _Ctx, source: str) -> list[str]:
        """For each row-level CAST that can fail: 'the value is NULL or it converts'. A number or a
        bit cast to a number or a bit cannot fail, so only casts of other values are guarded (their
        type is asked of DuckDB through :attr:`value_type`, which binds but does not run ``source``)."""
        guards = []
        for e in [*sel.expressions, *([sel.args["where"].this] if sel.args.get("where") else [])]:
            for node in e.find_all(exp.Cast):
                if isinstance(node, exp.TryCast) or node.args["to"].this in _STRING_TYPES:
                    continue
                inner = node.this
                if isinstance(inner, (exp.Literal, exp.Null, exp.Boolean)) or any(
                        _is_aggregate(n) or (isinstance(n, exp.Anonymous) and (
                            str(n.this).lower() == SYSTEM_TIMESTAMP or _analytic_key(n)))
                        for n in inner.walk()):
                    continue
                value = self.sql(inner, ctx)
                typ = self.value_type(value, source) if self.value_type else "VARCHAR"
                if typ in _SAFE_CAST_SOURCES and node.args["to"].this in _TYPES:
                    continue
                guards.append(f"({value} IS NULL OR {self._cast(node, ctx)} IS NOT NULL)")
        return guards


_SAFE_CAST_SOURCES = {"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                      "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE"}
"""Types whose CAST to bigint, float or bit cannot fail (out-of-range aside)."""

_NAMED_AGGREGATES = {"stdevp": "stddev_pop", "var": "var_samp", "varp": "var_pop", "collect": "list"}
"""Aggregates the T-SQL parser leaves as plain function calls, and their DuckDB twins."""


def _is_aggregate(node: exp.Expression) -> bool:
    return isinstance(node, (*_AGGREGATES, exp.Stddev, exp.Window)) or (
        isinstance(node, exp.Anonymous) and str(node.this).lower() in _NAMED_AGGREGATES)


_RECORD_FUNCTIONS = {"getarrayelement": 2, "getarraylength": 1, "getrecordpropertyvalue": 2}
"""Scalar functions on arrays and records, with their number of arguments."""

_CLAUSE_NAMES = {"order": "ORDER BY", "limit": "TOP/LIMIT", "offset": "OFFSET", "qualify": "QUALIFY",
                 "windows": "WINDOW clause", "distinct": "SELECT DISTINCT", "laterals": "LATERAL",
                 "pivots": "PIVOT"}


def _unit_ns(unit: str) -> int:
    """Nanoseconds in a DATEDIFF unit (months and years as Stream Analytics' fixed JOIN bounds cannot use them)."""
    if unit in UNIT_NS:
        return UNIT_NS[unit]
    if unit == "week":
        return 7 * UNIT_NS["day"]
    raise UnsupportedConstruct(f"DATEDIFF unit {unit} between two streams")


def _datepart(unit: str, t: str) -> str:
    """DATEPART as T-SQL numbers it (DATEFIRST 7): weekday 1 = Sunday; week 1 holds January 1 and
    weeks start on Sunday."""
    if unit == "dow":
        return f"(dayofweek({t}) + 1)"
    if unit == "week":
        return f"((dayofyear({t}) - 1 + dayofweek(date_trunc('year', {t}))) // 7 + 1)"
    return f"date_part('{unit}', {t})"


def _is_window_id(node: exp.Expr) -> bool:
    """Whether ``node`` is ``System.Window().Id``."""
    return (isinstance(node, exp.Dot) and isinstance(node.this, exp.Dot) and node.name.lower() == "id"
            and isinstance(node.this.expression, exp.Anonymous) and str(node.this.expression.this).lower() == "window"
            and node.this.this.name.lower() == "system")


def _analytic_key(node: exp.Expression) -> str | None:
    """The placeholder of a lifted analytic call, or ``__isfirst`` for ISFIRST without OVER."""
    if not isinstance(node, exp.Anonymous):
        return None
    name = str(node.this).lower()
    if name.startswith(ANALYTIC_PREFIX):
        return name
    if name == "isfirst":
        return f"{ANALYTIC_PREFIX}_isfirst_{abs(hash(node.sql()))}"
    return None


def _construct_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return f"{node.this}()"
    if isinstance(node, exp.Func):
        return f"{node.sql_name()}()"
    if isinstance(node, exp.Window):
        return "OVER (analytic function)"
    if isinstance(node, exp.Subquery):
        return "subquery"
    return node.key.upper()


__all__ = ["Relation", "Translator", "DATE_UNITS", "UNIT_NS", "q"]
