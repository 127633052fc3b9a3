"""Connections to PostgreSQL: a small pool per process, one line when it cannot be reached,
and a fast refusal (not a hang) while it is down.

Why a breaker: the service's handlers run on one event loop and call psycopg synchronously (a
lookup is one indexed statement, ~100 µs, less than handing it to a thread). While the
database is down, every request waiting up to the pool's timeout would stall the loop and every
client behind it. So the first failure marks the database down for `RETRY_SECONDS`: requests
in that time are answered 503 at once; the first request after it tries again (waiting at most
`WAIT_SECONDS`), and the pool reconnects in its own threads meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from backend.records_store import RecordsUnavailable
from backend.settings import BackendConfigError

LOG = logging.getLogger("backend.pg")
# The pool warns on every failed reconnection attempt; the service says it once (`_mark_down`).
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
T = TypeVar("T")
CONNECT_SECONDS = 3.0  # libpq's connect_timeout, and how long start-up waits for a first connection
WAIT_SECONDS = 0.5  # a request waits at most this for a pooled connection
RETRY_SECONDS = 1.0  # after a failure, requests are refused this long before the next try
STATEMENT_MS = 5000  # no statement of the service runs near this; a stuck one is cut off
# Connection-level failures: the database went away, not a mistake in a statement.
LOST = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)


def where(url: str) -> str:
    """The database a URL names, for messages: host, port and name, never user or password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return "(unparsable PostgreSQL URL)"
    host = parts.get("host") or "localhost"
    return f"PostgreSQL {parts.get('dbname') or '(default database)'} on {host} port {parts.get('port') or 5432}"


def reason(error: BaseException) -> str:
    """psycopg's message, first line only (the rest is libpq's hints and context)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class Database:
    """One PostgreSQL database reached through a pool; `run` is the one way to use it."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        origin: str = "(settings)",
        size: int = 2,
        unavailable: type[Exception] = RecordsUnavailable,
        **settings: str,
    ) -> None:
        self.url = url
        self.key = key  # the config setting that named it: "db", "db_read" or "fleet_db"
        self.origin = origin
        self.unavailable = unavailable  # what a request gets while the database is down (a 503)
        options = " ".join(
            [
                str(conninfo_to_dict(url).get("options") or ""),  # the URL's own (a search_path...) stay
                *(f"-c {name}={value}" for name, value in {"statement_timeout": str(STATEMENT_MS), **settings}.items()),
            ]
        ).strip()
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=size,
            open=False,
            timeout=WAIT_SECONDS,
            name=key,
            kwargs={
                "autocommit": True,
                "connect_timeout": int(CONNECT_SECONDS),
                "options": options,
                "application_name": "xinyi-backend",
            },
        )
        self._down_until = 0.0
        self._lock = threading.Lock()

    def open(self) -> None:
        """Connect now; BackendConfigError in one line if the database cannot be reached.

        One direct attempt first: it fails at once with libpq's reason (the pool would retry
        quietly until its timeout), then the pool fills.
        """
        try:
            psycopg.connect(self.url, connect_timeout=int(CONNECT_SECONDS)).close()
            self.pool.open(wait=True, timeout=CONNECT_SECONDS)
        except (psycopg.Error, PoolTimeout) as error:
            self.pool.close()
            problem = f"cannot reach {where(self.url)}: {reason(error)}"
            raise BackendConfigError(self.origin, self.key, problem) from None

    def run(self, action: Callable[[psycopg.Connection[Any]], T]) -> T:
        """`action` on a pooled connection; `unavailable()` raised if the database is down."""
        if time.monotonic() < self._down_until:
            raise self.unavailable()
        try:
            with self.pool.connection() as connection:
                return action(connection)
        except LOST as error:
            self._mark_down(error)
            raise self.unavailable() from None

    def _mark_down(self, error: BaseException) -> None:
        with self._lock:
            first = self._down_until == 0.0 or time.monotonic() > self._down_until + RETRY_SECONDS
            self._down_until = time.monotonic() + RETRY_SECONDS
        if first:
            LOG.error(
                "%s: %s unavailable (%s); answering 503 until it is back", self.key, where(self.url), reason(error)
            )

    def close(self) -> None:
        self.pool.close()


def connect_once(url: str, key: str, origin: str) -> psycopg.Connection[Any]:
    """One connection for a command (db init, records import), autocommit: each makes its own
    transactions. BackendConfigError if the database cannot be reached."""
    try:
        return psycopg.connect(
            url, autocommit=True, connect_timeout=int(CONNECT_SECONDS), application_name="xinyi-backend"
        )
    except psycopg.Error as error:
        raise BackendConfigError(origin, key, f"cannot reach {where(url)}: {reason(error)}") from None


def open_checked(
    url: str, key: str, *, origin: str, size: int = 2, unavailable: type[Exception] = RecordsUnavailable
) -> Database:
    """A connected Database holding the schema this release reads; BackendConfigError naming
    the setting `key` otherwise (not reachable, no schema or another version, not readable)."""
    from backend.pg import schema

    database = Database(url, key, origin=origin, size=size, unavailable=unavailable)
    database.open()
    try:
        database.run(schema.check)
    except schema.SchemaError as error:
        database.close()
        raise BackendConfigError(origin, key, f"{where(url)} {error}") from None
    except (psycopg.Error, unavailable) as error:
        database.close()
        raise BackendConfigError(origin, key, f"{where(url)} cannot be read ({reason(error)})") from None
    return database
