"""The local report database: the Stream Analytics outputs in an embedded DuckDB file.

Output ``store_windows`` goes to table ``store_windows`` and output ``zone_windows`` to table
``zone_windows``, both upserted by ``id`` as Cosmos DB upserts documents. The tables' columns are
generated from :mod:`functions.aggregates`, the one definition of every column.

Daily rollups. Table ``store_days`` holds one row per store and local day
(:data:`functions.aggregates.STORE_DAY`). Writing store windows rolls up again every store-local
day they touch, from all of that day's windows, in the same call: so after ``footfall asa run``
(or any batch of the demo) the days are complete, and a day is rewritten only when windows of it
arrive. In Azure a timer function does the same once per day (``functions/blueprints/reports.py``).

Concurrency. DuckDB lets one process open a file read-write, or any number open it read-only,
never both at once. So the store holds no connection: every call opens one, does a short
transaction and closes it, and retries with back-off while another process holds a conflicting
lock (``footfall asa run`` writing while ``footfall dashboard`` reads). Within one process a
lock per file serializes calls, because DuckDB refuses read-only and read-write connections to
the same file side by side in one process. Writers take precedence over readers across processes
(see :meth:`ReportDatabase._connect`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # no file locks on Windows: checked before use

from footfall.paths import state_dir
from functions.aggregates import DOC_TYPES, Column
from functions.reports.models import (
    OUTPUT_MODELS,
    STORE_FILTERS,
    DaySelection,
    StoreDayRow,
    StoreRef,
    StoreWindowRow,
    WindowSelection,
    ZoneWindowRow,
)
from functions.reports.reader import ReaderUnavailable
from functions.reports.rollup import MAX_OFFSET, local_date, roll_up_days, zone

ALIASES: tuple[str, ...] = tuple(OUTPUT_MODELS)
"""The tables the store holds: ``store_windows``, ``zone_windows`` and ``store_days``."""
_TABLE_COLUMNS: dict[str, tuple[Column, ...]] = {
    alias: DOC_TYPES[model.doc_type] for alias, model in OUTPUT_MODELS.items()
}
_SQL_TYPES = {"string": "VARCHAR", "datetime": "TIMESTAMP", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN"}
_PANDAS_TYPES: dict[str, Any] = {"string": "string", "int": "Int64", "float": "Float64", "bool": "boolean"}


def _ddl(alias: str) -> str:
    parts = []
    for column in _TABLE_COLUMNS[alias]:
        null = "" if column.nullable or column.role == "group" else " NOT NULL"
        key = " PRIMARY KEY" if column.name == "id" else ""
        parts.append(f"{column.name} {_SQL_TYPES[column.type]}{null}{key}")
    parts.append("written_at TIMESTAMP NOT NULL")
    return f"CREATE TABLE IF NOT EXISTS {alias} ({', '.join(parts)})"


def _added_columns(alias: str) -> list[str]:
    """Columns added to the contract after a file was created (nullable ones only): added on open."""
    return [f"ALTER TABLE {alias} ADD COLUMN IF NOT EXISTS {c.name} {_SQL_TYPES[c.type]}"
            for c in _TABLE_COLUMNS[alias] if c.nullable and c.role == "flag"]


SCHEMA = [_ddl(alias) for alias in ALIASES] + [sql for alias in ALIASES for sql in _added_columns(alias)]
_COLUMNS: dict[str, tuple[str, ...]] = {alias: tuple(c.name for c in cols) for alias, cols in _TABLE_COLUMNS.items()}
_ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    alias: tuple(c for c in names if c not in ("id", "doc_type")) for alias, names in _COLUMNS.items()
}
_TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    alias: tuple(c.name for c in cols if c.type == "datetime") for alias, cols in _TABLE_COLUMNS.items()
}
_ORDER: dict[str, str] = {"store_windows": "window_end, id", "zone_windows": "window_end, id", "store_days": "date, id"}

_process_locks: dict[Path, threading.RLock] = {}
_process_locks_guard = threading.Lock()


def default_database_path() -> Path:
    """``<state_dir>/reports.duckdb``."""
    return state_dir() / "reports.duckdb"


def _naive_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None)


def _aware(ts: datetime | None) -> datetime | None:
    return ts.replace(tzinfo=UTC) if ts is not None else None


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "different configuration" in text


def _trusted_row(alias: str, columns: tuple[str, ...], record: tuple[Any, ...]) -> Any:
    """A row read back from the store: validated on the way in and typed by the schema, so built
    without validating again (the read path of a fleet-wide report touches tens of thousands)."""
    values = dict(zip(columns, record, strict=True))
    for name in _TIME_COLUMNS[alias]:
        values[name] = values[name].replace(tzinfo=UTC)
    return OUTPUT_MODELS[alias].model_construct(**values)


class DatabaseBusy(ReaderUnavailable):
    """Another process kept the report database locked for longer than the store waits."""


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
                    raise DatabaseBusy(f"{what}: a writer kept it busy past the deadline") from None
                time.sleep(0.005)
        try:
            if not hold:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            yield
        finally:
            if hold:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class ReportDatabase:
    """The embedded report database (``ReportReader`` and output writer) in one DuckDB file."""

    def __init__(self, path: Path | str | None = None, *, lock_timeout_s: float = 30.0, k: int | None = None,
                 l_diversity: bool | None = None) -> None:
        self.path = Path(path) if path is not None else default_database_path()
        self.lock_timeout_s = lock_timeout_s
        self._k = k
        self._l_diversity = l_diversity
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _process_locks_guard:
            self._lock = _process_locks.setdefault(self.path.resolve(), threading.RLock())
        with self._connect(read_only=False) as con:
            for statement in SCHEMA:
                con.execute(statement)

    def __repr__(self) -> str:
        return f"ReportDatabase({str(self.path)!r})"

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
                        raise DatabaseBusy(f"{self.path} stayed locked for {self.lock_timeout_s:.0f} s: {exc}") from exc
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

    @property
    def k(self) -> int:
        """The k the daily rollups apply (``FOOTFALL_K`` unless given)."""
        if self._k is None:
            from functions.settings import get_settings

            self._k = get_settings().k_anonymity
        return self._k

    @property
    def l_diversity(self) -> bool:
        """Whether the daily rollups publish only l-diverse windows (``FOOTFALL_L_DIVERSITY`` unless given)."""
        if self._l_diversity is None:
            from functions.settings import get_settings

            self._l_diversity = get_settings().l_diversity
        return self._l_diversity

    def write_output(self, alias: str, rows: Iterable[dict[str, Any]]) -> int:
        """Upsert rows of ``alias`` (``store_windows``, ``zone_windows`` or ``store_days``) in one
        transaction, by document ``id`` (derived from the row when missing).

        Rows are validated by the output's model (demographics of suppressed rows are dropped); a
        repeated id within one call keeps the last row. Store windows roll up their local days again
        (module docstring). Returns the number of distinct rows written.
        """
        if alias not in ALIASES:
            raise ValueError(f"unknown output alias {alias!r}; expected one of {ALIASES}")
        model = OUTPUT_MODELS[alias]
        latest: dict[str, Any] = {}
        for raw in rows:
            row = model.model_validate(raw)
            latest[row.row_id()] = row
        if not latest:
            return 0
        self._upsert(alias, latest)
        if alias == "store_windows":
            self.roll_up({(r.store_id, local_date(r.window_start, zone(r.time_zone))) for r in latest.values()})
        return len(latest)

    def roll_up(self, days: set[tuple[str, Any]] | None = None) -> int:
        """Write the daily rollups of ``days`` ((store_id, local date) pairs; None: every day) from all
        their store windows. Returns how many days were written."""
        selection = WindowSelection()
        if days:
            first, last = min(d for _, d in days), max(d for _, d in days)
            lo = datetime(first.year, first.month, first.day, tzinfo=UTC) - MAX_OFFSET
            hi = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1) + MAX_OFFSET
            stores = {s for s, _ in days}
            selection = WindowSelection(store_id=next(iter(stores)) if len(stores) == 1 else None, start=lo, end=hi)
        windows = self.store_windows(selection)
        documents = [d for d in roll_up_days(windows, self.k, self.l_diversity)
                     if days is None or (d["store_id"], date.fromisoformat(d["date"])) in days]
        if not documents:
            return 0
        model = OUTPUT_MODELS["store_days"]
        self._upsert("store_days", {d["id"]: model.model_validate(d) for d in documents})
        return len(documents)

    def _upsert(self, alias: str, latest: dict[str, Any]) -> None:
        frame = self._frame(alias, latest)
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

    @staticmethod
    def _frame(alias: str, rows: dict[str, Any]) -> pd.DataFrame:
        """The rows as typed columns (nullable integers, UTC timestamps) for one bulk insert."""
        entries = list(rows.values())
        columns: dict[str, Any] = {}
        for column in _TABLE_COLUMNS[alias]:
            if column.name == "id":
                columns["id"] = pd.array(list(rows), dtype="string")
            elif column.name == "doc_type":
                columns["doc_type"] = pd.array([OUTPUT_MODELS[alias].doc_type] * len(entries), dtype="string")
            elif column.type == "datetime":
                columns[column.name] = pd.to_datetime([_naive_utc(getattr(row, column.name)) for row in entries])
            else:
                columns[column.name] = pd.array([getattr(row, column.name) for row in entries],
                                                dtype=_PANDAS_TYPES[column.type])
        return pd.DataFrame(columns)

    # -- reading (ReportReader) ------------------------------------------------------------

    def _select(self, alias: str, selection: WindowSelection) -> list[Any]:
        clauses: list[str] = []
        params: list[Any] = []
        filters = [(f, getattr(selection, f)) for f in STORE_FILTERS if getattr(selection, f)]
        if alias == "store_windows":
            for field, value in filters:
                clauses.append(f"{field} = ?")
                params.append(value)
        elif filters:  # zone rows name only their store: pick the stores from the store windows
            where = " AND ".join(f"{field} = ?" for field, _ in filters)
            clauses.append(f"store_id IN (SELECT DISTINCT store_id FROM store_windows WHERE {where})")
            params.extend(value for _, value in filters)
        if selection.start is not None:
            clauses.append("window_start >= ?")
            params.append(_naive_utc(selection.start))
        if selection.end is not None:
            clauses.append("window_end <= ?")
            params.append(_naive_utc(selection.end))
        columns = _ROW_COLUMNS[alias]
        where_sql = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {', '.join(columns)} FROM {alias}{where_sql} ORDER BY window_start, id"
        with self._connect(read_only=True) as con:
            records = con.execute(sql, params).fetchall()
        return [_trusted_row(alias, columns, record) for record in records]

    def store_days(self, selection: DaySelection) -> list[StoreDayRow]:
        """Daily rollups of the selected stores with a local date in ``[first, last]``, in date order."""
        clauses: list[str] = []
        params: list[Any] = []
        for field in STORE_FILTERS:
            value = getattr(selection, field)
            if value is not None:
                clauses.append(f"{field} = ?")
                params.append(value)
        if selection.first is not None:
            clauses.append("date >= ?")
            params.append(selection.first.isoformat())
        if selection.last is not None:
            clauses.append("date <= ?")
            params.append(selection.last.isoformat())
        columns = _ROW_COLUMNS["store_days"]
        where_sql = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {', '.join(columns)} FROM store_days{where_sql} ORDER BY date, id"
        with self._connect(read_only=True) as con:
            records = con.execute(sql, params).fetchall()
        return [_trusted_row("store_days", columns, record) for record in records]

    def store_windows(self, selection: WindowSelection) -> list[StoreWindowRow]:
        """Store windows matching the selection, in time order."""
        return self._select("store_windows", selection)

    def zone_windows(self, selection: WindowSelection) -> list[ZoneWindowRow]:
        """Zone windows of the selected stores, in time order."""
        return self._select("zone_windows", selection)

    def stores(self) -> list[StoreRef]:
        """Every store of the store windows, with its latest reference data.

        Read from the daily rollups (every written window is rolled up at once): a year of 50 stores is
        20,000 rollups against 960,000 windows."""
        sql = """
            SELECT store_id, arg_max(store_name, day_end), arg_max(city, day_end),
                   arg_max(country, day_end), arg_max(region, day_end), arg_max(time_zone, day_end)
            FROM store_days WHERE store_id IS NOT NULL GROUP BY store_id ORDER BY store_id
        """
        with self._connect(read_only=True) as con:
            records = con.execute(sql).fetchall()
        return [
            StoreRef(store_id=r[0], store_name=r[1], city=r[2], country=r[3], region=r[4], time_zone=r[5])
            for r in records
        ]

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """Earliest window start and latest window end of the store windows."""
        with self._connect(read_only=True) as con:
            row = con.execute("SELECT min(window_start), max(window_end) FROM store_windows").fetchone()
        first, last = row if row is not None else (None, None)
        return _aware(first), _aware(last)

    def count(self, alias: str = "store_windows") -> int:
        """How many rows output ``alias`` holds."""
        if alias not in ALIASES:
            raise ValueError(f"unknown output alias {alias!r}")
        with self._connect(read_only=True) as con:
            row = con.execute(f"SELECT count(*) FROM {alias}").fetchone()
        return int(row[0]) if row is not None else 0

    def rows(self, alias: str = "store_windows") -> list[dict[str, Any]]:
        """Every row of output ``alias`` as JSON-ready documents, in window order (for checks and exports)."""
        if alias not in ALIASES:
            raise ValueError(f"unknown output alias {alias!r}")
        columns = _ROW_COLUMNS[alias]
        with self._connect(read_only=True) as con:
            records = con.execute(f"SELECT {', '.join(columns)} FROM {alias} ORDER BY {_ORDER[alias]}").fetchall()
        model = OUTPUT_MODELS[alias]
        return [model.model_validate(dict(zip(columns, record, strict=True))).document() for record in records]
