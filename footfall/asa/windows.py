"""Stream Analytics windows as DuckDB SQL: which window(s) an event at ``__ts`` falls into.

Windows are end-inclusive ``(end - size, end]`` and aligned to 1970-01-01T00:00:00Z plus the
optional offset; ``System.Timestamp()`` of a windowed aggregate is the window end.
Timestamps are handled as nanoseconds since the epoch (``epoch_ns`` of a ``TIMESTAMP_NS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from footfall.asa.errors import UnsupportedConstruct

UNIT_NS: dict[str, int] = {
    "day": 86_400_000_000_000, "dd": 86_400_000_000_000, "d": 86_400_000_000_000,
    "hour": 3_600_000_000_000, "hh": 3_600_000_000_000,
    "minute": 60_000_000_000, "mi": 60_000_000_000, "n": 60_000_000_000,
    "second": 1_000_000_000, "ss": 1_000_000_000, "s": 1_000_000_000,
    "millisecond": 1_000_000, "ms": 1_000_000,
    "microsecond": 1_000, "mcs": 1_000,
}
"""Window time units (Stream Analytics names and abbreviations) in nanoseconds."""

WINDOW_NAMES = {
    "tumblingwindow": "tumbling", "tumbling": "tumbling",
    "hoppingwindow": "hopping", "hopping": "hopping",
    "slidingwindow": "sliding", "sliding": "sliding",
    "sessionwindow": "session", "session": "session",
    "snapshotwindow": "snapshot", "snapshot": "snapshot",
    "windows": "windows",
}


@dataclass(frozen=True)
class WindowSpec:
    """A window from a GROUP BY clause, sizes in nanoseconds."""

    kind: str  # tumbling | hopping | sliding | snapshot | session
    size_ns: int
    """The window size; a session window's timeout."""
    hop_ns: int
    """The hop; a session window's maximum duration."""
    offset_ns: int = 0
    partition_by: tuple[str, ...] = ()
    """A session window's OVER (PARTITION BY ...) expressions."""

    def end_sql(self, ts: str) -> str:
        """Tumbling: the end of the one window holding an event at ``ts`` (a TIMESTAMP expression)."""
        s, o = self.size_ns, self.offset_ns
        return f"make_timestamp_ns(((epoch_ns({ts}) - {o} + {s - 1}) // {s}) * {s} + {o})"

    def hop_ends_sql(self, ts: str) -> str:
        """Hopping: a list of the ends (epoch ns) of every window holding an event at ``ts``."""
        h, o = self.hop_ns, self.offset_ns
        first = f"((epoch_ns({ts}) - {o} + {h - 1}) // {h}) * {h} + {o}"
        return f"range({first}, epoch_ns({ts}) + {self.size_ns}, {h})"


def window_name(node: exp.Expression) -> str | None:
    """The canonical window kind if ``node`` is a window function call, else None."""
    if isinstance(node, exp.Anonymous):
        return WINDOW_NAMES.get(str(node.this).lower())
    return None


def unit_amount(args: list[exp.Expression], what: str, line: int | None) -> int:
    if len(args) != 2:
        raise UnsupportedConstruct(f"{what} with {len(args)} arguments", line, "expected (timeunit, size)")
    unit, amount = args
    unit_name = unit.name.lower() if isinstance(unit, (exp.Column, exp.Var, exp.Identifier)) else ""
    if unit_name not in UNIT_NS:
        raise UnsupportedConstruct(f"time unit {unit.sql()!r} in {what}", line)
    if not (isinstance(amount, exp.Literal) and not amount.is_string and amount.this.isdigit()):
        raise UnsupportedConstruct(f"non-constant size {amount.sql()!r} in {what}", line)
    return UNIT_NS[unit_name] * int(amount.this)


def _named(arg: exp.Expression, names: set[str]) -> bool:
    return isinstance(arg, exp.Anonymous) and str(arg.this).lower() in names


def parse_window(node: exp.Anonymous, line: int | None) -> WindowSpec:
    """Read ``TumblingWindow(unit, size[, offset])``, ``HoppingWindow(unit, size, hop[, offset])``,
    ``SlidingWindow(unit, size)`` and their ``Duration(...)``/``Hop(...)``/``Offset(...)`` forms."""
    kind = window_name(node)
    name = str(node.this)
    if kind not in {"tumbling", "hopping", "sliding", "session"}:
        raise UnsupportedConstruct(name, line, "supported windows: Tumbling, Hopping, Sliding, Session, Snapshot")
    args = list(node.expressions)
    if kind == "session":
        if args and _named(args[0], {"timeout"}):
            if len(args) != 2 or not _named(args[1], {"maxduration"}):
                raise UnsupportedConstruct(f"{name} arguments", line, "SessionWindow(Timeout(...), MaxDuration(...))")
            timeout = unit_amount(list(args[0].expressions), "Timeout", line)
            longest = unit_amount(list(args[1].expressions), "MaxDuration", line)
        else:
            if len(args) != 3:
                raise UnsupportedConstruct(f"{name} with {len(args)} arguments", line,
                                           "SessionWindow(unit, timeout, maxDuration)")
            timeout = unit_amount(args[:2], name, line)
            longest = unit_amount([args[0], args[2]], name, line)
        if timeout <= 0 or longest <= 0:
            raise UnsupportedConstruct(f"{name} with a zero size", line)
        return WindowSpec(kind="session", size_ns=timeout, hop_ns=longest)
    if args and _named(args[0], {"duration"}):
        size = unit_amount(list(args[0].expressions), "Duration", line)
        hop, offset = size, 0
        for extra in args[1:]:
            if _named(extra, {"hop"}):
                hop = unit_amount(list(extra.expressions), "Hop", line)
            elif _named(extra, {"offset"}):
                offset = unit_amount(list(extra.expressions), "Offset", line)
            else:
                raise UnsupportedConstruct(f"{name} argument {extra.sql()!r}", line)
    else:
        if len(args) < 2:
            raise UnsupportedConstruct(f"{name} with {len(args)} arguments", line)
        size = unit_amount(args[:2], name, line)
        unit_ns = size // int(args[1].this)
        rest = [int(a.this) * unit_ns for a in args[2:] if isinstance(a, exp.Literal) and a.this.isdigit()]
        if len(rest) != len(args) - 2:
            raise UnsupportedConstruct(f"non-constant argument in {name}", line)
        if kind == "hopping":
            if not rest:
                raise UnsupportedConstruct(f"{name} without a hop size", line)
            hop, offset = rest[0], (rest[1] if len(rest) > 1 else 0)
        else:
            hop, offset = size, (rest[0] if rest else 0)
        if kind == "sliding" and rest:
            raise UnsupportedConstruct(f"{name} with an offset", line)
    if size <= 0 or hop <= 0:
        raise UnsupportedConstruct(f"{name} with a zero size", line)
    if kind == "tumbling":
        hop = size
    return WindowSpec(kind=kind, size_ns=size, hop_ns=hop, offset_ns=offset % hop)
