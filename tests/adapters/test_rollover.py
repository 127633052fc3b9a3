"""Authority key rollover without re-flashing: a bundle announces the next key, signed by the
current one; the kiosk then takes either until the next key signs, and after that only it.
Over real HTTP on loopback, with the real store on disk."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.adapters.authority_trust import AuthorityTrust
from kiosk.adapters.bundle_sync import BundleSync
from kiosk.adapters.store import STATE_FILE, Store
from kiosk.core.bundle import authority_key_id
from kiosk.core.bundle_signing import verify_bundle
from kiosk.station.offline import cached_bundle
from tests.support.bundle import LoopbackBackend, authorities, authority_private, signed

QUICK = httpx.Timeout(2.0)


@pytest.fixture
async def backend() -> AsyncIterator[LoopbackBackend]:
    server = await LoopbackBackend().start()
    yield server
    await server.close()


def kid(key: ed25519.Ed25519PrivateKey) -> str:
    return authority_key_id(key.public_key())


async def sync_once(store: Store, server: LoopbackBackend, body: bytes) -> Any:
    """One sync by a freshly started kiosk (as after a reboot) against `body`."""
    server.publish(body)
    sync = BundleSync(store, authorities(), base_url=server.url, timeout=QUICK, rng=random.Random(1))
    try:
        return await sync.sync_now(), sync.current
    finally:
        await sync.stop()


async def test_the_whole_rollover(tmp_path: Path, backend: LoopbackBackend) -> None:
    old, new = authority_private(), ed25519.Ed25519PrivateKey.generate()
    store = Store(tmp_path)
    result, held = await sync_once(store, backend, signed(old, version=1))
    assert result.outcome == "updated"
    assert set(AuthorityTrust(authorities(), store).keys()) == {kid(old)}

    announcing = signed(old, version=2, next_authority=new.public_key())
    result, held = await sync_once(store, backend, announcing)
    assert result.outcome == "updated" and held.next_authority_kid == kid(new)
    assert set(AuthorityTrust(authorities(), store).keys()) == {kid(old), kid(new)}
    # Until the new key signs, the old one still may.
    result, _ = await sync_once(store, backend, signed(old, version=3, next_authority=new.public_key()))
    assert result.outcome == "updated"

    result, held = await sync_once(store, backend, signed(new, version=4))
    assert result.outcome == "updated" and held.authority_kid == kid(new)
    trust = AuthorityTrust(authorities(), store)
    assert trust.rolled_over and set(trust.keys()) == {kid(new)}
    # The kiosk's config still names only the old key, yet after a restart the held bundle
    # (signed by the new key) verifies, for sync and for `kiosk check --offline` alike.
    assert cached_bundle(Store(tmp_path), authorities()).version == 4
    # From now on the old key signs nothing, even a newer version.
    result, held = await sync_once(store, backend, signed(old, version=5))
    assert result.outcome == "refused" and result.refusal.reason == "unknown_authority_key"
    assert held.version == 4
    # Only public keys and fixed keys are in the state file.
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert {row["key"] for row in state["device"].values()} >= {"authority_current_key", "authority_next_key"}


async def test_an_announcement_signed_by_an_untrusted_key_is_refused(tmp_path: Path, backend: LoopbackBackend) -> None:
    old, stranger, their_next = (authority_private(), ed25519.Ed25519PrivateKey.generate(),
                                 ed25519.Ed25519PrivateKey.generate())
    store = Store(tmp_path)
    await sync_once(store, backend, signed(old, version=1))
    result, held = await sync_once(store, backend, signed(stranger, version=2, next_authority=their_next.public_key()))
    assert result.outcome == "refused" and result.refusal.reason == "unknown_authority_key"
    assert held.version == 1 and held.authority_kid == kid(old)
    assert store.get_state("authority_next_key") is None
    assert set(AuthorityTrust(authorities(), store).keys()) == {kid(old)}
    # And what the stranger named is not trusted either.
    result, held = await sync_once(store, backend, signed(their_next, version=3))
    assert result.outcome == "refused" and held.version == 1


async def test_a_replayed_old_bundle_after_the_rollover_is_refused(tmp_path: Path, backend: LoopbackBackend) -> None:
    old, new = authority_private(), ed25519.Ed25519PrivateKey.generate()
    store = Store(tmp_path)
    before = signed(old, version=2, next_authority=new.public_key())
    await sync_once(store, backend, before)
    after = signed(new, version=3)
    await sync_once(store, backend, after)
    await sync_once(store, backend, signed(new, version=4))
    # An old bundle by the retired key: its key is no longer trusted.
    result, held = await sync_once(store, backend, before)
    assert result.outcome == "refused" and result.refusal.reason == "unknown_authority_key"
    # An old bundle by the new key: older than the one held.
    result, held = await sync_once(store, backend, after)
    assert result.outcome == "refused" and result.refusal.reason == "older_version"
    assert held.version == 4 and held.authority_kid == kid(new)


async def test_a_bundle_that_stops_announcing_withdraws_the_next_key(tmp_path: Path, backend: LoopbackBackend) -> None:
    old, new = authority_private(), ed25519.Ed25519PrivateKey.generate()
    store = Store(tmp_path)
    await sync_once(store, backend, signed(old, version=1, next_authority=new.public_key()))
    await sync_once(store, backend, signed(old, version=2))
    result, held = await sync_once(store, backend, signed(new, version=3))
    assert result.outcome == "refused" and held.version == 2


def test_the_store_keeps_only_authority_keys_in_the_rollover_slots(tmp_path: Path) -> None:
    from kiosk.adapters.store import StoreRefused

    store = Store(tmp_path)
    for value in ("110101199003071234", "not base64!", "A" * 200, 42):
        with pytest.raises(StoreRefused):
            store.set_state("authority_next_key", value)


def test_a_malformed_announcement_is_refused_before_anything_is_learned() -> None:
    old = authority_private()
    body = signed(old, version=2, next_authority=ed25519.Ed25519PrivateKey.generate().public_key())
    document = json.loads(body)
    document["payload"]["next_authority_key"]["kid"] = "00" * 8
    from kiosk.core.bundle import BundleError, canonical_json
    from kiosk.core.bundle_signing import sign_bundle

    tampered = sign_bundle(document["payload"], old)
    with pytest.raises(BundleError) as caught:
        verify_bundle(tampered, authorities())
    assert caught.value.reason == "malformed"
    assert canonical_json(document["payload"])  # the payload itself stays valid JSON
