"""Who may sign receipts: the service's receipt keys and the devices' keys, each with its role.

A receipt signer is kept apart from the credential issuers (kiosk.core.credentials.trust): a
kiosk's device key must never make a credential the kiosk accepts, nor an issuer key a
receipt. The policy bundle carries them as ``receipt_keys``::

    [{"kid": "<16 hex>", "alg": "Ed25519" | "ES256", "public_key": "<base64 SPKI DER>",
      "signer": "backend"},
     {"kid": ..., "alg": ..., "public_key": ..., "signer": "device", "device": "kiosk-0042"}]

A key file given to ``kiosk receipt verify --trust`` says its role in its header lines
(kiosk/core/key_files.py): ``Xinyi-Key-Kind: receipt`` (the service's, made by
``kiosk-backend keys new --kind receipt``) or ``Xinyi-Key-Kind: device`` with
``Xinyi-Device: <device id>`` (made by ``kiosk keys new``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from kiosk.core.credentials.trust import TrustKeyError, TrustStore, key_id_of_public_key
from kiosk.core.key_files import declared_kind, declared_value
from kiosk.core.receipts.claims import Signer

ReceiptPublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
DEVICE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DEVICE_HEADER = "Xinyi-Device"
# The key-file kinds (backend/keys.py KINDS) that sign receipts, and the role each gives.
KIND_ROLES: dict[str, Signer] = {"receipt": "backend", "device": "device"}
_ENTRY_KEYS = {"kid", "alg", "public_key", "signer"}
MAX_RECEIPT_KEYS = 100_000  # one a kiosk, for a province's fleet


@dataclass(frozen=True, slots=True)
class ReceiptSigner:
    """One key that may sign receipts, and in which role (the service or a device)."""

    kid: bytes
    signer: Signer
    key: ReceiptPublicKey = field(repr=False, compare=False)
    device: str | None = None  # a device key signs only its own device's receipts

    def __post_init__(self) -> None:
        if self.signer == "device" and (self.device is None or not DEVICE_ID.fullmatch(self.device)):
            raise TrustKeyError("a device receipt key needs the device id it belongs to")
        if self.signer == "backend" and self.device is not None:
            raise TrustKeyError("the service's receipt key belongs to no device")

    @property
    def alg(self) -> str:
        return "Ed25519" if isinstance(self.key, ed25519.Ed25519PublicKey) else "ES256"

    def to_json(self) -> dict[str, str]:
        der = self.key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        body = {
            "kid": self.kid.hex(),
            "alg": self.alg,
            "public_key": base64.b64encode(der).decode("ascii"),
            "signer": self.signer,
        }
        if self.device is not None:
            body["device"] = self.device
        return body


def signer_for(key: object, signer: Signer, device: str | None = None) -> ReceiptSigner:
    if isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(key.curve, ec.SECP256R1):
        raise TrustKeyError("receipt keys are Ed25519 or P-256")
    if not isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise TrustKeyError("receipt keys are Ed25519 or P-256")
    return ReceiptSigner(key_id_of_public_key(key), signer, key, device)


class ReceiptTrust(Mapping[bytes, ReceiptSigner]):
    """Key id -> receipt signer; immutable. From a bundle, key files, or signers."""

    __slots__ = ("_signers", "store")

    def __init__(self, signers: Iterable[ReceiptSigner] = ()) -> None:
        table: dict[bytes, ReceiptSigner] = {}
        for entry in signers:
            known = table.get(entry.kid)
            if known is not None and known != entry:
                raise TrustKeyError(f"receipt key {entry.kid.hex()} is listed with two roles")
            table[entry.kid] = entry
        self._signers = table
        # What the shared COSE verifier looks keys up in.
        self.store = TrustStore({kid: entry.key for kid, entry in table.items()})

    def __getitem__(self, kid: bytes) -> ReceiptSigner:
        return self._signers[kid]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._signers)

    def __len__(self) -> int:
        return len(self._signers)

    def __repr__(self) -> str:
        return f"ReceiptTrust({', '.join(f'{k.hex()}:{v.signer}' for k, v in self._signers.items())})"

    def merged(self, other: Iterable[ReceiptSigner]) -> ReceiptTrust:
        return ReceiptTrust([*self._signers.values(), *other])

    def to_json(self) -> list[dict[str, str]]:
        return [entry.to_json() for _, entry in sorted(self._signers.items())]

    @classmethod
    def from_json(cls, entries: object) -> ReceiptTrust:
        """The bundle's ``receipt_keys``; TrustKeyError naming what is wrong."""
        if not isinstance(entries, list) or len(entries) > MAX_RECEIPT_KEYS:
            raise TrustKeyError(f"receipt_keys must be a list of at most {MAX_RECEIPT_KEYS}")
        return cls(_entry(item, index) for index, item in enumerate(entries))

    @classmethod
    def from_pem(cls, data: bytes, origin: str = "key file") -> ReceiptTrust:
        """One public (or private) key file with its kind line; a device key names its device."""
        kind = declared_kind(data)
        role = KIND_ROLES.get(kind or "")
        if role is None:
            raise TrustKeyError(
                f"{origin}: a receipt signer's key file says Xinyi-Key-Kind: receipt or device"
                + (f", not {kind!r}" if kind else "")
            )
        try:
            if b"PRIVATE KEY-----" in data:
                key: object = serialization.load_pem_private_key(data, password=None).public_key()
            else:
                key = serialization.load_pem_public_key(data)
        except (TypeError, ValueError):
            raise TrustKeyError(f"{origin}: is not a readable PEM key") from None
        device = declared_value(data, DEVICE_HEADER) if role == "device" else None
        return cls([signer_for(key, role, device)])


def _entry(item: Any, index: int) -> ReceiptSigner:
    where = f"receipt_keys[{index}]"
    if not isinstance(item, dict):
        raise TrustKeyError(f"{where} is not an object")
    signer = item.get("signer")
    wanted = _ENTRY_KEYS | ({"device"} if signer == "device" else set())
    if set(item) != wanted:
        raise TrustKeyError(f"{where} must hold exactly {', '.join(sorted(wanted))}")
    if signer not in ("backend", "device"):
        raise TrustKeyError(f"{where}.signer must be backend or device")
    try:
        der = base64.b64decode(item["public_key"], validate=True)
        key = serialization.load_der_public_key(der)
    except (TypeError, ValueError, binascii.Error):
        raise TrustKeyError(f"{where}.public_key is not base64 of a DER public key") from None
    entry = signer_for(key, signer, item.get("device"))
    if item["kid"] != entry.kid.hex() or item["alg"] != entry.alg:
        raise TrustKeyError(f"{where}: kid or alg does not match the public key")
    return entry
