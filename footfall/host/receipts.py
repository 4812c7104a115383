"""Durable receipts: which blob version (name + etag) the host has finished, and how.

Like the Functions host's blob receipts (``azure-webjobs-hosts/blobreceipts/...``) a receipt is
keyed by blob name and etag, so a new upload to the same name is processed again while a
restart never reprocesses a finished one. A receipt is marked ``running`` (and its attempt
counted) *before* the function is invoked, so a host killed mid-invocation retries the blob
after a restart and a blob that keeps crashing the host still reaches the poison path.
Processing is at-least-once; the function's event id (stable per blob and etag) makes a
replay recognisable downstream.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel


class Status(StrEnum):
    """Where a blob version stands (``gone``: deleted or overwritten before it could be read)."""

    RUNNING = "running"
    FAILED = "failed"
    SUCCEEDED = "succeeded"
    QUARANTINED = "quarantined"
    POISONED = "poisoned"
    GONE = "gone"

    @property
    def terminal(self) -> bool:
        """Whether the host is done with the blob version."""
        return self in {Status.SUCCEEDED, Status.QUARANTINED, Status.POISONED, Status.GONE}


class Receipt(BaseModel):
    """One blob version's record."""

    blob_name: str
    etag: str
    status: Status
    attempts: int
    last_error: str | None = None
    updated_at: float


_SCHEMA = """
CREATE TABLE IF NOT EXISTS receipts (
    blob_name TEXT NOT NULL,
    etag TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (blob_name, etag)
)
"""


class ReceiptDatabase:
    """Receipts in a small SQLite file.

    WAL with ``synchronous=NORMAL``: a committed receipt survives the process being killed
    (SIGKILL); a power cut may lose the last few, which only means those blobs are processed
    again (at-least-once) and the sink drops the repeated event ids.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def get(self, blob_name: str, etag: str) -> Receipt | None:
        """The receipt of one blob version, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT blob_name, etag, status, attempts, last_error, updated_at FROM receipts "
                "WHERE blob_name = ? AND etag = ?", (blob_name, etag),
            ).fetchone()
        return None if row is None else self._receipt(row)

    def start_attempt(self, blob_name: str, etag: str) -> int:
        """Mark the blob version ``running`` and count the attempt; returns the attempt number."""
        with self._lock:
            self._db.execute(
                "INSERT INTO receipts (blob_name, etag, status, attempts, updated_at) VALUES (?, ?, ?, 1, ?) "
                "ON CONFLICT (blob_name, etag) DO UPDATE SET status = excluded.status, "
                "attempts = receipts.attempts + 1, updated_at = excluded.updated_at",
                (blob_name, etag, Status.RUNNING.value, time.time()),
            )
            (attempts,) = self._db.execute(
                "SELECT attempts FROM receipts WHERE blob_name = ? AND etag = ?", (blob_name, etag)
            ).fetchone()
        return int(attempts)

    def finish(self, blob_name: str, etag: str, status: Status, error: str | None = None) -> None:
        """Record the outcome of the latest attempt."""
        with self._lock:
            self._db.execute(
                "UPDATE receipts SET status = ?, last_error = ?, updated_at = ? WHERE blob_name = ? AND etag = ?",
                (status.value, error, time.time(), blob_name, etag),
            )

    def all(self) -> list[Receipt]:
        """Every receipt, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT blob_name, etag, status, attempts, last_error, updated_at FROM receipts ORDER BY updated_at"
            ).fetchall()
        return [self._receipt(r) for r in rows]

    def counts(self) -> dict[Status, int]:
        """How many blob versions stand in each status."""
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM receipts GROUP BY status").fetchall()
        return {Status(s): int(n) for s, n in rows}

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    @staticmethod
    def _receipt(row: tuple[Any, ...]) -> Receipt:
        return Receipt(
            blob_name=row[0], etag=row[1], status=Status(row[2]), attempts=row[3],
            last_error=row[4], updated_at=row[5],
        )
