"""Per-device token bucket: a kiosk may burst (a queue at the counter), not hammer.

Keys are authenticated device ids, so the table cannot grow past the configured fleet; a
limiter keyed by anything else (source addresses, backend/gate.py) sets ``max_keys`` and
forgets the longest-quiet keys past it.
The service runs its handlers on one event loop; the lock only matters if someone embeds the
limiter in threaded code.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucketLimiter:
    def __init__(
        self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic,
        *, max_keys: int | None = None,
    ) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("rate must be > 0 per second and burst >= 1")
        self.per_second = per_second
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()
        self.max_keys = max_keys

    def blocked_for(self, key: str) -> int:
        """Whole seconds until `key` has a token again, without taking one (0: not blocked)."""
        with self._lock:
            held = self._buckets.get(key)
            if held is None:
                return 0
            tokens, last = held
            tokens = min(float(self.burst), tokens + (self._clock() - last) * self.per_second)
            return 0 if tokens >= 1.0 else max(1, math.ceil((1.0 - tokens) / self.per_second))

    def retry_after(self, key: str) -> int:
        """Take one token for `key`: 0 when allowed, else whole seconds until one is free."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.pop(key, (float(self.burst), now))  # re-inserted: newest
            tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
            if self.max_keys is not None and len(self._buckets) >= self.max_keys:
                del self._buckets[next(iter(self._buckets))]
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.per_second))
