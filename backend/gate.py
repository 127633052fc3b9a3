"""Who may ask: the device a bearer token belongs to, within its rate — checked before any
body is read. A request that fails here learns nothing but "401" or "429"."""

from __future__ import annotations

from backend.auth import DeviceRegistry
from backend.problems import RATE_LIMITED, UNAUTHORIZED, ProblemError
from backend.ratelimit import TokenBucketLimiter

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="xinyi-kiosk"'}


class DeviceGate:
    def __init__(self, registry: DeviceRegistry, limiter: TokenBucketLimiter | None) -> None:
        self.registry = registry
        self.limiter = limiter

    def admit(self, authorization: str | None) -> str:
        """The authenticated device id, or ProblemError 401 / 429."""
        device = self.registry.device_for(authorization)
        if device is None:
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
