"""How the service is put on a socket: one place for `kiosk-backend serve`, the tests and the demo.

`listen` binds the address (so a wrong host or a taken port is one line, not a traceback from
inside uvicorn), `build_server` wraps the app in uvicorn with the guarded HTTP protocol
(http_guard.py) and the connection limit resolved against the process's open-file limit.
"""

from __future__ import annotations

import contextlib
import resource
import socket
from dataclasses import replace

import uvicorn
from starlette.types import ASGIApp

from backend.http_guard import protocol_for
from backend.settings import BackendConfigError, ConnectionLimits, Settings

DEFAULT_MAX_CONNECTIONS = 1024
# asyncio accepts up to `backlog` sockets per wake-up of the listener, and a socket holds a
# descriptor some loop turns before its connection is counted (and an evicted one some turns
# after it is closed): about four batches are in flight at worst. So the batch is kept small
# and the kernel's queue of waiting connections large (GuardedServer).
ACCEPT_BATCH = 16
KERNEL_BACKLOG = 1024
# Descriptors kept for everything that is not a counted client: the listener, the event loop,
# the records database, log files, the policy and key files read when the bundle is
# re-signed (~32), and the accepted sockets in flight.
RESERVED_FILES = 32 + 4 * ACCEPT_BATCH


class ListenError(Exception):
    """The address cannot be listened on; the message is one line for a person."""


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port), not yet listening (uvicorn starts that)."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
        )[0]
    except (OSError, UnicodeError, OverflowError) as error:
        raise ListenError(f"cannot listen on {host} port {port}: {_reason(error)}") from None
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the
    # listener says it is TCP; without it every keep-alive answer waits ~40 ms for an ACK.
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as error:
        listener.close()
        raise ListenError(f"cannot listen on {host} port {port}: {_reason(error)}") from None
    return listener


def url_of(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _reason(error: BaseException) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or str(error) or type(error).__name__


def connection_ceiling() -> int:
    """How many client connections the open-file limit leaves room for."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return DEFAULT_MAX_CONNECTIONS * 64
    return soft - RESERVED_FILES


def resolve_limits(limits: ConnectionLimits) -> ConnectionLimits:
    """`limits` with max_connections set, and never more than the descriptors allow."""
    ceiling = connection_ceiling()
    if ceiling < 1:
        raise BackendConfigError(
            "(process)", "open-file limit", f"leaves no room for connections; allow at least {RESERVED_FILES + 16}"
        )
    if limits.max_connections is None:
        return replace(limits, max_connections=min(DEFAULT_MAX_CONNECTIONS, ceiling))
    if limits.max_connections > ceiling:
        raise BackendConfigError(
            "(process)", "max_connections",
            f"is {limits.max_connections}, but the open-file limit allows at most {ceiling}; "
            "lower it or raise the limit (systemd: LimitNOFILE=)",
        )
    return limits


def raise_open_file_limit() -> None:
    """Use the hard open-file limit (as Go programs do): the soft default of 1024 is for
    select(), which asyncio does not use."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        # On failure the soft limit stays, and resolve_limits sizes the connections to it.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, 65536), hard))


class GuardedServer(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # asyncio listened with backlog=ACCEPT_BATCH; widen the kernel's queue again.
        for listener in sockets or ():
            listener.listen(KERNEL_BACKLOG)


def build_server(app: ASGIApp, settings: Settings, *, graceful_shutdown: float | None = None) -> uvicorn.Server:
    """The server for `app`; run it on a socket from `listen`: ``server.run(sockets=[listener])``."""
    limits = resolve_limits(settings.limits)
    config = uvicorn.Config(
        app,
        http=protocol_for(limits),
        ws="none",
        lifespan="off",
        timeout_keep_alive=limits.keep_alive_timeout,  # type: ignore[arg-type]  # any number works
        timeout_graceful_shutdown=graceful_shutdown,  # type: ignore[arg-type]
        backlog=ACCEPT_BATCH,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    return GuardedServer(config)
