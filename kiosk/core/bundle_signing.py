"""Making a policy bundle and reading one back: the payload the authority signs, the signature
over it, and the strict check of every field a kiosk receives (the format is in kiosk.core.bundle).

Apart from the bundle's model because this is the code that handles the signing key and untrusted
bytes. Building and reading stay together: they share the field checks (revocations, receipt keys
apart from trust keys), so what the authority signs is what a kiosk accepts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.core.benefits import CatalogError, parse_catalog
from kiosk.core.bundle import (
    BUNDLE_FORMAT,
    MAX_BUNDLE_BYTES,
    MAX_REVOKED,
    MAX_TRUST_KEYS,
    BundleError,
    PolicyBundle,
    TrustKey,
    algorithm_of,
    authority_key_id,
    canonical_json,
    iso_utc,
)
from kiosk.core.credentials.trust import TrustKeyError
from kiosk.core.policy_dates import local_day
from kiosk.core.receipts.trust import ReceiptTrust

_PAYLOAD_KEYS = {"format", "version", "issued_at", "expires_at", "catalog", "trust_keys", "revoked"}
_OPTIONAL_PAYLOAD_KEYS = {"next_authority_key", "receipt_keys"}
_NEXT_KEY_KEYS = {"kid", "public_key"}
_SIGNATURE_KEYS = {"alg", "kid", "value"}
_TRUST_KEY_KEYS = {"kid", "alg", "public_key"}
_KID = re.compile(r"[0-9a-f]{2,64}")
_PAYLOAD_MARK = b'{"payload":'
_SIGNATURE_MARK = b',"signature":'
_LOWER_HEX = b"0123456789abcdef"


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
    for site in catalog.sites:
        if not site.benefits:
            raise BundleError("malformed", f"site {site.id!r} offers no benefit in force while the bundle is valid")
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
