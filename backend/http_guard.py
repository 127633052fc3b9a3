"""The HTTP/1.1 connection as the service runs it: uvicorn's httptools protocol plus the limits
uvicorn does not have (issue #18 items 2 and 3; the values are in settings.ConnectionLimits).

* Size before the app: the request line and headers together may hold ``max_head_bytes`` and
  ``max_headers`` fields; more is a 431 and the connection closes. Bytes are handed to the
  parser in slices no larger than what is still allowed, so the parser never holds more.
  (A request pipelined behind a body inside one read is counted from the next read on: the
  bound is then one read, at most 256 KiB.)
* Size of a body: whatever the route, at most ``max_body_bytes`` are read or thrown away after
  an early answer (uvicorn keeps reading a body the app did not want); then the connection
  closes, with a 413 if nothing was answered yet.
* Time: the headers must be complete ``header_timeout`` seconds after the accept or after the
  end of the previous answer, however slowly the bytes trickle in; a body must be complete
  ``body_timeout`` seconds after its headers. A late request gets a 408 and the connection
  closes; a silent one just closes. (uvicorn's keep-alive timeout only counts silence, and
  any byte restarts it.)
* Connections: at most ``max_connections``, kept below the open-file limit (server.py). At the
  limit the connection that has waited longest on its client is closed to make room — a
  slowloris holds many such connections, a kiosk sends its request within milliseconds — and
  when no connection is waiting on its client the newcomer gets a 503.

Every refusal here is problem+json with the service's headers, like the app's own.

Deadlines cost one timer per connection, not one per request: a later deadline only moves a
number, and the timer, when it fires early, sleeps again for the rest.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from backend.middleware import DEFAULT_CACHE_CONTROL, SECURITY_HEADERS
from backend.problems import (
    BODY_TOO_LARGE,
    HEADERS_TOO_LARGE,
    MALFORMED_HTTP,
    PROBLEM_MEDIA_TYPE,
    REQUEST_TIMEOUT,
    SERVER_BUSY,
    ProblemKind,
    problem_body,
)
from backend.settings import ConnectionLimits

_FIXED_HEADERS = b"".join(
    name + b": " + value + b"\r\n"
    for name, value in (
        (b"content-type", PROBLEM_MEDIA_TYPE.encode("ascii")),
        (b"connection", b"close"),
        DEFAULT_CACHE_CONTROL,
        *SECURITY_HEADERS,
    )
)


def problem_bytes(kind: ProblemKind, detail: str) -> bytes:
    """A whole HTTP/1.1 problem+json answer, for refusals made before the app is asked."""
    body = json.dumps(problem_body(kind, detail), ensure_ascii=False).encode("utf-8")
    return b"".join(
        (STATUS_LINE[kind.status], _FIXED_HEADERS, b"content-length: %d\r\n\r\n" % len(body), body)
    )


class GuardedHttpProtocol(HttpToolsProtocol):
    """One connection. ``limits`` is set on a subclass per server (see `protocol_for`)."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits(max_connections=1024)

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._head_bytes = 0
        self._header_fields = 0
        self._reading_head = True
        self._reading_body = False
        self._body_bytes = 0
        self._refusal: tuple[ProblemKind, str] | None = None
        # Loop time since which the connection waits on its client (None while we answer).
        self.waiting_since: float | None = None
        self._deadline_at: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    # Connection lifecycle

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_on_client(self.limits.header_timeout)
        limit = self.limits.max_connections
        if limit is not None and len(self.connections) > limit:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._deadline_at = self.waiting_since = None
        super().connection_lost(exc)

    def _make_room(self) -> None:
        waiting = [
            other
            for other in self.connections
            if other is not self
            and isinstance(other, GuardedHttpProtocol)
            and other.waiting_since is not None
            and not other.transport.is_closing()
        ]
        if waiting:
            min(waiting, key=lambda other: other.waiting_since or 0.0).close_now()
        else:
            self._refuse(SERVER_BUSY, "too many connections; try again shortly")

    def close_now(self) -> None:
        self._stop_waiting()
        self.transport.close()

    # Bytes in

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        limit = self.limits.max_head_bytes
        while data and not self.transport.is_closing():
            if self._reading_head:
                room = limit - self._head_bytes
                piece, data = data[:room], data[room:]
                self._head_bytes += len(piece)
            else:
                piece, data = data, b""
            try:
                self.parser.feed_data(piece)
            except httptools.HttpParserUpgrade:
                # No upgrades are offered: the request was answered as plain HTTP, and the
                # parser reads nothing more on this connection; its deadline closes it.
                return
            except httptools.HttpParserError:
                self._refusal = self._refusal or (MALFORMED_HTTP, "the request is not valid HTTP/1.1")
            if self._refusal is None and self._reading_head and self._head_bytes >= limit:
                self._refusal = (HEADERS_TOO_LARGE, f"the request line and headers may hold at most {limit} bytes")
            if self._refusal is not None:
                self._refuse(*self._refusal)
                return

    # Parser callbacks

    def on_message_begin(self) -> None:
        self._header_fields = 0
        super().on_message_begin()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_fields += 1
        if self._header_fields > self.limits.max_headers:
            self._refusal = self._refusal or (
                HEADERS_TOO_LARGE, f"a request may carry at most {self.limits.max_headers} header fields"
            )
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        if self._refusal is not None:
            return  # refused once the parser returns: the app never sees this request
        self._reading_body = True
        self._body_bytes = 0
        self._wait_on_client(self.limits.body_timeout)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._refusal is not None:
            return
        self._body_bytes += len(body)
        if self._body_bytes > self.limits.max_body_bytes:
            self._refusal = (BODY_TOO_LARGE, f"a body may hold at most {self.limits.max_body_bytes} bytes")
            return
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refusal is not None:
            return
        self._reading_body = False
        self._reading_head = True
        self._head_bytes = 0
        answered_early = self.cycle is not None and self.cycle.response_complete
        if answered_early and not self.pipeline:
            self._wait_on_client(self.limits.header_timeout)
        else:
            self._stop_waiting()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        if not pipelined and self._reading_head and not self.transport.is_closing():
            self._wait_on_client(self.limits.header_timeout)

    # Deadlines and refusals

    def _wait_on_client(self, timeout: float) -> None:
        now = self.loop.time()
        self.waiting_since = now
        self._deadline_at = now + timeout
        if self._timer is not None and self._timer_at <= self._deadline_at:
            return  # the timer fires first and sleeps again for the rest
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = self._deadline_at
        self._timer = self.loop.call_at(self._timer_at, self._on_timer)

    def _stop_waiting(self) -> None:
        self.waiting_since = self._deadline_at = None

    def _on_timer(self) -> None:
        self._timer = None
        if self._deadline_at is None or self.transport.is_closing():
            return
        if self._deadline_at > self.loop.time():
            self._timer_at = self._deadline_at
            self._timer = self.loop.call_at(self._timer_at, self._on_timer)
            return
        if self._reading_body:
            self._refuse(REQUEST_TIMEOUT, f"the body did not arrive within {self.limits.body_timeout:g} s")
        elif self._head_bytes:
            self._refuse(
                REQUEST_TIMEOUT, f"the request headers did not arrive within {self.limits.header_timeout:g} s"
            )
        else:
            self.close_now()

    def _refuse(self, kind: ProblemKind, detail: str) -> None:
        """Answer `kind` unless an answer has begun, and close: nothing more is read."""
        self._stop_waiting()
        answering = False
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            answering = cycle.response_started
            cycle.disconnected = True  # the app's answer, if it comes, goes nowhere
            cycle.message_event.set()
        if not answering and not self.transport.is_closing():
            self.transport.write(problem_bytes(kind, detail))
        self.transport.close()


def protocol_for(limits: ConnectionLimits) -> type[GuardedHttpProtocol]:
    """The protocol class uvicorn instantiates per connection, carrying `limits`."""
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"limits": limits})
