"""The signed policy bundle: what a kiosk needs to decide offline, and how it knows it is genuine.

File format (one JSON object, UTF-8)::

    {"payload": {"format": "xinyi-policy-bundle/1",
                 "version": 42,                          # integer >= 1, strictly increasing
                 "issued_at": "2026-11-25T08:00:00Z",    # UTC, whole seconds
                 "expires_at": "2026-11-27T08:00:00Z",   # after this the bundle is not used
                 "catalog": {...},                       # Catalog.to_json(): benefits and rules
                 "trust_keys": [{"kid": "<16 hex>", "alg": "Ed25519"|"ES256"|"PS256",
                                 "public_key": "<base64 SubjectPublicKeyInfo DER>"}],
                 "revoked": ["<64 hex>", ...],           # revocation_hash() values, sorted
                 "next_authority_key": {"kid": "<16 hex>", "public_key": "<base64 SPKI DER>"},
                                                         # optional: see "Key rollover"
                 "receipt_keys": [{"kid", "alg", "public_key", "signer": "backend"|"device",
                                   "device": "<device id>" (device keys only)}]},
                                                         # optional: who signs decision receipts
                                                         # (kiosk/core/receipts/trust.py)
     "signature": {"alg": "Ed25519", "kid": "<16 hex>", "value": "<base64 signature>"}}

The signature is Ed25519 by the policy authority over the *canonical bytes* of ``payload``:
``json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` encoded
as UTF-8 (no insignificant whitespace; non-ASCII text as itself, not ``\\u`` escapes). The file
``sign_bundle`` writes is the canonical form of the whole envelope, so the signed bytes are a
slice of the file and the kiosk verifies them without re-serialising (~90 ms saved at 100k
revocations). A file re-spaced by some tool still verifies: the payload is then re-serialised
canonically. Numbers should be integers: a float's spelling is Python's shortest round-trip
form, which other signers may not reproduce.

The version is an integer so "newer" has one meaning: a kiosk accepts only a higher version
than the one it holds (the same version is "unchanged" when the bytes match, refused when they
do not). Key ids follow the trust store's rule: first 8 bytes of SHA-256 of the DER
SubjectPublicKeyInfo (or certificate), written as hex.

Key rollover: a bundle may announce the authority's *next* Ed25519 key. The announcement is
part of the payload, so only a key the kiosk already trusts can make it. A kiosk that accepts
such a bundle remembers the next key and from then on accepts bundles signed by the current
key or the next one; the first bundle signed by the next key makes it the only one
(kiosk/adapters/authority_trust.py keeps that state; kiosk/core/bundle_signing.py only parses
and signs).

Time: a bundle dated up to CLOCK_SKEW (10 min) after the kiosk's clock is accepted (a clock a
little slow); more than that, minutes to days, is refused as ``issued_in_future``: either the
clock or the bundle is wrong, and the kiosk trusts neither to decide. An expired bundle is
refused on download; a held one that expires (or passes the kiosk's max age, see
kiosk.core.offline) stops offline decisions but stays cached, so staff can see how old it is.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from kiosk.core.benefits import Catalog
from kiosk.core.catalog import message
from kiosk.core.credentials.trust import IssuerKey, TrustKeyError, TrustStore, key_id_of_public_key
from kiosk.core.errors import KioskError
from kiosk.core.key_files import declared_kind
from kiosk.core.receipts.trust import ReceiptTrust
from kiosk.core.text import LocalText

BUNDLE_FORMAT = "xinyi-policy-bundle/1"
# 100k revocations make ~6.7 MB; the limits leave room for growth, not for a memory attack.
MAX_BUNDLE_BYTES = 24 * 1024 * 1024
MAX_REVOKED = 300_000
MAX_TRUST_KEYS = 1_000
# A bundle issued a little "in the future" is a kiosk clock a few minutes slow; more than this
# is a wrong clock or a wrong bundle, and the kiosk must not trust either.
CLOCK_SKEW = timedelta(minutes=10)

Reason = Literal[
    "too_large",
    "malformed",
    "unsigned",
    "unknown_authority_key",
    "bad_signature",
    "older_version",
    "conflicting_version",
    "expired",
    "issued_in_future",
]
REASONS: tuple[Reason, ...] = get_args(Reason)


_REFUSED = message("core.bundle.refused")
_TEXTS: dict[Reason, LocalText] = {reason: _REFUSED for reason in REASONS}
_TEXTS["expired"] = message("core.bundle.text")
_TEXTS["issued_in_future"] = message("core.bundle.text_2")


class BundleError(KioskError):
    """A bundle was refused; ``reason`` says why in one word a program can act on."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"policy bundle refused ({reason}): {detail}", _TEXTS[reason])
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class TrustKey:
    """An issuer key the bundle publishes, by key id and algorithm."""

    kid: bytes
    alg: str
    key: IssuerKey = field(repr=False, compare=False)

    def to_json(self) -> dict[str, str]:
        der = self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"kid": self.kid.hex(), "alg": self.alg, "public_key": base64.b64encode(der).decode()}


@dataclass(frozen=True, slots=True)
class PolicyBundle:
    """A bundle whose signature and structure were verified (time checks are separate)."""

    version: int
    issued_at: datetime
    expires_at: datetime
    catalog: Catalog = field(repr=False)
    trust_keys: tuple[TrustKey, ...] = field(repr=False)
    revoked: frozenset[str] = field(repr=False)
    authority_kid: str
    digest: str  # hex SHA-256 of the canonical payload bytes: names this content exactly
    raw: bytes = field(repr=False, compare=False)
    # The authority's announced next key (see "Key rollover"), signed by `authority_kid`.
    next_authority: ed25519.Ed25519PublicKey | None = field(default=None, repr=False, compare=False)
    # Who may sign decision receipts: the service's receipt keys and the devices' keys. Kept
    # apart from trust_keys, so neither kind of key can make the other's documents.
    receipt_trust: ReceiptTrust = field(default_factory=ReceiptTrust, repr=False, compare=False)

    @property
    def next_authority_kid(self) -> str | None:
        return authority_key_id(self.next_authority) if self.next_authority is not None else None

    def trust_store(self) -> TrustStore:
        return TrustStore({k.kid: k.key for k in self.trust_keys})

    def age(self, now: datetime) -> timedelta:
        return now - self.issued_at

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def authority_key_id(key: ed25519.Ed25519PublicKey) -> str:
    return key_id_of_public_key(key).hex()


def algorithm_of(key: IssuerKey) -> str:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(key, rsa.RSAPublicKey):
        return "PS256"
    raise TrustKeyError(f"no bundle algorithm for key type {type(key).__name__}")


def trust_keys_from_store(store: Mapping[bytes, IssuerKey]) -> list[TrustKey]:
    return [TrustKey(kid, algorithm_of(key), key) for kid, key in sorted(store.items())]


def check_acceptable(
    candidate: PolicyBundle, *, current: PolicyBundle | None, now: datetime
) -> bool:
    """Whether ``candidate`` may replace ``current``: True if newer, False if the same content.

    Raises BundleError for an older version, the same version with other content, an expired
    bundle, or one issued more than CLOCK_SKEW after ``now``.
    """
    if candidate.issued_at > now + CLOCK_SKEW:
        ahead = candidate.issued_at - now
        raise BundleError(
            "issued_in_future", f"issued {int(ahead.total_seconds())} s after the kiosk's clock"
        )
    if current is not None:
        if candidate.version < current.version:
            raise BundleError(
                "older_version", f"version {candidate.version} < held version {current.version}"
            )
        if candidate.version == current.version:
            if candidate.digest == current.digest:
                return False
            raise BundleError(
                "conflicting_version", f"version {candidate.version} held with other content"
            )
    if candidate.is_expired(now):
        raise BundleError("expired", f"expired at {iso_utc(candidate.expires_at)}")
    return True


def load_authority_keys(pem_blobs: Iterable[bytes]) -> dict[str, ed25519.Ed25519PublicKey]:
    """Authority public keys from PEM (public key or private key; the public half is kept)."""
    keys: dict[str, ed25519.Ed25519PublicKey] = {}
    for blob in pem_blobs:
        declared = declared_kind(blob)
        if declared not in (None, "authority"):
            raise TrustKeyError(f"the key file is marked as kind {declared!r}; the bundle authority's key is needed")
        key: object
        try:
            if b"PRIVATE KEY" in blob:
                key = serialization.load_pem_private_key(blob, password=None).public_key()
            else:
                key = serialization.load_pem_public_key(blob)
        except (ValueError, TypeError) as error:
            raise TrustKeyError(f"unreadable authority key PEM: {error}") from None
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise TrustKeyError("the bundle authority key must be Ed25519")
        keys[authority_key_id(key)] = key
    return keys
