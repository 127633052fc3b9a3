"""Trust keys: key id -> issuer public key, as the signed-credential verifier looks them up.

Key id (the COSE ``kid``) = first 8 bytes of SHA-256 of the DER X.509 certificate, or of the
DER SubjectPublicKeyInfo for a bare public key (the EU DCC rule, extended to bare keys).
Certificate validity periods and extensions are deliberately not read: DCC verifiers trust the
key list they were given, and some public DSCs carry extensions that strict parsers refuse.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from kiosk.core.catalog import message
from kiosk.core.errors import KioskError

IssuerKey: TypeAlias = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey

KID_LENGTH = 8
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)

_TRUST_TEXT = message("core.credentials.trust.trust")


class TrustKeyError(KioskError):
    """A trust key file or entry could not be used (configuration, not the applicant's fault)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, _TRUST_TEXT)


def _spki_der(key: IssuerKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id_of_certificate(certificate: x509.Certificate) -> bytes:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()[:KID_LENGTH]


def key_id_of_public_key(key: IssuerKey) -> bytes:
    return hashlib.sha256(_spki_der(key)).digest()[:KID_LENGTH]


def _issuer_key(key: object) -> IssuerKey:
    if isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        return key
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise TrustKeyError("RSA trust keys must have at least 2048 bits")
        return key
    raise TrustKeyError(f"unsupported trust key type {type(key).__name__}")


class TrustStore(Mapping[bytes, IssuerKey]):
    """Immutable mapping of key id (8 bytes) to public key. Build it with the ``from_*`` methods."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Mapping[bytes, IssuerKey] | None = None) -> None:
        checked: dict[bytes, IssuerKey] = {}
        for kid, key in (keys or {}).items():
            if not isinstance(kid, bytes) or not kid:
                raise TrustKeyError("key ids must be non-empty bytes")
            checked[kid] = _issuer_key(key)
        self._keys: Mapping[bytes, IssuerKey] = MappingProxyType(checked)

    def __getitem__(self, kid: bytes) -> IssuerKey:
        return self._keys[kid]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"TrustStore({', '.join(kid.hex() for kid in self._keys)})"

    def merged(self, other: Mapping[bytes, IssuerKey]) -> TrustStore:
        return TrustStore({**self._keys, **other})

    @classmethod
    def from_certificates(cls, certificates: Iterable[x509.Certificate]) -> TrustStore:
        return cls({key_id_of_certificate(c): _issuer_key(c.public_key()) for c in certificates})

    @classmethod
    def from_public_keys(cls, keys: Iterable[object]) -> TrustStore:
        checked = [_issuer_key(k) for k in keys]
        return cls({key_id_of_public_key(k): k for k in checked})

    @classmethod
    def from_bytes(cls, data: bytes) -> TrustStore:
        """PEM (any number of CERTIFICATE / PUBLIC KEY blocks) or one DER certificate or key."""
        if b"-----BEGIN" in data:
            return cls._from_pem(data)
        return cls._from_der(data)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> TrustStore:
        store = cls()
        for path in paths:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise TrustKeyError(f"cannot read trust file: {exc.strerror}") from None
            store = store.merged(cls.from_bytes(data))
        return store

    @classmethod
    def _from_pem(cls, data: bytes) -> TrustStore:
        keys: dict[bytes, IssuerKey] = {}
        blocks = list(_PEM_BLOCK.finditer(data))
        if not blocks:
            raise TrustKeyError("no complete PEM block found")
        for block in blocks:
            label, pem = block.group(1), block.group(0)
            try:
                if label == b"CERTIFICATE":
                    cert = x509.load_pem_x509_certificate(pem)
                    keys[key_id_of_certificate(cert)] = _issuer_key(cert.public_key())
                elif label == b"PUBLIC KEY":
                    key = _issuer_key(serialization.load_pem_public_key(pem))
                    keys[key_id_of_public_key(key)] = key
                else:
                    raise TrustKeyError(f"PEM block {label.decode('ascii')!r} is not a certificate or public key")
            except ValueError as exc:
                raise TrustKeyError(f"unreadable PEM {label.decode('ascii')}: {exc}") from None
        return cls(keys)

    @classmethod
    def _from_der(cls, data: bytes) -> TrustStore:
        try:
            cert = x509.load_der_x509_certificate(data)
        except ValueError:
            pass
        else:
            return cls.from_certificates([cert])
        try:
            key = serialization.load_der_public_key(data)
        except ValueError:
            raise TrustKeyError("not a DER certificate or public key") from None
        return cls.from_public_keys([key])
