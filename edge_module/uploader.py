"""Uploads buffered photos to Blob Storage by the upload contract, and the forwarder thread that
drains the buffer oldest first with exponential backoff while the network is down.

Idempotency: a photo's blob name is fixed when it is buffered, and the upload is conditional
(``overwrite=False`` sends ``If-None-Match: *``). If the module crashes after the upload but
before deleting the local file, the retry gets ``409 BlobAlreadyExists``, which counts as
confirmed: the blob is neither duplicated nor rewritten. (``overwrite=True`` would also avoid a
duplicate, but it rewrites the blob with a new ETag, which fires the blob trigger again and so
produces a second FrameEvent downstream.)
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any, Literal

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings

from edge_module.buffer import BufferedPhoto, PhotoBuffer
from edge_module.config import ModuleSettings
from edge_module.telemetry import Counters

log = logging.getLogger(__name__)

UploadOutcome = Literal["uploaded", "already-there"]


class BlobUploader:
    """Puts one buffered photo into the ``uploads`` container."""

    def __init__(
        self, container: ContainerClient, timeout_s: float = 10.0, service: BlobServiceClient | None = None,
    ) -> None:
        self.container = container
        self._service = service
        self.timeout_s = timeout_s
        self._container_checked = False

    @classmethod
    def from_settings(cls, settings: ModuleSettings) -> BlobUploader:
        """From a connection string (Azure, Azurite, Blob Storage on IoT Edge) or an account URL + SAS.

        The SDK does not retry (its storage default waits 15 s and more): the forwarder's backoff rides out outages.
        """
        kwargs: dict[str, Any] = dict(retry_total=0, connection_timeout=settings.upload_timeout_s,
                                      read_timeout=settings.upload_timeout_s)
        if settings.storage_connection_string is not None:
            service = BlobServiceClient.from_connection_string(
                settings.storage_connection_string.get_secret_value(), **kwargs,
            )
        elif settings.storage_account_url:
            sas = settings.storage_sas_token.get_secret_value() if settings.storage_sas_token else None
            service = BlobServiceClient(settings.storage_account_url, credential=sas, **kwargs)
        else:
            raise ValueError(
                "no Blob Storage configured: set FOOTFALL_STORAGE_CONNECTION_STRING "
                "or FOOTFALL_STORAGE_ACCOUNT_URL (+ FOOTFALL_STORAGE_SAS_TOKEN)"
            )
        return cls(service.get_container_client(settings.container), settings.upload_timeout_s, service)

    def close(self) -> None:
        """Close the HTTP connections (a container client from a service client shares its transport)."""
        self.container.close()
        if self._service is not None:
            self._service.close()

    def _ensure_container(self) -> None:
        try:
            self.container.create_container()
            log.info("created container %s", self.container.container_name)
        except ResourceExistsError:
            pass
        self._container_checked = True

    def upload(self, photo: BufferedPhoto) -> UploadOutcome:
        """Upload once; ``already-there`` when an earlier attempt got through. Raises on failure."""
        data = photo.path.read_bytes()
        for attempt in (1, 2):
            try:
                self.container.upload_blob(
                    photo.blob_name, data, overwrite=False, metadata=photo.metadata,
                    content_settings=ContentSettings(content_type="image/jpeg"), timeout=int(self.timeout_s),
                )
                return "uploaded"
            except ResourceExistsError:
                return "already-there"
            except ResourceNotFoundError:
                if attempt == 2 or self._container_checked:
                    raise
                self._ensure_container()
        raise AssertionError("unreachable")


class Forwarder:
    """A thread that uploads buffered photos oldest first and deletes each after confirmation.

    On failure the photo stays, and the thread waits ``backoff_initial_s``, doubling (with 20 %
    jitter) up to ``backoff_max_s``; the first success resets the delay. :meth:`wake` cuts a wait
    short when a new photo arrives and the network is up.
    """

    def __init__(
        self,
        buffer: PhotoBuffer,
        uploader: BlobUploader,
        counters: Counters,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 60.0,
        on_uploaded: Callable[[BufferedPhoto, UploadOutcome], None] | None = None,
    ) -> None:
        self.buffer = buffer
        self.uploader = uploader
        self.counters = counters
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.on_uploaded = on_uploaded
        self.backoff_s = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def drain_once(self) -> bool | None:
        """Try the oldest photo: ``True`` uploaded, ``False`` failed, ``None`` nothing to do."""
        photo = self.buffer.claim_oldest()
        if photo is None:
            return None
        try:
            outcome = self.uploader.upload(photo)
        except (AzureError, OSError) as exc:
            self.buffer.release()
            self.counters.add(upload_failures=1)
            log.warning("upload of %s failed (%s: %s); %d photo(s) buffered", photo.blob_name,
                        type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "", self.buffer.count)
            return False
        self.buffer.remove(photo)
        self.counters.add(uploaded=1)
        if outcome == "already-there":
            log.info("%s was already uploaded (retry after a crash or timeout): not duplicated", photo.blob_name)
        if self.on_uploaded:
            self.on_uploaded(photo, outcome)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = self.drain_once()
            except Exception:  # a bug must not silently end the uploads: log, back off, go on
                log.exception("forwarder: unexpected error")
                self.buffer.release()
                result = False
            if result is True:
                self.backoff_s = 0.0
                continue
            if result is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            self.backoff_s = min(self.backoff_max_s, max(self.backoff_initial_s, self.backoff_s * 2))
            delay = self.backoff_s * random.uniform(0.8, 1.2)
            log.info("network down? next upload attempt in %.1f s", delay)
            self._stop.wait(delay)

    def start(self) -> Forwarder:
        """Start draining in the background."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="forwarder", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """A new photo is waiting (does not cut a backoff wait short)."""
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop after the current upload."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
