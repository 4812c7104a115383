"""The face service under abuse, over raw sockets against the real running server.

The queue is checked before a body is read, request heads are bounded in size and in time, idle
and half-sent connections are closed, every request has a deadline, and a key that is set but
empty (or missing where auth is required) stops the service from starting at all.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
from face_helpers import start_service, stop_service
from PIL import Image

READ_TIMEOUT_S = 2.0
REQUEST_TIMEOUT_S = 1.5
KEEP_ALIVE_S = 1


@pytest.fixture(scope="module")
def strict_url() -> Iterator[str]:
    """One worker and no waiting room (capacity 1), with short deadlines so the tests are quick."""
    proc, url = start_service({
        "FOOTFALL_FACE_WORKERS": "1", "FOOTFALL_FACE_QUEUE_PER_WORKER": "0",
        "FOOTFALL_FACE_READ_TIMEOUT_S": str(READ_TIMEOUT_S), "FOOTFALL_FACE_REQUEST_TIMEOUT_S": str(REQUEST_TIMEOUT_S),
        "FOOTFALL_FACE_KEEP_ALIVE_S": str(KEEP_ALIVE_S), "FOOTFALL_FACE_MAX_HEADER_BYTES": "4096",
        "FOOTFALL_FACE_MAX_HEADERS": "20",
    })
    try:
        yield url
    finally:
        stop_service(proc)


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock


def _head(path: str = "/face/v1.0/detect?returnFaceAttributes=age", length: int | None = None,
          extra: list[str] | None = None) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/octet-stream"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += extra or []
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_response(sock: socket.socket) -> tuple[int, dict]:
    """Status and JSON body of one response (the server closes or sends Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    lengths = [line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
    length = int(lengths[0])
    while len(body) < length:
        body += sock.recv(65536)
    return status, json.loads(body[:length])


def _closed_by_server(sock: socket.socket, within_s: float) -> float:
    """Seconds until the server closed ``sock`` (reading and dropping anything it still sends)."""
    start = time.monotonic()
    sock.settimeout(within_s)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        pytest.fail(f"the connection was still open after {within_s} s")
    except ConnectionResetError:
        pass
    return time.monotonic() - start


def _slow_png() -> bytes:
    """A small PNG (flat colour) that decodes to 4096 x 4096 pixels: little to send, much to do."""
    buf = io.BytesIO()
    Image.fromarray(np.full((4096, 4096, 3), 90, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_a_full_queue_refuses_before_the_body_is_read(strict_url: str) -> None:
    holder = _connect(strict_url)
    holder.sendall(_head(length=5_000_000) + b"\xff\xd8")  # admitted, then stalls in its body
    time.sleep(0.3)
    try:
        second = _connect(strict_url)
        second.sendall(_head(length=5_000_000))  # the head only: not a byte of its 5 MB body
        second.settimeout(3)
        t0 = time.monotonic()
        status, body = _read_response(second)

        assert status == 429 and body["error"]["code"] == "RateLimitExceeded"
        assert time.monotonic() - t0 < 1.0
        second.close()
    finally:
        holder.close()


def test_a_stalled_body_gets_408_at_the_request_deadline(strict_url: str) -> None:
    sock = _connect(strict_url)
    sock.sendall(_head(length=100_000) + b"\xff\xd8\xff")
    t0 = time.monotonic()
    status, body = _read_response(sock)

    assert status == 408 and body["error"]["code"] == "RequestTimeout"
    assert REQUEST_TIMEOUT_S - 0.2 <= time.monotonic() - t0 <= REQUEST_TIMEOUT_S + 1.5
    sock.close()
    assert httpx.get(f"{strict_url}/status").json()["queue"]["in_flight"] == 0


def test_analysis_past_the_deadline_is_503_and_holds_its_place_until_the_worker_is_done() -> None:
    proc, url = start_service({
        "FOOTFALL_FACE_WORKERS": "1", "FOOTFALL_FACE_QUEUE_PER_WORKER": "0", "FOOTFALL_FACE_REQUEST_TIMEOUT_S": "0.05",
    })
    try:
        r = httpx.post(f"{url}/face/v1.0/detect", content=_slow_png(),
                       headers={"content-type": "application/octet-stream"}, timeout=10)
        queue_right_after = httpx.get(f"{url}/status").json()["queue"]

        assert r.status_code == 503 and r.json()["error"]["code"] == "ServiceUnavailable"
        assert r.headers["retry-after"]
        assert queue_right_after["in_flight"] == 1  # the worker is still decoding: its place stays taken
        deadline = time.monotonic() + 10
        while httpx.get(f"{url}/status").json()["queue"]["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert httpx.get(f"{url}/status").json()["queue"]["in_flight"] == 0
    finally:
        stop_service(proc)


def test_oversized_headers_get_431_and_a_closed_connection(strict_url: str) -> None:
    sock = _connect(strict_url)
    sock.sendall(_head(length=10, extra=[f"X-Padding: {'a' * 8000}"]))
    status, body = _read_response(sock)

    assert status == 431 and body["error"]["code"] == "RequestHeaderFieldsTooLarge"
    _closed_by_server(sock, within_s=2)


def test_too_many_header_fields_get_431(strict_url: str) -> None:
    sock = _connect(strict_url)
    sock.sendall(_head(length=10, extra=[f"X-H{i}: v" for i in range(40)]))
    status, body = _read_response(sock)

    assert status == 431 and "header fields" in body["error"]["message"]
    sock.close()


def test_a_head_sent_a_byte_at_a_time_is_cut_off_at_the_read_deadline(strict_url: str) -> None:
    sock = _connect(strict_url)
    head = _head(length=10)
    t0 = time.monotonic()
    sent = 0
    with pytest.raises((BrokenPipeError, ConnectionResetError, ConnectionError)):
        while time.monotonic() - t0 < READ_TIMEOUT_S + 3:
            sock.sendall(head[sent:sent + 1])  # each byte would reset a keep-alive timer
            sent += 1
            time.sleep(0.25)
            sock.setblocking(False)
            try:
                if sock.recv(65536) == b"":
                    raise ConnectionError("closed")
                raise ConnectionError("answered")  # the 408 arrived
            except BlockingIOError:
                pass
            finally:
                sock.setblocking(True)
    elapsed = time.monotonic() - t0
    assert READ_TIMEOUT_S - 0.3 <= elapsed <= READ_TIMEOUT_S + 1.5
    sock.close()


def test_a_connection_that_sends_nothing_is_closed(strict_url: str) -> None:
    sock = _connect(strict_url)
    assert _closed_by_server(sock, within_s=READ_TIMEOUT_S + 2) <= READ_TIMEOUT_S + 1


def test_an_idle_keep_alive_connection_is_closed(strict_url: str) -> None:
    sock = _connect(strict_url)
    sock.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _ = _read_response(sock)

    assert status == 200
    assert _closed_by_server(sock, within_s=KEEP_ALIVE_S + 2) <= KEEP_ALIVE_S + 1


@pytest.mark.parametrize("env", [
    {"FOOTFALL_FACE_SERVICE_KEY": ""},
    {"FOOTFALL_FACE_SERVICE_KEY": "   "},
    {"FOOTFALL_FACE_AUTH_REQUIRED": "true"},
], ids=["empty-key", "blank-key", "required-but-unset"])
def test_the_service_refuses_to_start_without_a_real_key(env: dict[str, str]) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FOOTFALL_FACE_")}
    done = subprocess.run([sys.executable, "-m", "face_service", "--port", "1"], env={**base, **env},
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 2
    assert "FOOTFALL_FACE_SERVICE_KEY" in done.stderr
