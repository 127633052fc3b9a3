"""Receipts on decisions whose maker signed none, with a key made for the test run.

Wraps the real online checker (the decision is the backend's); only the signing key is the
test's, so the printing, QR and staff-check tests run whether or not the service signs yet.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.core.receipts import ReceiptTrust, issue_receipt, signer_for

TEST_RECEIPT_KEY = ed25519.Ed25519PrivateKey.generate()


def signing_trust() -> ReceiptTrust:
    return ReceiptTrust([signer_for(TEST_RECEIPT_KEY.public_key(), "backend")])


class SignsReceipts:
    def __init__(self, online: Any) -> None:
        self.online = online
        self.last_subject: Any = None  # the test's own note of whom it signed for

    async def check(self, benefit_id: str, presentation: Any, locale: Any) -> Any:
        decision = await self.online.check(benefit_id, presentation, locale)
        self.last_subject = presentation.subject
        if decision.receipt is not None or decision.mode.value != "online":
            return decision
        receipt = issue_receipt(
            decision, subject=presentation.subject, device="kiosk-demo", signing_key=TEST_RECEIPT_KEY, signer="backend"
        )
        return dataclasses.replace(decision, receipt=receipt)
