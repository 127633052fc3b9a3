"""Issuing signed credentials (demo issuer, tests, the backend): the reader's layers in reverse.

Issued claims go through the same checks the reader applies, so nothing is minted that a kiosk
would refuse. Algorithms: EdDSA for Ed25519 keys, ES256 for P-256 keys.
"""

from __future__ import annotations

import os  # random ids: os.urandom, as secrets does, without importing it on the offline path
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TypeAlias

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from kiosk.core.credentials.claims import (
    CLAIM_VERSION,
    KIND_SCHEMES,
    XINYI_CLAIM,
    subject_for,
    validate_facts,
)
from kiosk.core.credentials.cose import EDDSA, ES256, HEADER_ALG, HEADER_KID, TAG_SIGN1, sig_structure
from kiosk.core.credentials.cwt import CLAIM_CTI, CLAIM_EXP, CLAIM_IAT, CLAIM_ISS, CLAIM_NBF
from kiosk.core.credentials.layers import encode_base45
from kiosk.core.credentials.model import JSON, SubjectKind, SubjectRef
from kiosk.core.credentials.settings import DEFAULT_PREFIX, CredentialLimits
from kiosk.core.credentials.trust import key_id_of_public_key

SigningKey: TypeAlias = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


def new_credential_id() -> str:
    """A fresh credential id: 16 random bytes as lower-case hex (what ``cti`` carries)."""
    return os.urandom(16).hex()


def algorithm_for(key: SigningKey) -> int:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return EDDSA
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
        return ES256
    raise ValueError("signing key must be Ed25519 (EdDSA) or P-256 (ES256)")


def sign_cose(payload: bytes, signing_key: SigningKey, kid: bytes | None = None) -> bytes:
    """COSE_Sign1 (tag 18) over ``payload`` with alg and kid in the protected header."""
    alg = algorithm_for(signing_key)
    kid = kid if kid is not None else key_id_of_public_key(signing_key.public_key())
    protected = cbor2.dumps({HEADER_ALG: alg, HEADER_KID: kid})
    message = sig_structure(protected, payload)
    if isinstance(signing_key, ed25519.Ed25519PrivateKey):
        signature = signing_key.sign(message)
    else:
        r, s = decode_dss_signature(signing_key.sign(message, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return cbor2.dumps(cbor2.CBORTag(TAG_SIGN1, [protected, {}, payload, signature]))


def wrap(cose: bytes, prefix: str = DEFAULT_PREFIX) -> str:
    """``PREFIX:`` + base45(zlib(cose)): the text a QR code carries."""
    return f"{prefix}:" + encode_base45(zlib.compress(cose, 9))


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return int(moment.timestamp())


def issue_credential(
    *,
    issuer: str,
    kind: SubjectKind,
    subject_value: str,
    facts: Mapping[str, JSON],
    signing_key: SigningKey,
    kid: bytes | None = None,
    valid_for: timedelta = timedelta(days=30),
    issued_at: datetime | None = None,
    not_before: datetime | None = None,
    credential_id: str | None = None,
    prefix: str = DEFAULT_PREFIX,
    limits: CredentialLimits | None = None,
) -> str:
    """The payload text of a signed credential about one business or person.

    ``kid`` defaults to the key id of the signing key's public key (trust.key_id_of_public_key);
    ``credential_id`` (hex, becomes ``cti``) defaults to a fresh random one.
    """
    if not issuer:
        raise ValueError("issuer is required")
    if kind not in KIND_SCHEMES:
        raise ValueError("kind must be 'business' or 'person'")
    issued = issued_at or datetime.now(UTC)
    subject: SubjectRef = subject_for(
        kind, {"scheme": KIND_SCHEMES[kind].value, "value": subject_value}, on=issued.date()
    )
    checked_facts = dict(validate_facts(facts, limits or CredentialLimits()))
    cti = bytes.fromhex(credential_id) if credential_id is not None else os.urandom(16)
    claims: dict[int, object] = {
        CLAIM_ISS: issuer,
        CLAIM_IAT: _epoch(issued),
        CLAIM_EXP: _epoch(issued + valid_for),
        CLAIM_CTI: cti,
        XINYI_CLAIM: {
            "v": CLAIM_VERSION,
            "kind": kind,
            "sub": {"scheme": subject.scheme.value, "value": subject.value},
            "facts": checked_facts,
        },
    }
    if not_before is not None:
        claims[CLAIM_NBF] = _epoch(not_before)
    return wrap(sign_cose(cbor2.dumps(claims), signing_key, kid), prefix)
