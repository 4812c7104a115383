"""Start and stop the face service (``python -m face_service``) as a child process on loopback.

The demo, the tests and the benchmarks all run the real service this way, so it lives in one
place, beside the Azurite launcher.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from footfall.azurite import free_port


def terminate_process(proc: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    """SIGTERM, wait up to ``timeout_s``, then SIGKILL; returns once the process is gone."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class FaceServiceProcess:
    """A running face service. Use as a context manager, or call :meth:`start` and :meth:`stop`.

    ``env`` adds to this process's environment (e.g. ``FOOTFALL_FACE_WORKERS``). The service's
    output goes to ``log_path`` (a temporary file by default), whose tail is quoted when the
    service dies during start-up.
    """

    def __init__(self, *, port: int | None = None, env: dict[str, str] | None = None,
                 log_path: Path | None = None, log_level: str = "warning") -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env or {})
        self.log_level = log_level
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="face-service-", suffix=".log")[1])
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        """The server process (started)."""
        if self._proc is None:
            raise RuntimeError("the face service is not started")
        return self._proc

    def start(self, timeout_s: float = 180.0) -> FaceServiceProcess:
        """Start the service and block until ``GET /status`` answers 200 (models loaded)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "face_service", "--host", "127.0.0.1", "--port", str(self.port),
                 "--log-level", self.log_level],
                env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while True:
            if self._proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"face service exited with code {self._proc.returncode}:\n{tail}")
            try:
                if httpx.get(f"{self.url}/status", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"face service not ready in {timeout_s:.0f} s; see {self.log_path}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the service (and its model workers, which die with it)."""
        if self._proc is not None:
            terminate_process(self._proc)

    def __enter__(self) -> FaceServiceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
