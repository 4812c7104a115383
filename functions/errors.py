"""The two kinds of failure the ingest function knows.

* :class:`PermanentError` - retrying cannot help (bad path, bad image, unknown store, the face
  service rejects the image). The photo goes to the ``quarantine`` container with ``reason``.
* :class:`TransientError` - retrying may help (face service 429/5xx/timeout, Event Hubs or
  storage unreachable). The function raises it, so the Functions host retries the invocation
  under the bounded policy in ``host.json``; the photo stays in ``uploads`` meanwhile.
"""

from __future__ import annotations

from typing import Literal

QuarantineReason = Literal[
    "bad_path",
    "unknown_store",
    "implausible_time",
    "empty",
    "too_large",
    "unsupported_format",
    "too_many_scans",
    "too_many_pixels",
    "too_small",
    "corrupt_image",
    "face_rejected",
    "poison",
]
"""Every value the ``reason`` metadata of a quarantined blob can take (``poison``: it failed every
attempt and every re-drive while its dependencies were healthy, see :mod:`functions.redrive`)."""


class IngestError(Exception):
    """Base class of the ingest function's own errors."""


class PermanentError(IngestError):
    """The upload can never be processed; it is quarantined with :attr:`reason`."""

    def __init__(self, reason: QuarantineReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: QuarantineReason = reason
        self.detail = detail


class TransientError(IngestError):
    """A dependency failed in a way that may pass; raised so the Functions host retries."""

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency} unavailable: {detail}")
        self.dependency = dependency
        self.detail = detail
