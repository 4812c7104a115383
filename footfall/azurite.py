"""Start and stop Azurite, the Blob Storage emulator, on loopback.

Azurite comes from npm into the repo's ``node_modules`` (``make setup-node``). Current
``azure-storage-blob`` speaks a newer API version than Azurite knows, hence
``--skipApiVersionCheck``.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from footfall.paths import REPO_ROOT, state_dir

ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


class AzuriteNotInstalled(RuntimeError):
    """``node_modules/.bin/azurite-blob`` is missing: run ``make setup``."""


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def connection_string(port: int, host: str = "127.0.0.1") -> str:
    """The connection string for Azurite's well-known development account on ``port``."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint=http://{host}:{port}/{ACCOUNT};"
    )


def _wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Azurite exited with code {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"Azurite did not listen on {host}:{port} within {timeout:.0f} s")


class Azurite:
    """A running Azurite blob service. Use as a context manager, or call :meth:`start`/:meth:`stop`.

    The data folder survives :meth:`stop`, so a restart on the same folder keeps the blobs
    (used by the fault tests that stop Azurite in the middle of a run).
    """

    def __init__(self, location: Path | None = None, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.location = Path(location or state_dir() / "azurite")
        self.port = port or free_port()
        self.host = host
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def connection_string(self) -> str:
        """Connection string for this instance."""
        return connection_string(self.port, self.host)

    @staticmethod
    def executable() -> Path:
        """Path of the ``azurite-blob`` launcher installed by npm."""
        exe = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"
        if not exe.exists():
            found = shutil.which("azurite-blob")
            if not found:
                raise AzuriteNotInstalled("azurite-blob not found: run `make setup` (npm install)")
            return Path(found)
        return exe

    def start(self, timeout: float = 30.0) -> Azurite:
        """Start Azurite and wait until it accepts connections."""
        self.location.mkdir(parents=True, exist_ok=True)
        try:
            with socket.create_connection((self.host, self.port), timeout=0.2):
                pass
        except OSError:
            pass  # nothing listens there: the port is ours to take
        else:
            raise RuntimeError(f"port {self.port} on {self.host} is already in use (another Azurite?): "
                               "stop it or choose another --port")
        cmd = [
            str(self.executable()), "--blobHost", self.host, "--blobPort", str(self.port),
            "--location", str(self.location), "--skipApiVersionCheck", "--loose", "--silent",
        ]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _wait_for_port(self.host, self.port, timeout, self._proc)
        except BaseException:  # not listening in time, or interrupted while waiting: leave no process behind
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop Azurite (the data folder stays)."""
        if self._proc and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    @property
    def running(self) -> bool:
        """Whether the Azurite process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    """``footfall azurite``: run Azurite in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="footfall azurite", description=__doc__)
    parser.add_argument("--port", type=int, default=10000)
    parser.add_argument("--location", type=Path, default=None)
    args = parser.parse_args(argv)

    def stop_on_sigterm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # `kill`, `timeout` and service managers stop it like Ctrl-C: Azurite goes too

    previous = signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        with Azurite(location=args.location, port=args.port) as az:
            print(f"Azurite listening on http://127.0.0.1:{az.port}\nAzureWebJobsStorage={az.connection_string}",
                  flush=True)
            while az.running:
                time.sleep(0.5)
            print("footfall azurite: Azurite exited on its own", file=sys.stderr)
            return 1
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM, whenever it comes: the with block has stopped Azurite
        return 0
    except RuntimeError as exc:
        print(f"footfall azurite: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
