"""Blob Storage operations on uploads: read properties, quarantine, delete or tag after success.

All through one ``BlobServiceClient`` (created once per process). Storage being unreachable is a
:class:`~functions.errors.TransientError`. Deletes are conditional on the etag the event was
made from, so a photo re-uploaded under the same name in the meantime is never lost.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobServiceClient, ContainerClient

from functions.errors import TransientError
from functions.image_structure import strip_metadata
from functions.log_fields import storage_failure, upload_place
from functions.settings import Settings

log = logging.getLogger(__name__)

PROCESSED_TAG = {"footfall": "processed"}
"""The blob index tag a photo gets when ``FOOTFALL_AFTER_SUCCESS=tag`` (does not change its etag)."""


def create_blob_service(settings: Settings) -> BlobServiceClient:
    """A client from ``AzureWebJobsStorage`` (connection string) or, in the cloud, the account URL
    with ``DefaultAzureCredential`` (managed identity)."""
    if settings.storage_connection is not None and settings.storage_connection.get_secret_value():
        return BlobServiceClient.from_connection_string(settings.storage_connection.get_secret_value())
    if settings.storage_account_url:
        from azure.identity import DefaultAzureCredential

        return BlobServiceClient(settings.storage_account_url, credential=DefaultAzureCredential())
    raise ValueError("set AzureWebJobsStorage (connection string) or AzureWebJobsStorage__blobServiceUri")


def header_safe(text: str, limit: int = 240) -> str:
    """A blob metadata value (an HTTP header value): printable ASCII only, bounded."""
    return re.sub(r"[^A-Za-z0-9 .,:;_()/=+'\"<>\[\]{}@#*?!-]", "_", text)[:limit]


def _etag_token(etag: str | None) -> str:
    token = re.sub(r"[^0-9A-Za-z]", "", etag or "")
    return token[-16:] or uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class BlobState:
    """What the function needs to know about an upload it did not get from the trigger."""

    etag: str
    metadata: dict[str, str]


class UploadStorage:
    """The ``uploads``, ``quarantine`` and ``sent`` containers."""

    def __init__(self, service: BlobServiceClient, uploads: str = "uploads", quarantine: str = "quarantine",
                 sent: str = "sent") -> None:
        self.service = service
        self.uploads = service.get_container_client(uploads)
        self.quarantine_container = service.get_container_client(quarantine)
        self.sent_container = service.get_container_client(sent)
        self._created: set[str] = set()  # containers this client made sure of (created, or found existing)

    @classmethod
    def from_settings(cls, settings: Settings, service: BlobServiceClient | None = None) -> UploadStorage:
        """The storage for ``settings`` (a new client unless ``service`` is given)."""
        return cls(service or create_blob_service(settings), settings.uploads_container, settings.quarantine_container,
                   settings.sent_container)

    def was_sent(self, event_id: str) -> bool:
        """Whether the event's sent mark exists, i.e. the event was durably sent before."""
        try:
            self.sent_container.get_blob_client(event_id).get_blob_properties()
        except ResourceNotFoundError:
            return False  # no mark, or no sent container yet
        except AzureError as exc:
            raise TransientError("blob storage", storage_failure("read sent mark", exc)) from None
        return True

    def _ensure(self, container: ContainerClient) -> None:
        """Create ``container`` the first time this client writes to it (Terraform creates it in Azure)."""
        if container.container_name not in self._created:
            try:
                container.create_container()
            except ResourceExistsError:
                pass
            self._created.add(container.container_name)

    def mark_sent(self, event_id: str) -> bool:
        """Create the event's sent mark, a zero-byte blob named by its id, only if it does not exist
        (``If-None-Match: *``); ``False`` when it already did (another invocation marked it first)."""
        try:
            self._ensure(self.sent_container)
            self.sent_container.get_blob_client(event_id).upload_blob(b"", overwrite=False)
        except ResourceExistsError:
            return False
        except AzureError as exc:
            raise TransientError("blob storage", storage_failure("write sent mark", exc)) from None
        return True

    def state(self, name: str) -> BlobState | None:
        """The upload's etag and metadata, or ``None`` when it no longer exists."""
        try:
            props = self.uploads.get_blob_client(name).get_blob_properties()
        except ResourceNotFoundError:
            return None
        except AzureError as exc:
            raise TransientError("blob storage", storage_failure("get properties", exc)) from None
        return BlobState(etag=props.etag, metadata=dict(props.metadata or {}))

    def quarantine(
        self, name: str, data: bytes, metadata: Mapping[str, str], reason: str, etag: str | None,
        detail: str | None = None,
    ) -> str:
        """Keep the evidence in the quarantine container, then delete the upload; returns its name there.

        The bytes are kept without EXIF, GPS, XMP, ICC or text (:func:`strip_metadata`), with the
        upload's metadata plus ``reason``, ``detail``, ``uploadetag`` and ``uploadbytes``. Evidence is
        never overwritten: the first bad upload of a name keeps the name, a later version of it goes
        to ``<name>~<etag>``; a retried invocation for the same version finds its copy and writes nothing.
        """
        meta = {
            **dict(metadata), "reason": reason, "uploadetag": header_safe(etag or ""), "uploadbytes": str(len(data)),
        }
        if detail:
            meta["detail"] = header_safe(detail)
        evidence = strip_metadata(data)
        try:
            self._ensure(self.quarantine_container)
            target = self._keep(name, evidence, meta, etag)
        except AzureError as exc:
            raise TransientError("blob storage", storage_failure("quarantine copy", exc)) from None
        self.delete(name, etag)
        return target

    def _keep(self, name: str, evidence: bytes, meta: dict[str, str], etag: str | None) -> str:
        for candidate in (name, f"{name}~{_etag_token(etag)}", f"{name}~{uuid.uuid4().hex}"):
            blob = self.quarantine_container.get_blob_client(candidate)
            try:
                blob.upload_blob(evidence, overwrite=False, metadata=meta)
                return candidate
            except ResourceExistsError:
                if etag and blob.get_blob_properties().metadata.get("uploadetag") == meta["uploadetag"]:
                    return candidate  # this version was kept by an earlier attempt
        raise AssertionError("unreachable: a random name cannot exist")

    def delete(self, name: str, etag: str | None) -> bool:
        """Delete the upload if it still has ``etag``; ``False`` when it was gone or replaced."""
        condition = MatchConditions.IfNotModified if etag else None
        try:
            self.uploads.get_blob_client(name).delete_blob(etag=etag or None, match_condition=condition)
        except ResourceNotFoundError:
            return False
        except ResourceModifiedError:
            log.warning("an upload (%s) was replaced while being processed; the new version stays",
                        upload_place(name))
            return False
        except AzureError as exc:
            raise TransientError("blob storage", storage_failure("delete", exc)) from None
        return True

    def mark_processed(self, name: str) -> None:
        """Tag the upload ``footfall=processed`` (blob index tags; Azurite supports them)."""
        try:
            self.uploads.get_blob_client(name).set_blob_tags(PROCESSED_TAG)
        except ResourceNotFoundError:
            return
        except AzureError as exc:
            raise TransientError("blob storage", storage_failure("tag", exc)) from None

    def close(self) -> None:
        """Close the HTTP session."""
        self.service.close()
