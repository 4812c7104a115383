"""Where simulated uploads go: Azurite (or any Blob Storage) through azure-storage-blob, or a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient, ContentSettings


class UploadTarget(Protocol):
    """Something a camera can upload a photo to."""

    def put(self, name: str, data: bytes, metadata: dict[str, str]) -> None:
        """Store one photo under ``name`` with its metadata."""

    def describe(self) -> str:
        """Where the uploads go, for people."""


class BlobTarget:
    """The ``uploads`` container of a storage account (Azurite locally)."""

    def __init__(self, connection_string: str, container: str = "uploads") -> None:
        self.service = BlobServiceClient.from_connection_string(connection_string)
        self.container = self.service.get_container_client(container)
        try:
            self.container.create_container()
        except ResourceExistsError:
            pass

    def put(self, name: str, data: bytes, metadata: dict[str, str]) -> None:
        content_type = "image/png" if name.lower().endswith(".png") else "image/jpeg"
        self.container.upload_blob(
            name, data, overwrite=True, metadata=metadata, content_settings=ContentSettings(content_type=content_type),
        )

    def describe(self) -> str:
        return self.container.url


class FolderTarget:
    """A folder: ``<root>/<blob name>`` plus ``<blob name>.metadata.json`` beside it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, name: str, data: bytes, metadata: dict[str, str]) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.with_name(path.name + ".metadata.json").write_text(json.dumps(metadata, sort_keys=True))

    def describe(self) -> str:
        return str(self.root)
