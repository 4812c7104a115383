"""Ingest counters: thread-safe, and they show what is still in flight."""

from __future__ import annotations

import threading

import pytest

from functions.counters import IngestCounters


def test_counts_from_many_threads_are_not_lost() -> None:
    counters = IngestCounters()

    def work() -> None:
        for _ in range(1000):
            counters.add("invocations")
            counters.add("sent")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    snap = counters.snapshot()
    assert (snap.invocations, snap.sent, snap.in_flight) == (4000, 4000, 0)


def test_quarantine_reasons_are_counted_per_reason() -> None:
    counters = IngestCounters()
    for reason in ("bad_path", "empty", "bad_path"):
        counters.add("invocations")
        counters.quarantined(reason)
    counters.add("invocations")  # one still running
    snap = counters.snapshot()
    assert snap.quarantined == 3 and snap.quarantine_reasons == {"bad_path": 2, "empty": 1}
    assert snap.in_flight == 1


def test_unknown_counter_names_are_refused() -> None:
    with pytest.raises(KeyError):
        IngestCounters().add("sentt")


def test_reset_zeroes_everything() -> None:
    counters = IngestCounters()
    counters.add("sent", 3)
    counters.quarantined("empty")
    counters.reset()
    assert counters.snapshot().model_dump() == IngestCounters().snapshot().model_dump()
