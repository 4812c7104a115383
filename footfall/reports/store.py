"""The local report store: Stream Analytics outputs in an embedded DuckDB file.

Output ``cosmos`` goes to table ``cosmos`` (upsert by ``id``), output ``powerbi`` to table
``powerbi`` (upsert by ``(level, group_key, window_end)``, where ``group_key`` is the store id,
city or region of the row's level). The reports read table ``cosmos``, as the cloud reads Cosmos DB.

Concurrency. DuckDB lets one process open a file read-write, or any number open it read-only,
never both at once. So the store holds no connection: every call opens one, does a short
transaction and closes it, and retries with back-off while another process holds a conflicting
lock (``footfall asa run`` writing while ``footfall dashboard`` reads). Within one process a
lock per file serializes calls, because DuckDB refuses read-only and read-write connections to
the same file side by side in one process. Writers take precedence over readers across processes
(see :meth:`ReportStore._connect`).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import duckdb
import pandas as pd

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from footfall.paths import state_dir
from functions.reports.models import (
    COUNT_COLUMNS, DEMOGRAPHIC_COLUMNS, GROUP_COLUMNS, StoreRef, WindowRow, WindowSelection,
)
from functions.reports.reader import ReaderUnavailable

ALIASES = ("cosmos", "powerbi")

_COUNT_SQL = ", ".join(f"{c} BIGINT" for c in COUNT_COLUMNS)
_ROW_COLUMNS_SQL = f"""
    level VARCHAR NOT NULL,
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    store_id VARCHAR, store_name VARCHAR, city VARCHAR, country VARCHAR, region VARCHAR,
    frames BIGINT NOT NULL,
    faces BIGINT NOT NULL,
    {_COUNT_SQL},
    avg_age DOUBLE,
    happiness_share DOUBLE,
    suppressed BOOLEAN NOT NULL,
    written_at TIMESTAMP NOT NULL
"""
SCHEMA = [
    f"CREATE TABLE IF NOT EXISTS cosmos (id VARCHAR PRIMARY KEY, pk VARCHAR NOT NULL, {_ROW_COLUMNS_SQL})",
    f"""CREATE TABLE IF NOT EXISTS powerbi (group_key VARCHAR NOT NULL, {_ROW_COLUMNS_SQL},
        PRIMARY KEY (level, group_key, window_end))""",
]
_ROW_COLUMNS = (
    "level", "window_start", "window_end", *GROUP_COLUMNS, "frames", "faces", *DEMOGRAPHIC_COLUMNS, "suppressed",
)
_COLUMNS = {"cosmos": ("id", "pk", *_ROW_COLUMNS), "powerbi": ("group_key", *_ROW_COLUMNS)}
_DTYPES: dict[str, str] = {
    **{c: "string" for c in ("id", "pk", "group_key", "level", *GROUP_COLUMNS)},
    **{c: "Int64" for c in ("frames", "faces", *COUNT_COLUMNS)},
    "avg_age": "Float64",
    "happiness_share": "Float64",
    "suppressed": "boolean",
}

_process_locks: dict[Path, threading.RLock] = {}
_process_locks_guard = threading.Lock()


def default_store_path() -> Path:
    """``<state_dir>/reports.duckdb``."""
    return state_dir() / "reports.duckdb"


def _naive_utc(ts: datetime) -> datetime:
    return ts.astimezone(timezone.utc).replace(tzinfo=None)


def _aware(ts: datetime | None) -> datetime | None:
    return ts.replace(tzinfo=timezone.utc) if ts is not None else None


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "different configuration" in text


def _trusted_row(columns: tuple[str, ...], record: tuple[Any, ...]) -> WindowRow:
    """A row read back from the store: validated on the way in and typed by the schema, so built
    without validating again (the read path of a fleet-wide report touches tens of thousands)."""
    values = dict(zip(columns, record))
    values["window_start"] = values["window_start"].replace(tzinfo=timezone.utc)
    values["window_end"] = values["window_end"].replace(tzinfo=timezone.utc)
    return WindowRow.model_construct(**values)


class StoreBusy(ReaderUnavailable):
    """Another process kept the report store locked for longer than the store waits."""


@contextmanager
def _file_lock(path: Path, *, exclusive: bool, hold: bool, deadline: float, what: str) -> Iterator[None]:
    """Take a shared or exclusive ``flock`` on ``path`` before ``deadline``; keep it only if ``hold``.

    Where ``fcntl`` is missing (Windows) this is a no-op and DuckDB's own lock is the only guard.
    """
    if fcntl is None:
        yield
        return
    with open(path, "a+b") as handle:
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        while True:
            try:
                fcntl.flock(handle.fileno(), mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusy(f"{what}: a writer kept it busy past the deadline") from None
                time.sleep(0.005)
        try:
            if not hold:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            yield
        finally:
            if hold:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class ReportStore:
    """The embedded report store (``ReportReader`` and output writer) in one DuckDB file."""

    def __init__(self, path: Path | str | None = None, *, lock_timeout_s: float = 30.0) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.lock_timeout_s = lock_timeout_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _process_locks_guard:
            self._lock = _process_locks.setdefault(self.path.resolve(), threading.RLock())
        with self._connect(read_only=False) as con:
            for statement in SCHEMA:
                con.execute(statement)

    def __repr__(self) -> str:
        return f"ReportStore({str(self.path)!r})"

    @contextmanager
    def _connect(self, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection, waiting (with back-off) while another process holds the file.

        Writers go first: a writer announces itself with an exclusive lock on ``<file>.writer``
        and holds it while it waits and writes; readers pass that gate before opening the file.
        So a busy dashboard cannot starve ``footfall asa run``.
        """
        deadline = time.monotonic() + self.lock_timeout_s
        with self._lock, _file_lock(self._gate_path, exclusive=not read_only, hold=not read_only,
                                    deadline=deadline, what=str(self.path)):
            delay = 0.005
            while True:
                try:
                    con = duckdb.connect(str(self.path), read_only=read_only)
                    break
                except duckdb.Error as exc:
                    if not _is_lock_conflict(exc):
                        raise
                    if time.monotonic() >= deadline:
                        raise StoreBusy(f"{self.path} stayed locked for {self.lock_timeout_s:.0f} s: {exc}") from exc
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05)
            try:
                yield con
            finally:
                con.close()

    @property
    def _gate_path(self) -> Path:
        return self.path.with_name(self.path.name + ".writer")

    # -- writing ---------------------------------------------------------------------------

    def write_output(self, alias: str, rows: Iterable[dict[str, Any]]) -> int:
        """Upsert Stream Analytics output rows of ``alias`` (``cosmos`` or ``powerbi``) in one transaction.

        ``cosmos`` rows upsert by ``id`` (derived from the contract when missing), ``powerbi``
        rows by (level, group key, window end). Rows are validated as :class:`WindowRow`
        (demographics of suppressed rows are dropped); a repeated key within one call keeps
        the last row. Returns the number of distinct rows written.
        """
        if alias not in ALIASES:
            raise ValueError(f"unknown output alias {alias!r}; expected one of {ALIASES}")
        latest: dict[Any, tuple[WindowRow, str, str]] = {}
        for raw in rows:
            row = WindowRow.model_validate(raw)
            if alias == "cosmos":
                row_id, pk = row.ids()
                latest[row_id] = (row, row_id, pk)
            else:
                latest[(row.level, row.key, row.window_end)] = (row, "", "")
        if not latest:
            return 0
        frame = self._frame(alias, latest.values())
        columns = ", ".join(_COLUMNS[alias])
        with self._connect(read_only=False) as con:
            con.register("incoming", frame)
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(
                    f"INSERT OR REPLACE INTO {alias} ({columns}, written_at) "
                    f"SELECT {columns}, now()::TIMESTAMP FROM incoming"
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                con.unregister("incoming")
        return len(latest)

    @staticmethod
    def _frame(alias: str, rows: Iterable[tuple[WindowRow, str, str]]) -> pd.DataFrame:
        """The rows as typed columns (nullable integers, UTC timestamps) for one bulk insert."""
        entries = list(rows)
        columns: dict[str, Any] = {}
        for column in _COLUMNS[alias]:
            if column == "id":
                columns[column] = pd.array([row_id for _, row_id, _ in entries], dtype="string")
            elif column == "pk":
                columns[column] = pd.array([pk for _, _, pk in entries], dtype="string")
            elif column == "group_key":
                columns[column] = pd.array([row.key for row, _, _ in entries], dtype="string")
            elif column in ("window_start", "window_end"):
                columns[column] = pd.to_datetime([_naive_utc(getattr(row, column)) for row, _, _ in entries])
            else:
                columns[column] = pd.array([getattr(row, column) for row, _, _ in entries], dtype=_DTYPES[column])
        return pd.DataFrame(columns)

    # -- reading (ReportReader) ------------------------------------------------------------

    def windows(self, selection: WindowSelection) -> list[WindowRow]:
        """Rows of table ``cosmos`` at the selection's level, filters and range, in time order."""
        clauses, params = ["level = ?"], [selection.level]
        for field in ("region", "city", "store_id"):
            value = getattr(selection, field)
            if value is not None:
                clauses.append(f"{field} = ?")
                params.append(value)
        if selection.start is not None:
            clauses.append("window_start >= ?")
            params.append(_naive_utc(selection.start))
        if selection.end is not None:
            clauses.append("window_end <= ?")
            params.append(_naive_utc(selection.end))
        columns = ("id", "pk", *_ROW_COLUMNS)
        sql = f"SELECT {', '.join(columns)} FROM cosmos WHERE {' AND '.join(clauses)} ORDER BY window_start, id"
        with self._connect(read_only=True) as con:
            records = con.execute(sql, params).fetchall()
        return [_trusted_row(columns, record) for record in records]

    def stores(self) -> list[StoreRef]:
        """Every store of the store rows, with its latest reference data."""
        sql = """
            SELECT store_id, arg_max(store_name, window_end), arg_max(city, window_end),
                   arg_max(country, window_end), arg_max(region, window_end)
            FROM cosmos WHERE level = 'store' AND store_id IS NOT NULL GROUP BY store_id ORDER BY store_id
        """
        with self._connect(read_only=True) as con:
            records = con.execute(sql).fetchall()
        return [
            StoreRef(store_id=r[0], store_name=r[1], city=r[2], country=r[3], region=r[4]) for r in records
        ]

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """Earliest window start and latest window end in table ``cosmos``."""
        with self._connect(read_only=True) as con:
            first, last = con.execute("SELECT min(window_start), max(window_end) FROM cosmos").fetchone()
        return _aware(first), _aware(last)

    def count(self, alias: str = "cosmos") -> int:
        """How many rows output ``alias`` holds."""
        if alias not in ALIASES:
            raise ValueError(f"unknown output alias {alias!r}")
        with self._connect(read_only=True) as con:
            return int(con.execute(f"SELECT count(*) FROM {alias}").fetchone()[0])

    def rows(self, alias: str = "powerbi") -> list[dict[str, Any]]:
        """Every row of output ``alias`` as JSON-ready dicts, in window order (for checks and exports)."""
        if alias not in ALIASES:
            raise ValueError(f"unknown output alias {alias!r}")
        columns = _COLUMNS[alias]
        with self._connect(read_only=True) as con:
            records = con.execute(
                f"SELECT {', '.join(columns)} FROM {alias} ORDER BY window_end, level, {columns[0]}"
            ).fetchall()
        out = []
        for record in records:
            values = dict(zip(columns, record))
            document = WindowRow.model_validate(values).model_dump(mode="json")
            if alias == "powerbi":
                document.pop("id"), document.pop("pk")
            out.append(document)
        return out
