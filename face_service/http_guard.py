"""uvicorn's httptools protocol with the limits a public endpoint needs.

uvicorn bounds neither the size of a request's head nor the time it may take to arrive: a client
can send headers without end, or one byte every few seconds (each byte resets the keep-alive
timer), and hold a connection for ever. :func:`guarded_protocol` returns a subclass that

* refuses a request line plus headers over ``max_header_bytes``, or more than ``max_headers``
  fields, with 431 (414 for the URL alone) and closes the connection;
* gives each request ``read_timeout_s`` from its first byte (for a connection's first request: from
  the connection's opening) to its last, then answers 408 if no response has started and closes
  the connection. That also ends a body left trickling in after an early answer (401, 429).

Errors use the Face API's JSON shape. The idle time between requests is uvicorn's
``timeout_keep_alive``; the deadline from headers to response is the app's (``request_timeout_s``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from face_service.config import ServiceSettings
from face_service.errors import FaceApiError


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing a request that breaks a limit."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` with head-size limits and a read deadline (see the module doc)."""

    max_header_bytes = 16 * 1024
    max_headers = 100
    read_timeout_s = 20.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._head_fields = 0
        self._refusal: FaceApiError | None = None
        self._read_timer: asyncio.TimerHandle | None = None

    # -- the read deadline
    def _arm_read_timer(self) -> None:
        if self._read_timer is None:
            self._read_timer = self.loop.call_later(self.read_timeout_s, self._read_timed_out)

    def _disarm_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            if cycle is not None and not cycle.response_complete:
                cycle.disconnected = True  # the app's late answer, if any, is dropped
            self._write_error(FaceApiError(
                408, "RequestTimeout", f"The request did not arrive within {self.read_timeout_s:g} seconds.",
            ))
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn's base narrows it too
        super().connection_made(transport)
        self._arm_read_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_timer()
        super().connection_lost(exc)

    # -- head limits, counted as the parser reports the pieces
    def _count(self, size: int, fields: int = 0) -> None:
        self._head_bytes += size
        self._head_fields += fields
        if self._head_fields > self.max_headers:
            self._refusal = FaceApiError(431, "RequestHeaderFieldsTooLarge",
                                         f"More than {self.max_headers} header fields.")
            raise _Refused
        if self._head_bytes > self.max_header_bytes:
            self._refusal = FaceApiError(431, "RequestHeaderFieldsTooLarge",
                                         f"The request line and headers exceed {self.max_header_bytes} bytes.")
            raise _Refused

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = self._head_fields = 0
        self._arm_read_timer()

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        if self._head_bytes > self.max_header_bytes:
            self._refusal = FaceApiError(414, "URITooLong", f"The URL exceeds {self.max_header_bytes} bytes.")
            raise _Refused
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4, 1)
        super().on_header(name, value)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm_read_timer()  # all in; the app's deadline covers the answer, keep-alive the idle time

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error; ours when a limit stopped the parser."""
        if self._refusal is None:
            self._write_error(FaceApiError(400, "BadArgument", msg))
        else:
            self._write_error(self._refusal)
        self.transport.close()

    def _write_error(self, error: FaceApiError) -> None:
        body = error.body().model_dump_json().encode()
        head = [STATUS_LINE[error.status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [b"content-type: application/json\r\n", b"content-length: ", str(len(body)).encode(), b"\r\n",
                 b"connection: close\r\n\r\n", body]
        self.transport.write(b"".join(head))


def guarded_protocol(settings: ServiceSettings) -> type[GuardedHttpToolsProtocol]:
    """The protocol class for ``uvicorn.run(http=...)`` with the limits of ``settings``."""
    return type("FaceServiceHttpProtocol", (GuardedHttpToolsProtocol,), {
        "max_header_bytes": settings.max_header_bytes,
        "max_headers": settings.max_headers,
        "read_timeout_s": settings.read_timeout_s,
    })
