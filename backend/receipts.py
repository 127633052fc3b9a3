"""The service's side of decision receipts: its receipt key, the device registry, and signing.

``receipt_key`` (made with ``kiosk-backend keys new --kind receipt``) signs the receipt of every
online answer; ``device_keys`` lists the kiosks' device public keys (``kiosk keys new`` writes
them, each naming its device). Both public halves go into the bundle's ``receipt_keys``
(kiosk/core/receipts/trust.py), so any kiosk verifies any receipt offline. Without a
``receipt_key`` the answers carry ``"receipt": null`` and nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.keys import KINDS, KeyFileError, PrivateKey, load_private_key, load_public_key, read_key_file
from backend.settings import BackendConfigError, Settings
from kiosk.core.credentials.trust import TrustKeyError, key_id_of_public_key
from kiosk.core.decision import Decision
from kiosk.core.key_files import declared_value
from kiosk.core.receipts import ReceiptSigner, ReceiptTrust, signer_for
from kiosk.core.receipts.issue import RECEIPT_PREFIX, sign_receipt
from kiosk.core.receipts.trust import DEVICE_HEADER

__all__ = ["RECEIPT_PREFIX", "ReceiptIssuer", "load_receipt_issuer", "receipt_signers"]


@dataclass(frozen=True, slots=True)
class ReceiptIssuer:
    """Signs the receipts of one service's online answers."""

    key: PrivateKey
    kid: bytes

    def sign(
        self,
        decision: Decision,
        reference: bytes,
        device: str,
        *,
        decided_at: datetime | None = None,
        valid_for: timedelta | None = None,
        receipt_id: str | None = None,
    ) -> str:
        """The receipt for `decision` about the subject `reference` (binding.subject_reference),
        asked for by `device`. `decided_at`/`valid_for` override the decision's own times (a
        kept answer is re-dated for every request)."""
        return sign_receipt(
            decision,
            reference=reference,
            device=device,
            signing_key=self.key,
            signer="backend",
            kid=self.kid,
            decided_at=decided_at,
            valid_for=valid_for,
            receipt_id=receipt_id,
        )


def load_receipt_issuer(settings: Settings) -> ReceiptIssuer | None:
    """The issuer for ``receipt_key``, None when none is set; BackendConfigError otherwise."""
    if settings.receipt_key is None:
        return None
    try:
        key = load_private_key(settings.receipt_key, KINDS["receipt"], allow_demo=settings.allow_demo_keys)
    except KeyFileError as error:
        raise BackendConfigError(settings.origin, "receipt_key", str(error)) from None
    return ReceiptIssuer(key, key_id_of_public_key(key.public_key()))


def receipt_signers(settings: Settings) -> ReceiptTrust:
    """What the bundle publishes as ``receipt_keys``: the receipt key's public half and every
    device key in the registry; BackendConfigError naming the setting when one cannot be used."""
    signers: list[ReceiptSigner] = []
    if settings.receipt_key is not None:
        try:
            public = load_public_key(settings.receipt_key, KINDS["receipt"], allow_demo=settings.allow_demo_keys)
        except KeyFileError as error:
            raise BackendConfigError(settings.origin, "receipt_key", str(error)) from None
        signers.append(signer_for(public, "backend"))
    seen: dict[str, str] = {}
    for path in settings.device_keys:
        try:
            public = load_public_key(path, KINDS["device"], allow_demo=settings.allow_demo_keys)
            device = declared_value(read_key_file(path), DEVICE_HEADER)
            if device is None:
                raise KeyFileError(f"{path}: names no device (a line {DEVICE_HEADER}: <device id>)")
            if device in seen:
                raise KeyFileError(f"{path}: device {device} already has a key ({seen[device]})")
            seen[device] = path.name
            signers.append(signer_for(public, "device", device))
        except (KeyFileError, TrustKeyError) as error:
            raise BackendConfigError(settings.origin, "device_keys", str(error)) from None
    try:
        return ReceiptTrust(signers)
    except TrustKeyError as error:
        raise BackendConfigError(settings.origin, "device_keys", str(error)) from None
