"""A device's token bucket in PostgreSQL, shared by every worker and node of the service.

The same bucket as backend/ratelimit.py (refill `per_second`, hold at most `burst`), kept in
the UNLOGGED table ``rate_buckets`` and updated by one statement per request, so two workers
taking a token at once cannot both take the last one (the row lock orders them). Time is the
database's clock, the one clock every node shares. Writes go to ``db`` (a replica cannot take
them), with ``synchronous_commit`` off: losing the last few milliseconds of a rate limit in a
crash costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import psycopg

from backend.pg.connect import Database

# refill = the bucket topped up for the time since its last request, capped at the burst.
_REFILL = "least(%(burst)s, b.tokens + (extract(epoch from clock_timestamp()) - b.stamp) * %(rate)s)"
_TAKE = f"""
INSERT INTO rate_buckets AS b (device, tokens, stamp, allowed)
VALUES (%(device)s, %(burst)s - 1, extract(epoch from clock_timestamp()), true)
ON CONFLICT (device) DO UPDATE SET
    tokens = CASE WHEN {_REFILL} >= 1 THEN {_REFILL} - 1 ELSE {_REFILL} END,
    allowed = {_REFILL} >= 1,
    stamp = extract(epoch from clock_timestamp())
RETURNING tokens, allowed
"""


class SharedLimiter:
    def __init__(self, url: str, per_second: float, burst: int, *, origin: str = "(settings)") -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("rate must be > 0 per second and burst >= 1")
        self.per_second = per_second
        self.burst = burst
        self.database = Database(url, "db", origin=origin, synchronous_commit="off")
        self.database.open()

    def retry_after(self, key: str) -> int:
        """Take one token for `key`: 0 when allowed, else whole seconds until one is free."""
        tokens, allowed = self.database.run(self._take(key))
        if allowed:
            return 0
        return max(1, math.ceil((1.0 - tokens) / self.per_second))

    def _take(self, key: str) -> Callable[[psycopg.Connection[Any]], tuple[float, bool]]:
        parameters = {"device": key, "burst": float(self.burst), "rate": self.per_second}

        def take(connection: psycopg.Connection[Any]) -> tuple[float, bool]:
            row = connection.execute(_TAKE, parameters).fetchone()
            assert row is not None  # INSERT ... RETURNING always gives the row
            return float(row[0]), bool(row[1])

        return take

    def close(self) -> None:
        self.database.close()
