"""A bundle verified but not saved is a failure wherever it is reported (issue #18 item 6), and
the next attempt fetches and saves it again instead of trusting an ETag for what is not on disk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from kiosk.adapters.bundle_sync import BundleSync
from kiosk.adapters.store import Store
from kiosk.core.bundle_signing import verify_bundle
from kiosk.station.assembly import build_station
from kiosk.station.config import KioskConfig
from tests.support.bundle import AUTHORITY_PUBLIC_PEM, LoopbackBackend, authorities, signed


@pytest.fixture
async def backend() -> AsyncIterator[LoopbackBackend]:
    server = await LoopbackBackend().start()
    yield server
    await server.close()


def squat(data: Path, body: bytes) -> Path:
    """A folder where the bundle's file must go: the write fails as on a full or broken disk."""
    blocker = data / f"bundle-{verify_bundle(body, authorities()).digest}.signed"
    blocker.mkdir(parents=True)
    return blocker


async def test_an_unsaved_bundle_is_reported_and_saved_on_the_next_attempt(
    tmp_path: Path, backend: LoopbackBackend
) -> None:
    body = signed(version=3)
    backend.publish(body)
    blocker = squat(tmp_path, body)
    sync = BundleSync(Store(tmp_path), authorities(), base_url=backend.url, timeout=httpx.Timeout(1.0))
    first = await sync.sync_now()
    assert first.outcome == "not_saved" and not first.ok and first.reachable
    assert "not saved" in first.detail and "write failed" in first.detail
    assert sync.current is not None and sync.current.version == 3  # usable until a restart
    assert Store(tmp_path).load_bundle() is None
    assert Store(tmp_path).get_state("last_sync_outcome") == "not_saved"

    blocker.rmdir()
    second = await sync.sync_now()
    assert "if-none-match" not in backend.requests[-1][1]  # the ETag is for bytes not on disk
    assert second.outcome == "updated" and second.ok
    stored = Store(tmp_path).load_bundle()
    assert stored is not None and stored.version == 3
    assert (await sync.sync_now()).outcome == "unchanged"
    assert backend.requests[-1][1]["if-none-match"] == backend.etag
    await sync.stop()


async def test_the_staff_sync_button_is_told_it_failed(tmp_path: Path, backend: LoopbackBackend) -> None:
    body = signed(version=2)
    backend.publish(body)
    squat(tmp_path, body)
    config = KioskConfig(backend_url=backend.url, data_dir=tmp_path, authority_keys=(AUTHORITY_PUBLIC_PEM,))
    station = build_station(config, devices=[])
    try:
        assert station.runtime.can_sync
        assert await station.runtime.sync_now() is False
        assert station.sync.last_result is not None and station.sync.last_result.outcome == "not_saved"
    finally:
        await station.aclose()
