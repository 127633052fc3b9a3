"""COSE_Sign1 (RFC 9052): parse the structure, find alg and kid, verify the signature.

Headers are read from the protected bucket first, then the unprotected one (what DCC verifiers
do: a correct protected kid wins over a wrong unprotected one, and a wrong protected kid fails
even if the unprotected one is right). But ``alg`` is accepted only from the protected bucket
(RFC 9052 §3.1: it must be authenticated), and ``kid`` too unless the reader allows otherwise
(the EU DCC does); either found only outside is the step ``unprotected_header``. Algorithms:
ES256 (-7), EdDSA with Ed25519 (-8), and PS256 (-37, salt length 32, used by the DCC test data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kiosk.core.credentials.errors import CredentialError
from kiosk.core.credentials.layers import loads_strict
from kiosk.core.credentials.trust import IssuerKey, TrustStore

TAG_CWT = 61
TAG_SIGN1 = 18
HEADER_ALG = 1
HEADER_KID = 4

ES256 = -7
EDDSA = -8
PS256 = -37
ALGORITHM_NAMES: dict[int, str] = {ES256: "ES256", EDDSA: "EdDSA", PS256: "PS256"}
MAX_KID_BYTES = 64
# Stateless parameter objects, built once rather than on every verify.
_PSS_SHA256 = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
_SHA256 = hashes.SHA256()


@cache
def _ecdsa_sha256() -> ec.ECDSA:
    """Made at the first ES256 check: making one loads cryptography's OpenSSL backend, a few ms
    of import that a `kiosk check` of an EdDSA-signed code (the usual kind) never needs."""
    return ec.ECDSA(hashes.SHA256())


@dataclass(frozen=True, slots=True)
class CoseSign1:
    protected_bytes: bytes
    protected: Mapping[object, object]
    unprotected: Mapping[object, object]
    payload: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    tags: tuple[int, ...] = ()

    def header(self, label: int) -> tuple[object, str | None]:
        """A header value and the bucket it came from, protected first."""
        if label in self.protected:
            return self.protected[label], "protected"
        if label in self.unprotected:
            return self.unprotected[label], "unprotected"
        return None, None

    @property
    def alg(self) -> int | None:
        value, _ = self.header(HEADER_ALG)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def kid(self) -> bytes | None:
        value, _ = self.header(HEADER_KID)
        return value if isinstance(value, bytes) and 0 < len(value) <= MAX_KID_BYTES else None

    def to_be_signed(self) -> bytes:
        return sig_structure(self.protected_bytes, self.payload)


def sig_structure(protected_bytes: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected_bytes, b"", payload])


def parse_cose_sign1(data: bytes, *, max_depth: int) -> CoseSign1:
    """Accept tag 61 (CWT) around tag 18 (COSE_Sign1), either alone, or no tag at all."""
    item = loads_strict(data, max_depth=max_depth, step="cose")
    tags: list[int] = []
    for expected in (TAG_CWT, TAG_SIGN1):
        if isinstance(item, cbor2.CBORTag) and item.tag == expected:
            tags.append(expected)
            item = item.value
    if isinstance(item, cbor2.CBORTag):
        raise CredentialError("cose", "unexpected CBOR tag around COSE_Sign1")
    # cbor2 6 decodes arrays under a tag as tuples, untagged ones as lists.
    if not isinstance(item, list | tuple) or len(item) != 4:
        raise CredentialError("cose", "COSE_Sign1 must be an array of four items")
    protected_bytes, unprotected, payload, signature = item
    if not isinstance(protected_bytes, bytes):
        raise CredentialError("cose", "protected header must be a byte string")
    if not isinstance(unprotected, Mapping):
        raise CredentialError("cose", "unprotected header must be a map")
    if not isinstance(payload, bytes):
        raise CredentialError("cose", "payload must be an attached byte string")
    if not isinstance(signature, bytes):
        raise CredentialError("cose", "signature must be a byte string")
    protected: Mapping[object, object] = {}
    if protected_bytes:
        decoded = loads_strict(protected_bytes, max_depth=max_depth, step="cose")
        if not isinstance(decoded, Mapping):
            raise CredentialError("cose", "protected header must encode a map")
        protected = decoded
    return CoseSign1(protected_bytes, protected, unprotected, payload, signature, tuple(tags))


def verify_signature(cose: CoseSign1, trust: TrustStore, *, protected_kid: bool = True) -> bytes:
    """Return the kid whose trusted key verified the signature; raise otherwise."""
    if cose.header(HEADER_ALG)[1] == "unprotected":
        raise CredentialError("unprotected_header", "alg is only in the unprotected header (RFC 9052)")
    if protected_kid and cose.header(HEADER_KID)[1] == "unprotected":
        raise CredentialError("unprotected_header", "kid is only in the unprotected header")
    alg = cose.alg
    if alg not in ALGORITHM_NAMES:
        raise CredentialError("cose", "missing or unsupported signature algorithm")
    kid = cose.kid
    if kid is None:
        raise CredentialError("unknown_key", "no usable key id in the COSE headers")
    key = trust.get(kid)
    if key is None:
        raise CredentialError("unknown_key", "key id is not in the trust store")
    if not _verifies(alg, key, cose.signature, cose.to_be_signed()):
        raise CredentialError("bad_signature", f"{ALGORITHM_NAMES[alg]} signature does not verify")
    return kid


def _verifies(alg: int, key: IssuerKey, signature: bytes, message: bytes) -> bool:
    try:
        if alg == ES256:
            if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
                return False
            if len(signature) != 64:
                return False
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), message, _ecdsa_sha256())
        elif alg == EDDSA:
            if not isinstance(key, ed25519.Ed25519PublicKey) or len(signature) != 64:
                return False
            key.verify(signature, message)
        elif alg == PS256:
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            key.verify(signature, message, _PSS_SHA256, _SHA256)
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True
