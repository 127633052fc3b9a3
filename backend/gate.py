"""Who may ask: the device a bearer token belongs to, within its rate — checked before any
body is read. A request that fails here learns nothing but "401" or "429".

Failed authentication is rate-limited per source address (a token bucket of FAILURE_BURST
refilled at FAILURE_PER_SECOND): once an address has used it up, its requests are answered 429
before any token is hashed, so guessing costs the guesser time and the service almost nothing.
A right token from that address is also refused until the bucket refills: the limiter cannot
tell a kiosk from a guesser sharing its address. Behind a proxy every request has the proxy's
address, so set the limit at the proxy there (uvicorn runs with proxy_headers off).
"""

from __future__ import annotations

from typing import Protocol

from backend.problems import RATE_LIMITED, UNAUTHORIZED, ProblemError
from backend.ratelimit import TokenBucketLimiter

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="xinyi-kiosk"'}
FAILURE_PER_SECOND = 0.5
FAILURE_BURST = 20
# Distinct source addresses remembered; past this the longest-quiet ones are forgotten.
FAILURE_ADDRESSES = 65_536


class Registry(Protocol):
    def device_for(self, authorization: str | None) -> str | None: ...


class Limiter(Protocol):
    """A per-device rate: TokenBucketLimiter in this process, or backend/pg/limiter.py shared."""

    def retry_after(self, key: str) -> int: ...


def failure_limiter() -> TokenBucketLimiter:
    return TokenBucketLimiter(FAILURE_PER_SECOND, FAILURE_BURST, max_keys=FAILURE_ADDRESSES)


class DeviceGate:
    def __init__(
        self, registry: Registry, limiter: Limiter | None,
        failures: TokenBucketLimiter | None = None,
    ) -> None:
        self.registry = registry
        self.limiter = limiter
        self.failures = failures

    def admit(self, authorization: str | None, address: str | None = None) -> str:
        """The authenticated device id, or ProblemError 401 / 429."""
        if self.failures is not None and address is not None:
            wait = self.failures.blocked_for(address)
            if wait:
                raise _too_many_failures(wait)
        device = self.registry.device_for(authorization)
        if device is None:
            if self.failures is not None and address is not None:
                self.failures.retry_after(address)  # spends one of this address's attempts
            raise ProblemError(
                UNAUTHORIZED, "a valid device token is required", headers=UNAUTHORIZED_HEADERS
            )
        if self.limiter is not None:
            wait = self.limiter.retry_after(device)
            if wait:
                raise ProblemError(
                    RATE_LIMITED, "this device sent too many requests; retry later",
                    headers={"Retry-After": str(wait)},
                )
        return device


def _too_many_failures(wait: int) -> ProblemError:
    return ProblemError(
        RATE_LIMITED, "too many failed authentications from this address; retry later",
        headers={"Retry-After": str(wait)},
    )
