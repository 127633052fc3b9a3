"""The one pure-ASGI wrapper around the app: security headers on every response, and one
access-log line per request with method, path, status, latency and device id — nothing else.

It wraps the whole Starlette app (outside its error middleware) so even a 500 carries the
headers. A path that is not one of ours is logged as ``<other>``: a client could put anything
in a URL, including an identifier.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOG = logging.getLogger("backend.access")
ERROR_LOG = logging.getLogger("backend.app")
DEVICE_SCOPE_KEY = "xinyi.device"

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
DEFAULT_CACHE_CONTROL = (b"cache-control", b"no-store")
# A metric label holds one of these or "<other>": a client may send any method name.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})


class ServiceHeaders:
    """``direct`` maps (method, path) to an ASGI app served in front of the wrapped app's
    router and middleware: POST /v1/eligibility, whose Starlette stack (error and exception
    middleware, route matching) cost as much as the kept answer itself. A failure in a
    direct route is answered by ``direct_error(error)`` (the 500 the wrapped app's error
    middleware would have sent), logged here like any other."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        known_paths: Iterable[str],
        log_requests: bool,
        on_close: Callable[[], None] | None = None,
        observe: Callable[[str, str, float], None] | None = None,
        direct: Mapping[tuple[str, str], ASGIApp] | None = None,
        direct_error: Callable[[Exception], Awaitable[ASGIApp]] | None = None,
    ) -> None:
        self.app = app
        self.known_paths = frozenset(known_paths)
        self.log_requests = log_requests
        self._on_close = on_close
        # Told each request's route (a known path or "<other>"), method and seconds: /metrics.
        self.observe = observe
        self.direct = dict(direct or {})
        if self.direct and direct_error is None:
            raise ValueError("direct routes need direct_error to answer their failures")
        self.direct_error = direct_error

    def close(self) -> None:
        """Let go of what the app holds open (database connections); the server has stopped."""
        if self._on_close is not None:
            self._on_close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if not any(name == b"cache-control" for name, _ in headers):
                    headers.append(DEFAULT_CACHE_CONTROL)
                # A page that needs its own policy (the fleet dashboard's stylesheet and form)
                # sets it; two policies would both apply, the stricter one blocking the page.
                own_policy = any(name == b"content-security-policy" for name, _ in headers)
                headers.extend(h for h in SECURITY_HEADERS if not (own_policy and h[0] == b"content-security-policy"))
                message = {**message, "headers": headers}
            await send(message)

        target = self.app
        if self.direct and not scope.get("root_path"):
            target = self.direct.get((scope["method"], scope["path"]), self.app)
        try:
            await target(scope, receive, send_with_headers)
        except Exception as error:
            # Starlette has already answered 500 (problem+json). Do not hand the exception to
            # the server, whose traceback would print its message: a message may quote request
            # data. Its type and where it was raised are enough to find the bug.
            frame = error.__traceback__
            while frame is not None and frame.tb_next is not None:
                frame = frame.tb_next
            where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else "?"
            ERROR_LOG.error("unhandled %s at %s", type(error).__name__, where)
            if not status and target is not self.app and self.direct_error is not None:
                await (await self.direct_error(error))(scope, receive, send_with_headers)
            elif not status:
                raise
        finally:
            path = scope["path"] if scope["path"] in self.known_paths else "<other>"
            seconds = time.perf_counter() - started
            if self.observe is not None:
                method = scope["method"]
                self.observe(path, method if method in _METHODS else "<other>", seconds)
            if self.log_requests:
                ACCESS_LOG.info(
                    "%s %s %d %.2fms device=%s",
                    scope["method"][:16],
                    path,
                    status or 500,
                    seconds * 1000,
                    scope.get(DEVICE_SCOPE_KEY) or "-",
                )
