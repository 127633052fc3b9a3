"""The per-device token bucket: unit behaviour with a fake clock, and 429 over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.ratelimit import TokenBucketLimiter
from demo.records import demo_subjects
from tests.support.backend import AUTH, assert_problem, check_body, demo_server, loopback_client


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(per_second=0.5, burst=3, clock=clock)
    assert [limiter.retry_after("kiosk-1") for _ in range(3)] == [0, 0, 0]
    assert limiter.retry_after("kiosk-1") == 2
    assert limiter.retry_after("kiosk-2") == 0, "each device has its own bucket"
    clock.now += 2.0
    assert limiter.retry_after("kiosk-1") == 0
    assert limiter.retry_after("kiosk-1") == 2
    clock.now += 3600
    assert [limiter.retry_after("kiosk-1") for _ in range(4)] == [0, 0, 0, 2], "burst is a cap"


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 5), (1, 0)])
def test_a_meaningless_limit_is_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucketLimiter(rate, burst)


def test_a_device_over_its_limit_gets_429_with_retry_after(tmp_path: Path) -> None:
    subject = next(s for s in demo_subjects() if s.expected)
    benefit = sorted(subject.expected)[0]
    with demo_server(tmp_path, rate_per_second=0.01, rate_burst=3) as (url, _), loopback_client(url) as http:
        statuses = [
            http.post("/v1/eligibility", json=check_body(subject, benefit), headers=AUTH).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        limited = http.post("/v1/eligibility", json=check_body(subject, benefit), headers=AUTH)
        assert_problem(limited, 429)
        assert 1 <= int(limited.headers["retry-after"]) <= 100
        assert_problem(http.get("/v1/bundle", headers=AUTH), 429)
        # Health is not metered, and nobody without a token is told about the limit.
        assert http.get("/v1/health").status_code == 200
        assert_problem(http.post("/v1/eligibility", json={}, headers={}), 401)
