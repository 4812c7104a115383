"""The store-and-forward disk buffer: every photo is written here before any upload is tried.

One file per photo, named ``{epoch_ms:013d}.{store_id}.{camera_id}.{seq}.jpg`` so that

* the name alone rebuilds the blob name and metadata after a restart (no sidecar to keep in step),
* sorting names sorts by capture time: draining is oldest first.

Writes are atomic: the bytes go to ``.tmp/`` in the same folder, are fsynced, then renamed into
place, so a crash or power loss never leaves half a photo to upload. A photo is deleted only
after the upload is confirmed. Caps on size and age drop the oldest photos with a warning and
count them.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from edge_module.config import BufferLimits
from functions.contracts import PhotoKind, UploadPath

log = logging.getLogger(__name__)

_NAME = re.compile(
    r"^(?P<ms>\d{13})\.(?P<store>[A-Za-z0-9_-]{1,64})\.(?P<camera>[A-Za-z0-9_-]{1,64})\.(?P<seq>\d{1,9})"
    r"(?:\.(?P<kind>visit))?\.jpg$"
)


MAX_SEQ = 10**9
"""The upload contract allows at most 9 digits of sequence number."""


class BufferedPhoto(BaseModel):
    """A photo waiting in the buffer."""

    model_config = ConfigDict(frozen=True)

    path: Path
    store_id: str
    camera_id: str
    captured_at: datetime
    seq: int
    size: int
    kind: PhotoKind = "frame"

    @classmethod
    def from_path(cls, path: Path) -> BufferedPhoto | None:
        """The photo a buffer file holds, or ``None`` if the name is not a buffer name."""
        m = _NAME.match(path.name)
        if m is None:
            return None
        captured = datetime.fromtimestamp(int(m["ms"]) / 1000, tz=UTC)
        return cls(
            path=path, store_id=m["store"], camera_id=m["camera"], captured_at=captured, seq=int(m["seq"]),
            size=path.stat().st_size, kind="visit" if m["kind"] == "visit" else "frame",
        )

    @staticmethod
    def file_name(store_id: str, camera_id: str, captured_at: datetime, seq: int, kind: PhotoKind = "frame") -> str:
        """The buffer file name for a photo (``.visit.jpg`` for a visit crop)."""
        ms = int(round(captured_at.timestamp() * 1000))
        return f"{ms:013d}.{store_id}.{camera_id}.{seq}{'.visit' if kind == 'visit' else ''}.jpg"

    @property
    def upload_path(self) -> UploadPath:
        """Where the photo goes, by the upload contract."""
        return UploadPath(
            store_id=self.store_id, camera_id=self.camera_id, captured_at=self.captured_at,
            seq=self.seq, extension="jpg", kind=self.kind,
        )

    @property
    def blob_name(self) -> str:
        """The blob name (``UploadPath.blob_name()``), the same on every retry."""
        return self.upload_path.blob_name()

    @property
    def metadata(self) -> dict[str, str]:
        """Blob metadata by the upload contract."""
        return self.upload_path.metadata()


class PhotoBuffer:
    """A folder of photos waiting for upload, capped by total size and age. Thread-safe."""

    def __init__(self, directory: Path, limits: BufferLimits) -> None:
        self.directory = Path(directory)
        self.limits = limits
        self.dropped = 0
        self._tmp = self.directory / ".tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._in_flight: Path | None = None
        self._entries: dict[str, BufferedPhoto] = {}
        # Sequence numbers start from a value derived from the start time, so that even a clock
        # set back across a restart cannot reuse a blob name of an earlier run (the conditional
        # upload would then take the new photo for an already uploaded one).
        self._seq = (int(time.time()) % 100_000) * 10_000
        for leftover in self._tmp.iterdir():  # half-written by a crash: never complete, never uploaded
            leftover.unlink(missing_ok=True)
        for path in self.directory.iterdir():
            if path.is_file():
                photo = BufferedPhoto.from_path(path)
                if photo is None:
                    log.warning("buffer: ignoring foreign file %s", path)
                else:
                    self._entries[path.name] = photo
        if self._entries:
            log.info("buffer: %d photo(s), %d bytes left from a previous run", len(self._entries), self.size_bytes)

    @property
    def count(self) -> int:
        """Photos waiting."""
        with self._lock:
            return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes waiting."""
        with self._lock:
            return sum(p.size for p in self._entries.values())

    def pending(self) -> list[BufferedPhoto]:
        """Photos waiting, oldest first."""
        with self._lock:
            return [self._entries[k] for k in sorted(self._entries)]

    def set_limits(self, limits: BufferLimits) -> None:
        """New caps (a twin patch); applied on the next :meth:`put` or :meth:`enforce_limits`."""
        with self._lock:
            self.limits = limits

    def put(
        self, jpeg: bytes, store_id: str, camera_id: str, captured_at: datetime, kind: PhotoKind = "frame",
    ) -> BufferedPhoto | None:
        """Write a photo atomically; returns it, or ``None`` if it alone exceeds the size cap."""
        with self._lock:
            self._enforce_age(captured_at)
            if len(jpeg) > self.limits.max_bytes:
                self.dropped += 1
                log.warning(
                    "buffer: photo of %d bytes exceeds the whole buffer cap of %d bytes: dropped (dropped total %d)",
                    len(jpeg), self.limits.max_bytes, self.dropped,
                )
                return None
            self._make_room(len(jpeg))
            while True:
                name = BufferedPhoto.file_name(store_id, camera_id, captured_at, self._seq, kind)
                self._seq = (self._seq + 1) % MAX_SEQ
                if name not in self._entries:
                    break
            final = self.directory / name
            tmp = self._tmp / (name + ".part")
            with open(tmp, "wb") as f:
                f.write(jpeg)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
            _fsync_dir(self.directory)
            photo = BufferedPhoto.from_path(final)
            assert photo is not None
            self._entries[name] = photo
            return photo

    def claim_oldest(self) -> BufferedPhoto | None:
        """The oldest photo, marked in flight so that the caps do not delete it mid-upload."""
        with self._lock:
            if not self._entries:
                return None
            photo = self._entries[min(self._entries)]
            self._in_flight = photo.path
            return photo

    def release(self) -> None:
        """The in-flight upload failed: the photo stays and may be dropped by the caps again."""
        with self._lock:
            self._in_flight = None

    def remove(self, photo: BufferedPhoto) -> None:
        """Delete a photo whose upload is confirmed."""
        with self._lock:
            photo.path.unlink(missing_ok=True)
            self._entries.pop(photo.path.name, None)
            if self._in_flight == photo.path:
                self._in_flight = None

    def enforce_limits(self, now: datetime) -> int:
        """Drop photos over the age and size caps; returns how many were dropped."""
        with self._lock:
            before = self.dropped
            self._enforce_age(now)
            self._make_room(0)
            return self.dropped - before

    # -- internals, called with the lock held ---------------------------------------------------

    def _drop(self, names: list[str], why: str) -> None:
        if not names:
            return
        size = 0
        for name in names:
            photo = self._entries.pop(name)
            size += photo.size
            photo.path.unlink(missing_ok=True)
        self.dropped += len(names)
        log.warning(
            "buffer: %s: dropped %d oldest photo(s), %d bytes (dropped total %d, %d photo(s) still waiting)",
            why, len(names), size, self.dropped, len(self._entries),
        )

    def _enforce_age(self, now: datetime) -> None:
        cutoff = now - timedelta(seconds=self.limits.max_age_s)
        old = [k for k in sorted(self._entries) if self._entries[k].captured_at < cutoff
               and self._entries[k].path != self._in_flight]
        self._drop(old, f"older than the {self.limits.max_age_s:.0f} s age cap")

    def _make_room(self, incoming: int) -> None:
        total = sum(p.size for p in self._entries.values()) + incoming
        victims = []
        for name in sorted(self._entries):
            if total <= self.limits.max_bytes:
                break
            if self._entries[name].path == self._in_flight:
                continue
            victims.append(name)
            total -= self._entries[name].size
        self._drop(victims, f"over the {self.limits.max_bytes} byte size cap")


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
