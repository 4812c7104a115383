"""List a container even when one blob name cannot be listed.

Azure's List Blobs percent-encodes a name that XML cannot carry (``<Name Encoded="true">``);
Azurite instead answers 500 for every page that would hold it, and for every marker or prefix
that contains such a character. One upload named ``S0002/x\\x00.jpg`` would then stop the host from
seeing any photo of any store. :class:`ResilientLister` pages through the container; a page that
fails is retried smaller until the first unlistable name is isolated, and that name is then
stepped over with a marker found by bisection (markers are compared as strings; only printable
characters are used, since Azurite echoes the marker). Each unlistable name is reported once, as
far as it can be spelled: its printable start and the character that breaks the listing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from azure.core.exceptions import DecodeError, HttpResponseError
from azure.storage.blob import BlobProperties, ContainerClient

log = logging.getLogger("footfall.host")

PAGE_SIZE = 5000
_ALPHABET = [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0xD800)] + \
    [chr(c) for c in range(0xE000, 0xFFFE)]
"""Printable characters XML can carry (Azurite echoes the marker), in code-unit order."""


@dataclass(frozen=True)
class Unlistable:
    """A blob name the service cannot list: ``prefix`` is its printable start; ``skip_marker`` lists past it."""

    after: str | None
    prefix: str
    skip_marker: str

    def describe(self) -> str:
        return f"{self.prefix!r} followed by a character the listing cannot carry (listed after {self.after!r})"


class _Unlistable(Exception):
    pass


class ResilientLister:
    """Lists one container, stepping over names that make the listing fail (remembered across polls)."""

    def __init__(self, container: ContainerClient, page_size: int = PAGE_SIZE) -> None:
        self.container = container
        self.page_size = page_size
        self.found: dict[str | None, Unlistable] = {}
        self._reported: set[str] = set()

    def blobs(self, prefix: str | None = None) -> Iterator[BlobProperties]:
        """Every listable blob under ``prefix``, in name order."""
        marker: str | None = None
        size = self.page_size
        while True:
            try:
                items, next_marker = self._page(prefix, marker, size)
            except _Unlistable:
                if size > 1:
                    size = max(1, size // 16)
                    continue
                bad = self.found.get(marker) or self._isolate(prefix, marker)
                marker, size = bad.skip_marker, self.page_size
                continue
            yield from items
            if not next_marker:
                return
            marker, size = next_marker, self.page_size

    def _page(self, prefix: str | None, marker: str | None, size: int) -> tuple[list[BlobProperties], str | None]:
        pages = self.container.list_blobs(name_starts_with=prefix, results_per_page=size, retry_total=0).by_page(
            continuation_token=marker)
        try:
            page = next(pages, None)
            items = list(page) if page is not None else []
        except (HttpResponseError, DecodeError) as exc:
            status = getattr(exc, "status_code", None)
            if isinstance(exc, HttpResponseError) and status is not None and status < 500:
                raise
            raise _Unlistable() from exc
        return items, pages.continuation_token  # type: ignore[attr-defined]  # by_page()'s pager; typed as an Iterator

    def _lists_past(self, prefix: str | None, after: str | None, marker: str) -> bool:
        """Whether ``marker`` lies past the unlistable name that follows ``after``."""
        if after is not None and marker <= after:
            return False  # the bad name comes after ``after``, so after any marker up to it
        try:
            self._page(prefix, marker, 1)
        except _Unlistable:
            return False
        return True

    def _isolate(self, prefix: str | None, after: str | None) -> Unlistable:
        """The unlistable name right after ``after``, spelled as far as printable characters go, and
        the smallest printable marker past it, found by bisection one character at a time."""
        base = prefix or ""
        while True:
            lo, hi = 0, len(_ALPHABET)
            while lo < hi:
                mid = (lo + hi) // 2
                if self._lists_past(prefix, after, base + _ALPHABET[mid]):
                    hi = mid
                else:
                    lo = mid + 1
            if lo == len(_ALPHABET):
                raise RuntimeError(f"cannot step over an unlistable blob name after {after!r}")
            if lo > 0 and self._lists_past(prefix, after, base + _ALPHABET[lo - 1] + _ALPHABET[-1]):
                base += _ALPHABET[lo - 1]  # the bad name goes on with this printable character
                continue
            bad = Unlistable(after=after, prefix=base, skip_marker=base + _ALPHABET[lo])
            self.found[after] = bad
            if bad.skip_marker in self._reported:
                return bad
            self._reported.add(bad.skip_marker)
            log.warning("cannot list blob %s in container %s: stepping over it; rename or delete it "
                        "(the Azure service lists such names percent-encoded, Azurite cannot)",
                        bad.describe(), self.container.container_name)
            return bad
