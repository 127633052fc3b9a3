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
(kiosk/adapters/authority_trust.py keeps that state; this module only parses and signs).

Time: a bundle dated up to CLOCK_SKEW (10 min) after the kiosk's clock is accepted (a clock a
little slow); more than that, minutes to days, is refused as ``issued_in_future``: either the
clock or the bundle is wrong, and the kiosk trusts neither to decide. An expired bundle is
refused on download; a held one that expires (or passes the kiosk's max age, see
kiosk.core.offline) stops offline decisions but stays cached, so staff can see how old it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from kiosk.core.benefits import Catalog, CatalogError, parse_catalog
from kiosk.core.catalog import message
from kiosk.core.credentials.trust import IssuerKey, TrustKeyError, TrustStore, key_id_of_public_key
from kiosk.core.errors import KioskError
from kiosk.core.key_files import declared_kind
from kiosk.core.policy_dates import local_day
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

_PAYLOAD_KEYS = {"format", "version", "issued_at", "expires_at", "catalog", "trust_keys", "revoked"}
_OPTIONAL_PAYLOAD_KEYS = {"next_authority_key", "receipt_keys"}
_NEXT_KEY_KEYS = {"kid", "public_key"}
_SIGNATURE_KEYS = {"alg", "kid", "value"}
_TRUST_KEY_KEYS = {"kid", "alg", "public_key"}
_KID = re.compile(r"[0-9a-f]{2,64}")
_PAYLOAD_MARK = b'{"payload":'
_SIGNATURE_MARK = b',"signature":'
_LOWER_HEX = b"0123456789abcdef"


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


def build_payload(
    catalog_document: Mapping[str, Any],
    *,
    version: int,
    issued_at: datetime,
    valid_for: timedelta,
    trust_keys: Iterable[TrustKey],
    revoked: Iterable[str],
    next_authority: ed25519.Ed25519PublicKey | None = None,
    receipt_keys: ReceiptTrust | None = None,
) -> dict[str, Any]:
    """The payload to sign; the catalog is validated and normalised first."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BundleError("malformed", "version must be an integer >= 1")
    catalog = parse_catalog(catalog_document, origin="bundle catalog")
    # Carry every version in force on some day until the bundle expires, and no other: an
    # offline kiosk then switches versions on their date without a new bundle.
    catalog = catalog.within(
        local_day(issued_at, catalog.time_zone), local_day(issued_at + valid_for, catalog.time_zone)
    )
    if not catalog.benefits:
        raise BundleError("malformed", "no benefit is in force while the bundle is valid")
    hashes = sorted({h.lower() for h in revoked})
    _check_revoked(hashes)
    trust_list = list(trust_keys)
    payload: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "version": version,
        "issued_at": iso_utc(issued_at),
        "expires_at": iso_utc(issued_at + valid_for),
        "catalog": catalog.to_json(),
        "trust_keys": [k.to_json() for k in trust_list],
        "revoked": hashes,
    }
    if receipt_keys:
        # Left out when empty, so a service without receipt keys signs what it signed before.
        _check_apart(receipt_keys, trust_list)
        payload["receipt_keys"] = receipt_keys.to_json()
    if next_authority is not None:
        payload["next_authority_key"] = {
            "kid": authority_key_id(next_authority),
            "public_key": authority_public_key_text(next_authority),
        }
    return payload


def authority_public_key_text(key: ed25519.Ed25519PublicKey) -> str:
    """base64 of the DER SubjectPublicKeyInfo: how a bundle (and the kiosk's store) writes it."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def authority_public_key_from_text(value: object) -> ed25519.Ed25519PublicKey:
    """The inverse of :func:`authority_public_key_text`; BundleError ("malformed") if not one."""
    der = _b64(value, "next_authority_key.public_key")
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        raise BundleError("malformed", "next_authority_key is not a readable public key") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise BundleError("malformed", "next_authority_key must be an Ed25519 key")
    return key


def sign_bundle(payload: Mapping[str, Any], authority: ed25519.Ed25519PrivateKey) -> bytes:
    signature = authority.sign(canonical_json(payload))
    envelope = {
        "payload": payload,
        "signature": {
            "alg": "Ed25519",
            "kid": authority_key_id(authority.public_key()),
            "value": base64.b64encode(signature).decode(),
        },
    }
    return canonical_json(envelope)


def verify_bundle(
    raw: bytes, authorities: Mapping[str, ed25519.Ed25519PublicKey]
) -> PolicyBundle:
    """Parse strictly and check the authority's signature; raise BundleError naming why not.

    ``authorities`` maps authority key id (hex, see :func:`authority_key_id`) to public key.
    Expiry and version order are judged by :func:`check_acceptable`, because a kiosk keeps
    verifying its stored bundle after it has expired (to say how old it is).
    """
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError("too_large", f"{len(raw)} bytes, the limit is {MAX_BUNDLE_BYTES}")
    try:
        return _verify(raw, authorities)
    except BundleError:
        raise
    except Exception as error:  # the bytes are untrusted: whatever breaks is a refusal
        raise BundleError("malformed", f"unreadable ({type(error).__name__})") from None


def _verify(raw: bytes, authorities: Mapping[str, ed25519.Ed25519PublicKey]) -> PolicyBundle:
    payload, signed_bytes, signature = _split(raw)
    kid, value = _signature_fields(signature)
    authority = authorities.get(kid)
    if authority is None:
        raise BundleError("unknown_authority_key", f"signed with key {kid}, which is not a configured authority key")
    try:
        authority.verify(value, signed_bytes)
    except InvalidSignature:
        # The slice may be the payload re-spaced by some tool; the canonical form decides.
        canonical = canonical_json(payload)
        if canonical == signed_bytes or not _verifies(authority, value, canonical):
            raise BundleError("bad_signature", f"signature by {kid} does not match") from None
        signed_bytes = canonical
    return _parse_payload(payload, raw, kid, hashlib.sha256(signed_bytes).hexdigest())


def _verifies(key: ed25519.Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _split(raw: bytes) -> tuple[dict[str, Any], bytes, object]:
    """(payload, its canonical bytes, signature object) from the file's bytes.

    A file as sign_bundle writes it is the canonical envelope, so the payload's canonical
    bytes are a slice of the file and need no re-serialising (that costs ~90 ms at 100k
    revocations). Any other layout (pretty-printed, keys reordered) is parsed whole and the
    payload re-serialised canonically.
    """
    cut = raw.rfind(_SIGNATURE_MARK)
    if raw.startswith(_PAYLOAD_MARK) and cut > 0 and raw.endswith(b"}"):
        signed_bytes = raw[len(_PAYLOAD_MARK):cut]
        payload = _loads(signed_bytes)
        signature = _loads(raw[cut + len(_SIGNATURE_MARK):-1])
        if isinstance(payload, dict):
            return payload, signed_bytes, signature
    envelope = _loads(raw)
    if not isinstance(envelope, dict) or "payload" not in envelope:
        raise BundleError("malformed", "not an object with a payload")
    if "signature" not in envelope:
        raise BundleError("unsigned", "the bundle carries no signature")
    if set(envelope) != {"payload", "signature"}:
        raise BundleError("malformed", f"unexpected top-level fields {sorted(set(envelope))}")
    payload = envelope["payload"]
    if not isinstance(payload, dict):
        raise BundleError("malformed", "payload is not an object")
    return payload, canonical_json(payload), envelope["signature"]


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        # ValueError: not UTF-8, not JSON, or an integer longer than Python converts (4300 digits).
        raise BundleError("malformed", "not UTF-8 JSON") from None


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


def _signature_fields(signature: object) -> tuple[str, bytes]:
    if not isinstance(signature, dict) or not signature:
        raise BundleError("unsigned", "the signature field is empty")
    if set(signature) != _SIGNATURE_KEYS:
        raise BundleError("malformed", "signature must have exactly alg, kid and value")
    if signature["alg"] != "Ed25519":
        raise BundleError("malformed", "signature algorithm must be Ed25519")
    kid = signature["kid"]
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise BundleError("malformed", "signature kid must be lower-case hex")
    value = _b64(signature["value"], "signature value")
    if len(value) != 64:
        raise BundleError("bad_signature", "an Ed25519 signature is 64 bytes")
    return kid, value


def _parse_payload(payload: dict[str, Any], raw: bytes, kid: str, digest: str) -> PolicyBundle:
    if not _PAYLOAD_KEYS <= set(payload) <= _PAYLOAD_KEYS | _OPTIONAL_PAYLOAD_KEYS:
        raise BundleError(
            "malformed",
            f"payload fields differ: missing {sorted(_PAYLOAD_KEYS - set(payload))}, "
            f"unexpected {sorted(set(payload) - _PAYLOAD_KEYS - _OPTIONAL_PAYLOAD_KEYS)}",
        )
    if payload["format"] != BUNDLE_FORMAT:
        raise BundleError("malformed", f"format is not {BUNDLE_FORMAT}")
    version = payload["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BundleError("malformed", "version must be an integer >= 1")
    issued_at = _timestamp(payload["issued_at"], "issued_at")
    expires_at = _timestamp(payload["expires_at"], "expires_at")
    if expires_at <= issued_at:
        raise BundleError("malformed", "expires_at is not after issued_at")
    try:
        catalog = parse_catalog(payload["catalog"], origin="bundle catalog")
    except CatalogError as error:
        raise BundleError("malformed", f"catalog: {error.detail}") from None
    revoked = _check_revoked(payload["revoked"])
    next_authority = _next_authority(payload.get("next_authority_key"), kid)
    trust_keys = _trust_keys(payload["trust_keys"])
    receipt_trust = ReceiptTrust()
    if "receipt_keys" in payload:
        try:
            receipt_trust = ReceiptTrust.from_json(payload["receipt_keys"])
        except TrustKeyError as error:
            raise BundleError("malformed", error.detail) from None
        _check_apart(receipt_trust, trust_keys)
    return PolicyBundle(
        version=version,
        issued_at=issued_at,
        expires_at=expires_at,
        catalog=catalog,
        trust_keys=trust_keys,
        revoked=revoked,
        authority_kid=kid,
        digest=digest,
        raw=raw,
        next_authority=next_authority,
        receipt_trust=receipt_trust,
    )


def _check_apart(receipt_trust: ReceiptTrust, trust_keys: Iterable[TrustKey]) -> None:
    """A key that signs receipts must not also sign credentials (nor the reverse)."""
    shared = set(receipt_trust) & {k.kid for k in trust_keys}
    if shared:
        raise BundleError(
            "malformed", f"key {sorted(shared)[0].hex()} is both a credential issuer and a receipt signer"
        )


def _next_authority(raw: object, signer: str) -> ed25519.Ed25519PublicKey | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != _NEXT_KEY_KEYS:
        raise BundleError("malformed", "next_authority_key must have exactly kid and public_key")
    key = authority_public_key_from_text(raw["public_key"])
    if raw["kid"] != authority_key_id(key):
        raise BundleError("malformed", "next_authority_key.kid does not match its key")
    if raw["kid"] == signer:
        raise BundleError("malformed", "next_authority_key is the signing key itself")
    return key


def _check_revoked(revoked: object) -> frozenset[str]:
    """The revocation hashes as a set, after checking each is 64 lower-case hex, none twice."""
    if not isinstance(revoked, list) or len(revoked) > MAX_REVOKED:
        raise BundleError("malformed", f"revoked must be a list of at most {MAX_REVOKED} hashes")
    # Whole-list operations that run in C: a regex per entry costs ~100 ms at 100k entries.
    try:
        joined = "".join(revoked)
    except TypeError:
        raise BundleError("malformed", "revoked entries must be strings") from None
    if revoked and set(map(len, revoked)) != {64}:
        raise BundleError("malformed", "revoked entries must be 64 hex characters")
    if not joined.isascii() or joined.encode("ascii").translate(None, _LOWER_HEX):
        raise BundleError("malformed", "revoked entries must be lower-case hex")
    hashes = frozenset(revoked)
    if len(hashes) != len(revoked):
        raise BundleError("malformed", "revoked entries repeat")
    return hashes


def _trust_keys(raw: object) -> tuple[TrustKey, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_TRUST_KEYS:
        raise BundleError("malformed", f"trust_keys must be a list of at most {MAX_TRUST_KEYS}")
    keys: list[TrustKey] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != _TRUST_KEY_KEYS:
            raise BundleError("malformed", f"trust_keys[{index}] must have kid, alg, public_key")
        kid = item["kid"]
        if not isinstance(kid, str) or not _KID.fullmatch(kid) or len(kid) % 2:
            raise BundleError("malformed", f"trust_keys[{index}].kid must be lower-case hex")
        der = _b64(item["public_key"], f"trust_keys[{index}].public_key")
        try:
            key = serialization.load_der_public_key(der)
            alg = algorithm_of(key)  # type: ignore[arg-type]
        except (ValueError, TypeError, TrustKeyError):
            raise BundleError("malformed", f"trust_keys[{index}] is not a usable key") from None
        if alg != item["alg"]:
            raise BundleError("malformed", f"trust_keys[{index}].alg does not match its key")
        if any(k.kid == bytes.fromhex(kid) for k in keys):
            raise BundleError("malformed", f"trust_keys[{index}].kid repeats")
        keys.append(TrustKey(bytes.fromhex(kid), alg, key))  # type: ignore[arg-type]
    return tuple(keys)


def _timestamp(value: object, name: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise BundleError("malformed", f"{name} must be an ISO 8601 UTC timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BundleError("malformed", f"{name} must be an ISO 8601 UTC timestamp") from None
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise BundleError("malformed", f"{name} must be in UTC")
    return moment


def _b64(value: object, name: str) -> bytes:
    if not isinstance(value, str) or len(value) > 4096:
        raise BundleError("malformed", f"{name} must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BundleError("malformed", f"{name} is not valid base64") from None
