"""Exactly once across re-uploads: the edge module's upload reaches storage but its 201 reply is
lost, the function processes (and deletes) the photo, then the edge retries and uploads it again.
The retry is the same capture, so the same event id, whose sent mark the function finds: it deletes the
re-upload unanalysed, and the local event log keeps one event (so would Event Hubs, which does not dedupe).

Real servers: Azurite behind a loopback proxy that drops the reply to the first N blob uploads,
the edge module's buffer, uploader and forwarder, the local trigger host with ``analyze_upload``
and the face service.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from azure.storage.blob import BlobServiceClient
from e2e_support import dump, read_event_lines

from edge_module.buffer import PhotoBuffer
from edge_module.config import BufferLimits
from edge_module.telemetry import Counters
from edge_module.uploader import BlobUploader, Forwarder
from footfall.host import open_host
from footfall.paths import REPO_ROOT
from footfall.simulate.scene import render

pytestmark = pytest.mark.e2e

LOST_ACKS = 5


class AckDroppingProxy:
    """An HTTP/1.1 proxy on loopback in front of Azurite. The first upload (``PUT`` of a blob) of each of
    the first ``drop`` blobs is forwarded and stored, but the client's connection is closed instead of
    the 201 reply; retries go through."""

    def __init__(self, upstream: str, drop: int) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.drop = drop
        self.dropped_paths: set[str] = set()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            while True:
                request_line = reader.readline()
                if not request_line:
                    return
                method, target, _ = request_line.decode("latin-1").split(" ", 2)
                headers: list[tuple[str, str]] = []
                while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
                    key, value = line.decode("latin-1").split(":", 1)
                    headers.append((key.strip(), value.strip()))
                length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
                body = reader.read(length) if length else b""
                upstream.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for key, value in headers:
                    upstream.putheader(key, value)
                upstream.endheaders(body)
                response = upstream.getresponse()
                payload = response.read()
                is_blob_put = method == "PUT" and "restype=container" not in target and "comp=" not in target
                with self._lock:
                    path = urlsplit(target).path
                    drop = (is_blob_put and response.status == 201 and path not in self.dropped_paths
                            and len(self.dropped_paths) < self.drop)
                    if drop:
                        self.dropped_paths.add(path)
                if drop:
                    return  # stored upstream, but the reply never reaches the camera
                head = [f"HTTP/1.1 {response.status} {response.reason}"]
                head += [f"{k}: {v}" for k, v in response.getheaders()
                         if k.lower() not in ("transfer-encoding", "content-length", "connection")]
                head += [f"Content-Length: {len(payload)}", "", ""]
                client.sendall("\r\n".join(head).encode("latin-1") + payload)
        except (OSError, ValueError):
            return
        finally:
            upstream.close()
            client.close()

    def close(self) -> None:
        self._stopped = True
        self._server.close()


def test_five_lost_acknowledgements_count_no_photo_twice(
    tmp_path: Path, function_env: dict[str, str], artifacts_dir: Path,
) -> None:
    from functions.ingest import get_processor

    conn = function_env["AzureWebJobsStorage"]
    endpoint = next(p.split("=", 1)[1] for p in conn.split(";") if p.startswith("BlobEndpoint="))
    proxy = AckDroppingProxy(endpoint, drop=LOST_ACKS)
    through_proxy = conn.replace(endpoint, endpoint.replace(f":{urlsplit(endpoint).port}/", f":{proxy.port}/"))
    service = BlobServiceClient.from_connection_string(through_proxy, retry_total=0, connection_timeout=5,
                                                       read_timeout=5)
    uploader = BlobUploader(service.get_container_client("uploads"), timeout_s=5, service=service)
    buffer = PhotoBuffer(tmp_path / "buffer", BufferLimits())
    forwarder = Forwarder(buffer, uploader, Counters())
    host = open_host(REPO_ROOT, receipts_path=tmp_path / "receipts.sqlite", poll_interval_s=0.1)
    uploads = BlobServiceClient.from_connection_string(conn).get_container_client("uploads")

    photos = 2 * LOST_ACKS
    retried_after_processing = 0
    try:
        for i in range(photos):
            captured = datetime.now(UTC) - timedelta(seconds=photos - i)
            buffer.put(render(seed=100 + i, background_seed=2, people=1, faces_visible=1), "S0001", "C01", captured)
            acknowledged = forwarder.drain_once()
            host.run(until_idle=True)  # the function runs between the upload and the edge's retry
            if acknowledged is False:
                assert list(uploads.list_blobs()) == []  # processed and deleted before the retry
                assert forwarder.drain_once() is True  # the retry uploads the same capture again
                retried_after_processing += 1
                host.run(until_idle=True)
    finally:
        host.close()
        uploader.close()
        proxy.close()

    events = read_event_lines(Path(function_env["FOOTFALL_LOCAL_EVENT_LOG"]))
    counters = get_processor().counters.snapshot()
    figures = {
        "photos": photos, "lost_acks": len(proxy.dropped_paths),
        "re_uploads_after_processing": retried_after_processing,
        "invocations_sent": counters.sent, "event_lines": len(events),
        "duplicates_in_log": len(events) - len({e.event_id for e in events}),
        "duplicates_found_by_sent_mark": counters.duplicates, "load_average": round(os.getloadavg()[0], 2),
    }
    dump(artifacts_dir / "lost-acks.json", figures)
    print("\n" + json.dumps(figures))
    assert len(proxy.dropped_paths) == retried_after_processing == LOST_ACKS
    assert counters.sent == photos  # every re-upload was found by its event's sent mark, not analysed again ...
    assert len(events) == len({e.event_id for e in events}) == photos  # ... and nothing was counted twice
    assert counters.duplicates == counters.skipped == LOST_ACKS
    # uploads = events + quarantined + pending + duplicates
    assert photos + LOST_ACKS == len(events) + counters.quarantined + len(list(uploads.list_blobs())) \
        + counters.duplicates
    assert buffer.count == 0
