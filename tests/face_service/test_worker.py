"""The worker processes live and die with the server."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from face_helpers import start_service, stop_service


def _children(pid: int) -> set[int]:
    kids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_exit_when_the_server_is_killed_outright() -> None:
    proc, _ = start_service({"FOOTFALL_FACE_WORKERS": "2"})
    try:
        workers = _children(proc.pid)
        assert len(workers) >= 2  # two model workers (plus multiprocessing's resource tracker)

        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)

        assert not [w for w in workers if _alive(w)]
    finally:
        if proc.poll() is None:
            stop_service(proc)


def test_a_graceful_stop_takes_the_workers_along() -> None:
    proc, _ = start_service({"FOOTFALL_FACE_WORKERS": "1"})
    workers = _children(proc.pid)

    stop_service(proc)

    assert proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM after its graceful shutdown
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)]
