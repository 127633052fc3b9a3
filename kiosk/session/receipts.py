"""The kiosk signs the receipts of its own offline decisions with its device key.

The device key is made at provisioning (``kiosk keys new``), named by the config
(``device_key``), and its public half is in the service's device registry and from there in
every bundle, so any counter verifies an offline receipt as it does an online one. A receipt
that cannot be signed never costs the person their answer: the decision is shown without one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from kiosk.core.credentials import Presentation
from kiosk.core.credentials.issue import SigningKey
from kiosk.core.decision_records import Decision, Mode
from kiosk.core.receipts.binding import SubjectReferenceError, subject_reference
from kiosk.core.receipts.issue import sign_receipt

log = logging.getLogger("kiosk.session.receipts")


@dataclass(frozen=True, slots=True)
class DeviceReceipts:
    key: SigningKey
    kid: bytes
    device: str

    def attach(self, decision: Decision, presentation: Presentation) -> Decision:
        """`decision` with its receipt (offline decisions only; an online one has the service's)."""
        if decision.mode is not Mode.OFFLINE or decision.receipt is not None:
            return decision
        try:
            receipt = sign_receipt(
                decision,
                reference=subject_reference(presentation.subject),
                device=self.device,
                signing_key=self.key,
                signer="device",
                kid=self.kid,
            )
        except (SubjectReferenceError, ValueError) as error:
            # The words name the problem, never the subject (SubjectReferenceError holds no value).
            log.warning("offline decision shown without a receipt: %s", type(error).__name__)
            return decision
        return replace(decision, receipt=receipt)
