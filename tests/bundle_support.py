"""Helpers for the bundle, store, sync and offline tests: DEMO keys, signed bundles, credentials."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from backend.issuer import demo_trust_store, load_demo_issuer
from kiosk.core.bundle import (
    PolicyBundle,
    build_payload,
    load_authority_keys,
    sign_bundle,
    trust_keys_from_store,
    verify_bundle,
)
from kiosk.policy_source import DEFAULT_POLICY_DIR, read_policy_document

REPO = Path(__file__).resolve().parent.parent
DEMO_KEYS = REPO / "config" / "demo-keys"
AUTHORITY_PRIVATE_PEM = DEMO_KEYS / "authority-ed25519-DEMO-private.pem"
AUTHORITY_PUBLIC_PEM = DEMO_KEYS / "authority-ed25519-DEMO-public.pem"


def authority_private() -> ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key(AUTHORITY_PRIVATE_PEM.read_bytes(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key


def authorities() -> dict[str, ed25519.Ed25519PublicKey]:
    return load_authority_keys([AUTHORITY_PUBLIC_PEM.read_bytes()])


def catalog_document() -> dict[str, Any]:
    document, _ = read_policy_document(DEFAULT_POLICY_DIR)
    return document


def fake_revocations(count: int, seed: int = 0) -> list[str]:
    return [hashlib.sha256(f"{seed}-{i}".encode()).hexdigest() for i in range(count)]


def payload(
    *,
    version: int = 1,
    issued_at: datetime | None = None,
    valid_for: timedelta = timedelta(days=2),
    revoked: Iterable[str] = (),
    trust: Mapping[bytes, Any] | None = None,
) -> dict[str, Any]:
    return build_payload(
        catalog_document(),
        version=version,
        issued_at=issued_at or datetime.now(UTC),
        valid_for=valid_for,
        trust_keys=trust_keys_from_store(demo_trust_store() if trust is None else trust),
        revoked=revoked,
    )


def signed(key: ed25519.Ed25519PrivateKey | None = None, **kwargs: Any) -> bytes:
    return sign_bundle(payload(**kwargs), key or authority_private())


def verified(**kwargs: Any) -> PolicyBundle:
    return verify_bundle(signed(**kwargs), authorities())


def demo_issuer() -> Any:
    return load_demo_issuer("EdDSA")
