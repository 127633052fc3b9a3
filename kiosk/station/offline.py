"""Offline decisions wired up: `decide_from_cache` for `kiosk check --offline` (one call: cached
bundle -> verified credential -> offline decision) and `offline_parts` for the running kiosk
(store, background sync, online-then-offline checker, credential settings that follow the
current bundle)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.adapters.authority_trust import AuthorityTrust
from kiosk.adapters.bundle_sync import BundleSync, SyncPolicy
from kiosk.adapters.store import Store
from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.common.trust_files import read_trust_files
from kiosk.core.bundle import PolicyBundle, load_authority_keys
from kiosk.core.bundle_signing import verify_bundle
from kiosk.core.credentials import DEFAULT_PREFIX, CredentialSettings, TrustStore, read_presentation
from kiosk.core.credentials.trust import TrustKeyError
from kiosk.core.decision_records import Decision
from kiosk.core.offline import (
    DEFAULT_MAX_AGE,
    OfflineUnavailable,
    credential_settings,
    decide_offline,
    ensure_usable,
)
from kiosk.core.text import Locale
from kiosk.session.checkers import Checker, FallbackChecker, OfflineChecker

MAX_KEY_FILE_BYTES = 64 * 1024  # a few PEM public keys
MAX_TRUST_FILE_BYTES = 1024 * 1024  # a PEM bundle of a few hundred issuer certificates

if TYPE_CHECKING:
    import httpx  # imported where a client is made (see adapters/backend_client.py)

    from kiosk.session.receipts import DeviceReceipts  # made only with a device key (device_key.py)


def authority_keys(paths: Iterable[Path] = ()) -> dict[str, ed25519.Ed25519PublicKey]:
    """Authority keys from the config's files.

    None configured means no bundle is trusted: a kiosk that silently trusted the public DEMO
    key would accept policy signed by anyone who has read this repository.
    """
    chosen = list(paths)
    if not chosen:
        raise TrustKeyError(
            "no authority_keys configured: name the policy authority's public key in the config "
            "(authority_keys) or with --authority"
        )
    blobs = []
    for path in chosen:
        try:
            blobs.append(read_bounded(path, MAX_KEY_FILE_BYTES))
        except FileReadError as error:
            raise TrustKeyError(f"authority key file {error}") from None
    return load_authority_keys(blobs)


def trust_store(paths: Iterable[Path]) -> TrustStore:
    """Issuer keys from the config's (or --trust) files, each read to MAX_TRUST_FILE_BYTES."""
    return read_trust_files(paths, MAX_TRUST_FILE_BYTES)


def cached_bundle(store: Store, authorities: Mapping[str, ed25519.Ed25519PublicKey]) -> PolicyBundle:
    """The stored bundle, signature verified; OfflineUnavailable if there is none."""
    stored = store.load_bundle()
    if stored is None:
        raise OfflineUnavailable("no_bundle", "no bundle in the data folder; run `kiosk sync`")
    # The configured keys plus what a key rollover taught the kiosk (authority_trust.py).
    return verify_bundle(stored.raw, AuthorityTrust(authorities, store).keys())


def decide_from_cache(
    data_dir: Path,
    benefit_id: str,
    raw_payload: bytes | str,
    locale: Locale,
    now: datetime,
    *,
    authorities: Mapping[str, ed25519.Ed25519PublicKey] | None = None,
    prefix: str = DEFAULT_PREFIX,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> Decision:
    """Decide offline from the bundle cached in ``data_dir``. Raises a KioskError subclass:
    OfflineUnavailable (no/stale/expired bundle, unknown benefit), BundleError (cache does not
    verify), CredentialError (the code is unreadable, forged, expired or revoked)."""
    keys = authorities if authorities is not None else {}
    bundle = ensure_usable(cached_bundle(Store(data_dir), keys), now, max_age)
    presentation = read_presentation(raw_payload, credential_settings(bundle, prefix), now=now)
    return decide_offline(presentation, bundle, benefit_id, locale, now, max_age=max_age)


@dataclass
class OfflineParts:
    """What the composition root (kiosk/services.py) needs for offline-capable checks.

    ``checker`` is a FallbackChecker (online first) or, with ``offline_only``, the
    OfflineChecker; ``credential_settings()`` is what presented codes must be read with: the
    configured trust keys plus the current bundle's, and the bundle's revocations.
    """

    store: Store
    sync: BundleSync
    checker: Checker
    prefix: str
    trust: TrustStore
    _settings: tuple[str, CredentialSettings] | None = None

    def credential_settings(self) -> CredentialSettings:
        bundle = self.sync.current
        key = bundle.digest if bundle is not None else ""
        if self._settings is None or self._settings[0] != key:
            if bundle is None:
                settings = CredentialSettings(prefix=self.prefix, trust=self.trust)
            else:
                settings = CredentialSettings(
                    prefix=self.prefix, trust=self.trust.merged(bundle.trust_store()),
                    revoked=bundle.revoked,
                )
            self._settings = (key, settings)
        return self._settings[1]


def offline_parts(
    *,
    data_dir: Path,
    backend_url: str,
    token: str | None,
    authority_key_files: Sequence[Path],
    online: Checker | None,
    offline_only: bool = False,
    max_age: timedelta = DEFAULT_MAX_AGE,
    prefix: str = DEFAULT_PREFIX,
    trust: TrustStore | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    store: Store | None = None,
    receipts: DeviceReceipts | None = None,
) -> OfflineParts:
    """Store + sync + checker from config values. Call ``parts.sync.start()`` inside the
    running event loop, and ``await parts.sync.stop()`` on the way out."""
    store = store or Store(data_dir)
    sync = BundleSync(
        store, authority_keys(authority_key_files) if authority_key_files else {}, base_url=backend_url, token=token,
        transport=transport, policy=SyncPolicy(max_age=max_age),
    )
    offline = OfflineChecker(sync.held_for_offline, max_age=max_age, receipts=receipts)
    checker: Checker = (
        offline if offline_only or online is None
        else FallbackChecker(online, offline, health=sync.tracker)
    )
    return OfflineParts(store, sync, checker, prefix, trust or TrustStore())
