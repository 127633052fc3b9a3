"""The service's side of decision receipts: its receipt key, the device registry, and signing.

``receipt_key`` (made with ``kiosk-backend keys new --kind receipt``) signs the receipt of every
online answer; ``device_keys`` lists the kiosks' device public keys (``kiosk keys new`` writes
them, each naming its device). Both public halves go into the bundle's ``receipt_keys``
(kiosk/core/receipts/trust.py), so any kiosk verifies any receipt offline. Without a
``receipt_key`` the answers carry ``"receipt": null`` and nothing else changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from backend.keys import KINDS, KeyFileError, PrivateKey, load_private_key, load_public_key, read_key_file
from backend.settings import BackendConfigError, Settings
from kiosk.core.credentials.trust import TrustKeyError, key_id_of_public_key
from kiosk.core.decision_records import Decision
from kiosk.core.key_files import declared_value
from kiosk.core.receipts import RECEIPT_PREFIX, ReceiptSigner, ReceiptTrust, signer_for
from kiosk.core.receipts.template import ReceiptTemplate
from kiosk.core.receipts.trust import DEVICE_HEADER

LOG = logging.getLogger("backend.receipts")

__all__ = ["RECEIPT_PREFIX", "ReceiptIssuer", "load_receipt_issuer", "receipt_signers"]


@dataclass(frozen=True, slots=True)
class ReceiptIssuer:
    """Signs the receipts of one service's online answers.

    A receipt that cannot be made (an as-of date in a record that is not YYYY-MM-DD) is None:
    the answer then goes out with ``"receipt": null`` rather than not at all.
    """

    key: PrivateKey
    kid: bytes

    def template(self, decision: Decision) -> ReceiptTemplate | None:
        """What every receipt of `decision` shares, encoded once (a kept answer keeps it)."""
        try:
            return ReceiptTemplate(decision, signing_key=self.key, signer="backend", kid=self.kid)
        except ValueError as error:
            LOG.error("answers sent without a receipt: %s", error)
            return None

    def render(
        self,
        template: ReceiptTemplate,
        *,
        receipt_id: str,
        decided_at: datetime,
        valid_until: datetime,
        device: str,
        reference: bytes,
    ) -> str | None:
        """One answer's receipt: its id and times, the asking device, the subject `reference`
        (binding.subject_reference) hashed with a fresh salt."""
        try:
            return template.render(
                receipt_id=receipt_id,
                decided_at=decided_at,
                valid_until=valid_until,
                device=device,
                reference=reference,
            )
        except ValueError as error:
            LOG.error("answer sent without a receipt: %s", error)
            return None

    def sign(self, decision: Decision, reference: bytes, device: str) -> str | None:
        """The receipt of a decision answered once."""
        template = self.template(decision)
        if template is None:
            return None
        return self.render(
            template,
            receipt_id=decision.decision_id,
            decided_at=datetime.fromisoformat(decision.decided_at),
            valid_until=datetime.fromisoformat(decision.valid_until),
            device=device,
            reference=reference,
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
    for path in settings.receipt_retired_keys:
        # A retired key signs nothing more; its receipts verify until they expire.
        try:
            signers.append(signer_for(load_public_key(path, KINDS["receipt"], allow_demo=settings.allow_demo_keys),
                                      "backend"))
        except (KeyFileError, TrustKeyError) as error:
            raise BackendConfigError(settings.origin, "receipt_retired_keys", str(error)) from None
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
