"""Bundle sync against a real HTTP server on loopback that serves, drops, stalls and lies."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.adapters.bundle_sync import BundleSync, Health, HealthTracker, SyncPolicy
from kiosk.adapters.store import Store
from kiosk.core.bundle import authority_key_id
from kiosk.core.offline import OfflineUnavailable
from tests.support.bundle import LoopbackBackend, authorities, signed

QUICK = httpx.Timeout(0.5)


@pytest.fixture
async def backend() -> AsyncIterator[LoopbackBackend]:
    server = await LoopbackBackend().start()
    yield server
    await server.close()


def make_sync(store: Store, server: LoopbackBackend, **kwargs: object) -> BundleSync:
    return BundleSync(store, authorities(), base_url=server.url, token="t0ken", timeout=QUICK,
                      rng=random.Random(1), **kwargs)  # type: ignore[arg-type]


async def test_first_sync_updates_and_the_next_is_a_conditional_get(tmp_path: Path, backend: LoopbackBackend) -> None:
    backend.publish(signed(version=1))
    sync = make_sync(Store(tmp_path), backend)
    assert sync.current is None and sync.health is Health.OFFLINE
    first = await sync.sync_now()
    assert first.outcome == "updated" and first.version == 1
    assert sync.current is not None and sync.health is Health.ONLINE
    second = await sync.sync_now()
    assert second.outcome == "unchanged"
    assert "if-none-match" not in backend.requests[0][1]
    assert backend.requests[1][1]["if-none-match"] == backend.etag
    assert backend.requests[1][1]["authorization"] == "Bearer t0ken"
    stored = Store(tmp_path).load_bundle()
    assert stored is not None and stored.version == 1 and stored.etag == backend.etag
    assert Store(tmp_path).get_state("last_sync_outcome") == "unchanged"
    await sync.stop()


async def test_a_new_version_replaces_the_old(tmp_path: Path, backend: LoopbackBackend) -> None:
    backend.publish(signed(version=1))
    sync = make_sync(Store(tmp_path), backend)
    await sync.sync_now()
    backend.publish(signed(version=2))
    assert (await sync.sync_now()).outcome == "updated"
    assert sync.current is not None and sync.current.version == 2
    await sync.stop()


def _tampered() -> bytes:
    return signed(version=9).replace("信易批".encode(), "信易贷".encode())


def _foreign() -> bytes:
    return signed(version=9, key=ed25519.Ed25519PrivateKey.generate())


def _unsigned() -> bytes:
    envelope = json.loads(signed(version=9))
    del envelope["signature"]
    return json.dumps(envelope).encode()


@pytest.mark.parametrize(
    ("make_body", "reason"),
    [
        (lambda: signed(version=1), "older_version"),
        (lambda: signed(version=2, revoked=["ef" * 32]), "conflicting_version"),
        (_tampered, "bad_signature"),
        (_foreign, "unknown_authority_key"),
        (_unsigned, "unsigned"),
        (lambda: b"<html>captive portal</html>", "malformed"),
        (lambda: signed(version=9, issued_at=datetime.now(UTC) - timedelta(days=5)), "expired"),
        (lambda: signed(version=9, issued_at=datetime.now(UTC) + timedelta(days=3)), "issued_in_future"),
    ],
)
async def test_a_refused_bundle_keeps_the_last_good_one_and_says_why(
    tmp_path: Path, backend: LoopbackBackend, make_body: object, reason: str
) -> None:
    backend.publish(signed(version=2))
    store = Store(tmp_path)
    sync = make_sync(store, backend)
    await sync.sync_now()
    held = sync.current
    backend.publish(make_body())  # type: ignore[operator]
    result = await sync.sync_now()
    assert result.outcome == "refused"
    assert result.refusal is not None and result.refusal.reason == reason
    assert sync.current is held
    stored = Store(tmp_path).load_bundle()
    assert stored is not None and held is not None and stored.digest == held.digest
    assert Store(tmp_path).get_state("last_refusal_reason") == reason
    assert sync.health is Health.ONLINE  # the backend answered; only its bundle was refused
    await sync.stop()


async def test_a_bundle_minutes_ahead_of_the_clock_is_accepted(tmp_path: Path, backend: LoopbackBackend) -> None:
    backend.publish(signed(version=1, issued_at=datetime.now(UTC) + timedelta(minutes=4)))
    sync = make_sync(Store(tmp_path), backend)
    assert (await sync.sync_now()).outcome == "updated"
    await sync.stop()


async def test_health_moves_online_degraded_offline_online(tmp_path: Path, backend: LoopbackBackend) -> None:
    backend.publish(signed(version=1))
    store = Store(tmp_path)
    sync = make_sync(store, backend)
    seen = []
    for mode in ("serve", "drop", "stall", "error", "drop", "serve"):
        backend.mode = mode
        result = await sync.sync_now()
        seen.append((mode, result.outcome, sync.health.value))
    assert seen == [
        ("serve", "updated", "online"),
        ("drop", "unreachable", "degraded"),
        ("stall", "unreachable", "degraded"),
        ("error", "unreachable", "offline"),
        ("drop", "unreachable", "offline"),
        ("serve", "unchanged", "online"),
    ]
    assert sync.current is not None and sync.current.version == 1  # kept throughout
    assert Store(tmp_path).get_state("health") == "online"
    await sync.stop()


async def test_an_oversized_answer_is_refused_without_reading_it(tmp_path: Path, backend: LoopbackBackend) -> None:
    backend.mode = "huge"
    sync = make_sync(Store(tmp_path), backend)
    result = await sync.sync_now()
    assert result.outcome == "refused" and result.refusal is not None
    assert result.refusal.reason == "too_large"
    await sync.stop()


async def test_a_backend_that_refuses_the_device_is_not_online(tmp_path: Path, backend: LoopbackBackend) -> None:
    backend.publish(signed(version=1))
    sync = BundleSync(Store(tmp_path), authorities(), base_url=backend.url + "/nowhere", timeout=QUICK)
    result = await sync.sync_now()
    assert result.outcome == "rejected" and sync.health is Health.DEGRADED
    await sync.stop()


async def test_nothing_listening_is_unreachable(tmp_path: Path) -> None:
    server = await LoopbackBackend().start()
    url = server.url
    await server.close()
    sync = BundleSync(Store(tmp_path), authorities(), base_url=url, timeout=QUICK)
    assert (await sync.sync_now()).outcome == "unreachable"
    await sync.stop()


async def test_the_background_loop_backs_off_and_recovers(tmp_path: Path, backend: LoopbackBackend) -> None:
    backend.publish(signed(version=1))
    backend.mode = "drop"
    policy = SyncPolicy(interval=timedelta(hours=1), base=timedelta(milliseconds=20),
                        cap=timedelta(milliseconds=80))
    sync = make_sync(Store(tmp_path), backend, policy=policy)
    sync.start()
    while sync.tracker.consecutive_failures < 3:
        await asyncio.sleep(0.01)
    assert sync.health is Health.OFFLINE
    backend.mode = "serve"
    async with asyncio.timeout(10):
        while sync.current is None:
            await asyncio.sleep(0.01)
    assert sync.health is Health.ONLINE
    attempts = len(backend.requests)
    await asyncio.sleep(0.2)
    assert len(backend.requests) == attempts  # after success it waits the hour, not the backoff
    await sync.stop()


async def test_staff_sync_now_does_not_wait_for_the_backoff(tmp_path: Path, backend: LoopbackBackend) -> None:
    backend.publish(signed(version=1))
    backend.mode = "drop"
    policy = SyncPolicy(base=timedelta(hours=1), cap=timedelta(hours=1))
    sync = make_sync(Store(tmp_path), backend, policy=policy)
    sync.start()
    while not backend.requests:
        await asyncio.sleep(0.01)
    backend.mode = "serve"
    async with asyncio.timeout(5):
        result = await sync.sync_now()
    assert result.outcome == "updated"
    await sync.stop()


def test_backoff_grows_with_failures_jittered_and_capped() -> None:
    policy = SyncPolicy(interval=timedelta(hours=1), base=timedelta(seconds=10), cap=timedelta(minutes=5))
    rng = random.Random(3)
    for failures, step in [(1, 10), (2, 20), (3, 40), (4, 80), (6, 300), (40, 300)]:
        delays = [policy.delay(failures, rng) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in delays)
        assert max(delays) - min(delays) > step / 4  # really jittered
    assert all(3240 <= policy.delay(0, rng) <= 3960 for _ in range(100))


def test_health_tracker_thresholds() -> None:
    tracker = HealthTracker(offline_after=3)
    assert tracker.health is Health.OFFLINE  # nothing known yet: do not claim online
    tracker.record(True)
    assert tracker.health is Health.ONLINE
    tracker.record(False)
    tracker.record(False)
    assert tracker.health is Health.DEGRADED
    tracker.record(False)
    assert tracker.health is Health.OFFLINE
    tracker.record(True)
    assert tracker.health is Health.ONLINE


async def test_a_restarted_kiosk_starts_from_its_stored_bundle(tmp_path: Path, backend: LoopbackBackend) -> None:
    backend.publish(signed(version=4))
    first = make_sync(Store(tmp_path), backend)
    await first.sync_now()
    await first.stop()
    backend.mode = "drop"
    second = make_sync(Store(tmp_path), backend)
    assert second.current is not None and second.current.version == 4
    assert (await second.sync_now()).outcome == "unreachable"
    second.offline_bundle()  # still fresh: offline decisions allowed
    assert backend.requests[-1][1]["if-none-match"] == backend.etag
    await second.stop()


async def test_cache_from_a_rotated_authority_is_not_trusted(tmp_path: Path, backend: LoopbackBackend) -> None:
    backend.publish(signed(version=4))
    first = make_sync(Store(tmp_path), backend)
    await first.sync_now()
    await first.stop()
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    sync = BundleSync(Store(tmp_path), {authority_key_id(other): other}, base_url=backend.url)
    assert sync.current is None
    assert sync.load_problem is not None and sync.load_problem.reason == "unknown_authority_key"
    await sync.stop()


async def test_offline_decisions_stop_past_max_age(tmp_path: Path, backend: LoopbackBackend) -> None:
    issued = datetime.now(UTC).replace(microsecond=0)
    backend.publish(signed(version=1, issued_at=issued, valid_for=timedelta(days=7)))
    clock = [issued]
    policy = SyncPolicy(max_age=timedelta(hours=48))
    sync = make_sync(Store(tmp_path), backend, policy=policy, clock=lambda: clock[0])
    await sync.sync_now()
    clock[0] = issued + timedelta(hours=47)
    assert sync.offline_bundle() is sync.current
    clock[0] = issued + timedelta(hours=49)
    with pytest.raises(OfflineUnavailable) as caught:
        sync.offline_bundle()
    assert caught.value.reason == "stale"
    assert "offline" in caught.value.text.en and "离线" in caught.value.text.zh
    await sync.stop()
