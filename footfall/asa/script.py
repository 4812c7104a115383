"""Parse a Stream Analytics query into steps (``WITH``) and output statements (``SELECT ... INTO``).

Stream Analytics SQL is T-SQL-like, so sqlglot's T-SQL parser reads most of it. The few
clauses T-SQL lacks are lifted out first, in place, keeping every line where it was (so error
messages still point at the right line):

* ``FROM input [AS a] TIMESTAMP BY expr`` - the table is renamed to a per-clause stream
  (``__tsby<n>__input``) and the expression is remembered;
* ``PARTITION BY PartitionId`` - removed (event ordering is per partition whatever the query says);
* ``LAG | LAST | ISFIRST (...) OVER (...)`` - the call becomes ``__analytic<n>(...)`` and its
  ``OVER`` clause (``PARTITION BY``, ``LIMIT DURATION``, ``WHEN``, which T-SQL lacks) is remembered;
* ``System.Timestamp()`` - becomes ``__system_timestamp()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from footfall.asa.errors import AsaSyntaxError, UnsupportedConstruct

SYSTEM_TIMESTAMP = "__system_timestamp"
TSBY_PREFIX = "__tsby"
ANALYTIC_PREFIX = "__analytic"
DEFAULT_OUTPUT = "output"
"""Where a SELECT without INTO writes."""
ANALYTIC_FUNCTIONS = {"lag", "last", "isfirst", "sessionwindow", "session"}
RANKED_AGGREGATES = {"topone", "collecttop", "percentile_cont", "percentile_disc"}
"""Aggregates written ``F(...) OVER (ORDER BY ...)``."""

_STOP_WORDS = {
    "OVER", "CROSS", "OUTER", "LEFT", "RIGHT", "INNER", "FULL", "JOIN", "WHERE", "GROUP",
    "HAVING", "PARTITION", "UNION", "EXCEPT", "INTERSECT", "ON", "INTO", "SELECT", "WITH", "AS",
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class TimestampBy:
    """One ``TIMESTAMP BY`` clause: the stream it defines and the event-time expression."""

    stream: str
    """The synthetic stream name the FROM item now refers to (``__tsby0__frames``)."""
    input_name: str
    alias: str
    """The name the query uses for the input in that FROM item (its alias, or its name)."""
    expression: str
    line: int
    over: tuple[str, ...] = ()
    """``TIMESTAMP BY ... OVER keys``: substream key expressions, each with its own watermark."""


@dataclass(frozen=True)
class Analytic:
    """An analytic function call with its ``OVER`` clause, lifted out of the text."""

    key: str
    """The placeholder the call now has (``__analytic0``)."""
    function: str
    """``lag``, ``last`` or ``isfirst``."""
    partition_by: tuple[str, ...]
    duration: str | None
    """The arguments of ``LIMIT DURATION(...)``, e.g. ``minute, 1``."""
    when: str | None
    line: int


@dataclass(frozen=True)
class Statement:
    """A step (``WITH name AS (...)``) or an output statement (``SELECT ... INTO output``)."""

    kind: str  # "step" | "output"
    name: str
    select: exp.Select | exp.Union
    """One SELECT, or several joined by ``UNION`` (which in Stream Analytics keeps duplicates)."""
    line: int


@dataclass
class Script:
    """A parsed query: its steps and outputs in order, and the ``TIMESTAMP BY`` streams."""

    text: str
    statements: list[Statement] = field(default_factory=list)
    timestamp_by: dict[str, TimestampBy] = field(default_factory=dict)
    analytics: dict[str, Analytic] = field(default_factory=dict)

    @property
    def outputs(self) -> list[str]:
        """Output aliases written by the query, in first-use order."""
        seen: list[str] = []
        for st in self.statements:
            if st.kind == "output" and st.name not in seen:
                seen.append(st.name)
        return seen


def line_of(text: str, pos: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, pos) + 1


def mask(text: str) -> str:
    """The text with comments and string literals blanked (same length, newlines kept)."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        if text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text[i] == "'":
            j = i + 1
            while j < n:
                if text[j] == "'" and text.startswith("''", j):
                    j += 2
                    continue
                if text[j] == "'":
                    break
                j += 1
            j = min(j + 1, n)
            _blank(out, i + 1, j - 1)
            i = j
            continue
        else:
            i += 1
            continue
        _blank(out, i, j)
        i = j
    return "".join(out)


def _blank(chars: list[str], start: int, end: int) -> None:
    for k in range(start, end):
        if chars[k] != "\n":
            chars[k] = " "


def _expression_end(masked: str, start: int) -> int:
    """End offset of a scalar expression starting at ``start`` (stops at a clause keyword)."""
    depth, i, n = 0, start, len(masked)
    while i < n:
        c = masked[i]
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                return i
            depth -= 1
        elif c in ",;" and depth == 0:
            return i
        elif depth == 0 and (c.isalpha() or c == "_"):
            m = _WORD.match(masked, i)
            assert m is not None
            prev = masked[i - 1] if i > 0 else " "
            if m.group().upper() in _STOP_WORDS and prev != ".":
                return i
            i = m.end()
            continue
        i += 1
    return n


def _matching(masked: str, open_pos: int) -> int:
    """Offset of the parenthesis closing the one at ``open_pos`` (or -1)."""
    depth = 0
    for i in range(open_pos, len(masked)):
        if masked[i] == "(":
            depth += 1
        elif masked[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _split_top(text: str, masked: str) -> list[str]:
    """``text`` split at commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(masked):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _lift_analytics(text: str, masked: str) -> tuple[list[tuple[int, int, str]], dict[str, Analytic]]:
    """Edits that turn ``F(args) OVER (spec)`` into ``__analytic<n>(args)``, and the specs."""
    edits: list[tuple[int, int, str]] = []
    found: dict[str, Analytic] = {}
    for m in re.finditer(r"\bOVER\s*\(", masked, re.IGNORECASE):
        line = line_of(text, m.start())
        head = masked[: m.start()].rstrip()
        call = None
        if head.endswith(")"):
            depth, i = 0, len(head) - 1
            while i >= 0:
                depth += {")": 1, "(": -1}.get(head[i], 0)
                if depth == 0:
                    break
                i -= 1
            call = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", head[:i])
        if call is None:
            raise AsaSyntaxError("OVER must follow a function call", line)
        name = call.group(1)
        if name.lower() in RANKED_AGGREGATES:
            continue  # OVER (ORDER BY ...) of an aggregate: T-SQL syntax, left to the parser
        if name.lower() not in ANALYTIC_FUNCTIONS:
            raise UnsupportedConstruct(f"{name}() OVER (...)", line, "analytic functions: LAG, LAST, ISFIRST")
        close = _matching(masked, m.end() - 1)
        if close < 0:
            raise AsaSyntaxError("OVER ( without its )", line)
        body, mbody = text[m.end():close], masked[m.end():close]
        marks = {k: km.start() for k, pat in (("partition", r"\bPARTITION\s+BY\b"), ("limit", r"\bLIMIT\s+DURATION\b"),
                                                ("when", r"\bWHEN\b"))
                 if (km := re.search(pat, mbody, re.IGNORECASE))}
        order = sorted(marks.items(), key=lambda kv: kv[1])
        parts: dict[str, tuple[str, str]] = {}
        for n, (k, start) in enumerate(order):
            end = order[n + 1][1] if n + 1 < len(order) else len(body)
            keyword = re.match(r"\w+(\s+\w+)?" if k != "when" else r"\w+", mbody[start:])
            assert keyword is not None  # each mark is where a keyword was found
            kw = keyword.end()
            parts[k] = (body[start + kw:end], mbody[start + kw:end])
        if mbody[: order[0][1] if order else len(mbody)].strip():
            raise AsaSyntaxError(f"OVER ({body.strip()}): expected PARTITION BY, LIMIT DURATION or WHEN", line)
        duration = None
        if "limit" in parts:
            d = re.fullmatch(r"\s*\((.*)\)\s*", parts["limit"][0], re.DOTALL)
            if not d:
                raise AsaSyntaxError("LIMIT DURATION needs (unit, length)", line)
            duration = d.group(1)
        key = f"{ANALYTIC_PREFIX}{len(found)}"
        found[key] = Analytic(
            key=key, function=name.lower(),
            partition_by=tuple(_split_top(*parts["partition"])) if "partition" in parts else (),
            duration=duration, when=parts["when"][0].strip() if "when" in parts else None, line=line)
        edits.append((call.start(1), call.end(1), key))
        edits.append((m.start(), close + 1, ""))
    return edits, found


def preprocess(text: str) -> tuple[str, dict[str, TimestampBy]]:
    """Lift the Stream Analytics-only clauses out of ``text`` (see the module docstring)."""
    cleaned, tsby, _ = preprocess_all(text)
    return cleaned, tsby


def preprocess_all(text: str) -> tuple[str, dict[str, TimestampBy], dict[str, Analytic]]:
    """:func:`preprocess`, also returning the analytic functions it lifted."""
    masked = mask(text)
    chars = list(text)
    found: dict[str, TimestampBy] = {}
    renames: list[tuple[int, int, str]] = []
    for n, m in enumerate(re.finditer(r"\bTIMESTAMP\s+BY\b", masked, re.IGNORECASE)):
        line = line_of(text, m.start())
        end = _expression_end(masked, m.end())
        expr = text[m.end():end].strip()
        if not expr:
            raise AsaSyntaxError("TIMESTAMP BY needs an expression", line)
        over: list[str] = []
        after = re.match(r"\s*OVER\b", masked[end:], re.IGNORECASE)
        if after:
            pos = end + after.end()
            key = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.]*)")
            while (k := key.match(masked, pos)) and k.group(1).upper() not in _STOP_WORDS:
                over.append(text[k.start(1):k.end(1)])
                pos = k.end()
                comma = re.match(r"\s*,", masked[pos:])
                if not comma:
                    break
                pos += comma.end()
            if not over:
                raise AsaSyntaxError("TIMESTAMP BY ... OVER needs one or more key columns", line)
            end = pos
        head = masked[: m.start()]
        sources = list(re.finditer(
            r"\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_]*)(\s+(?:AS\s+)?([A-Za-z_][A-Za-z0-9_]*))?\s*$",
            head, re.IGNORECASE))
        src = sources[-1] if sources else None
        if src is None:
            raise AsaSyntaxError("TIMESTAMP BY must follow FROM <input> or JOIN <input>", line)
        name = src.group(1)
        alias = src.group(3)
        if alias and alias.upper() in _STOP_WORDS:
            alias = None
        stream = f"{TSBY_PREFIX}{n}__{name.lower()}"
        found[stream] = TimestampBy(stream=stream, input_name=name.lower(), alias=alias or name,
                                    expression=expr, line=line, over=tuple(over))
        replacement = stream if alias else f"{stream} AS {name}"
        renames.append((src.start(1), src.end(1), replacement))
        _blank(chars, m.start(), end)
    for m in re.finditer(r"\bPARTITION\s+BY\s+PartitionId\b(?!\s*(LIMIT|WHEN|\)))", masked, re.IGNORECASE):
        _blank(chars, m.start(), m.end())
    # TIMESTAMP BY ... OVER keys is blanked by now, so every OVER left is an analytic function's.
    edits, analytics = _lift_analytics(text, mask("".join(chars)))
    for start, end, new in edits:
        blanked = list(new) if new else [ch if ch == "\n" else " " for ch in chars[start:end]]
        renames.append((start, end, "".join(blanked)))
    for start, end, new in sorted(renames, reverse=True):
        chars[start:end] = list(new)
    cleaned = "".join(chars)
    cleaned = re.sub(r"\bSystem\.Timestamp\b(\s*\(\s*\))?", f"{SYSTEM_TIMESTAMP}()", cleaned, flags=re.IGNORECASE)
    return cleaned, found, analytics


def split_statements(text: str) -> str:
    """Put ``;`` between top-level statements (Stream Analytics does not require it, sqlglot does)."""
    masked = mask(text)
    inserts: list[int] = []
    depth, in_with, seen_select = 0, False, False
    for m in re.finditer(r"[()]|;|\b(?:WITH|SELECT)\b", masked, re.IGNORECASE):
        tok = m.group().upper()
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif tok == ";" and depth == 0:
            seen_select, in_with = False, False
        elif depth == 0 and tok == "WITH":
            in_with = True
        elif depth == 0 and tok == "SELECT":
            before = masked[: m.start()].rstrip()
            if re.search(r"\b(UNION|ALL|EXCEPT|INTERSECT)$", before, re.IGNORECASE):
                continue
            if seen_select and not in_with:
                inserts.append(m.start())
            seen_select, in_with = True, False
    chars = list(text)
    for pos in reversed(inserts):
        chars.insert(pos, ";")
    return "".join(chars)


def node_line(node: exp.Expression, text: str, needle: str | None = None) -> int | None:
    """Best-effort line of a node: sqlglot token metadata, else the first match of ``needle``."""
    for sub in node.walk():
        meta = getattr(sub, "_meta", None) or {}
        if "line" in meta:
            return int(meta["line"])
    if needle:
        m = re.search(r"\b" + re.escape(needle) + r"\b", mask(text), re.IGNORECASE)
        if m:
            return line_of(text, m.start())
    return None


_UNSUPPORTED_SYNTAX = [
    (r"\bMATCH_RECOGNIZE\b", "MATCH_RECOGNIZE"),
    (r"\bud[af]\.[A-Za-z_]", "user-defined function (udf./uda.)"),
    (r"\bCREATE\s+TABLE\b", "CREATE TABLE"),
]
"""Stream Analytics syntax that T-SQL parsing would only report as a confusing parse error."""


def parse_script(text: str) -> Script:
    """Parse a Stream Analytics query into a :class:`Script`."""
    masked = mask(text)
    for pattern, construct in _UNSUPPORTED_SYNTAX:
        m = re.search(pattern, masked, re.IGNORECASE)
        if m:
            raise UnsupportedConstruct(construct, line_of(text, m.start()))
    cleaned, tsby, analytics = preprocess_all(text)
    try:
        trees = sqlglot.parse(split_statements(cleaned), read="tsql")
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        raise AsaSyntaxError(str(err.get("description") or exc).split("\n")[0], err.get("line")) from None
    except TokenError as exc:
        raise AsaSyntaxError(str(exc)) from None
    script = Script(text=text, timestamp_by=tsby, analytics=analytics)
    for tree in trees:
        if not isinstance(tree, exp.Expression):  # None: an empty statement
            continue
        line = node_line(tree, text) or 1
        if not isinstance(tree, (exp.Select, exp.Union)):
            raise UnsupportedConstruct(type(tree).__name__.upper() + " statement", line,
                                       "a job is WITH steps and SELECT ... INTO statements")
        with_ = tree.args.get("with_")
        if with_ is not None:
            for cte in with_.expressions:
                body = cte.this
                cline = node_line(cte, text) or line
                if not isinstance(body, (exp.Select, exp.Union)):
                    raise UnsupportedConstruct(type(body).__name__.upper(), cline)
                script.statements.append(Statement("step", cte.alias.lower(), body, cline))
            tree = tree.copy()
            tree.set("with_", None)
        tree, into = _take_into(tree)
        # INTO (Azure Stream Analytics): "If not specified, the default output stream is 'output'."
        name = into.this.name.lower() if into is not None else DEFAULT_OUTPUT
        script.statements.append(Statement("output", name, tree, line))
    return script


def _take_into(tree: exp.Select | exp.Union) -> tuple[exp.Select | exp.Union, exp.Into | None]:
    """A copy of ``tree`` without its ``INTO`` clause, and that clause.

    In ``SELECT ... INTO out FROM a UNION SELECT ... FROM b`` the clause sits on the first SELECT.
    """
    tree = tree.copy()
    first = tree
    while isinstance(first, exp.Union):
        first = first.this
    into = first.args.get("into")
    first.set("into", None)
    return tree, into
