"""Signing a receipt for a decision: the credential container's layers, with receipt claims.

The layers are the credentials' (COSE_Sign1 with alg and kid protected, zlib, base45; the bytes
are those of kiosk.core.credentials.issue, built through template.py); only the claims and the
prefix are the receipt's. The service signs online decisions with its receipt key, a kiosk its
offline ones with its device key.
"""

from __future__ import annotations

from datetime import datetime

from kiosk.core.credentials.issue import SigningKey
from kiosk.core.credentials.model import SubjectRef
from kiosk.core.decision_records import Decision
from kiosk.core.receipts.binding import subject_reference
from kiosk.core.receipts.claims import Signer
from kiosk.core.receipts.template import SIGNER_MODES, ReceiptTemplate

__all__ = ["SIGNER_MODES", "ReceiptTemplate", "issue_receipt", "sign_receipt"]


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("decision times must carry a zone")
    return moment


def issue_receipt(
    decision: Decision,
    *,
    subject: SubjectRef | str,
    device: str,
    signing_key: SigningKey,
    signer: Signer,
    kid: bytes | None = None,
    salt: bytes | None = None,
) -> str:
    """``XKR:`` + base45(zlib(COSE_Sign1(CWT))) for `decision` about `subject`.

    `subject` is a SubjectRef or ``scheme:value`` text; it is hashed with a fresh salt and
    never stored. `device` is the device the decision was made for (online) or on (offline).
    `signer` says whose key this is: ``"backend"`` for online decisions, ``"device"`` for
    offline ones.
    """
    return sign_receipt(
        decision,
        reference=subject_reference(subject),
        device=device,
        signing_key=signing_key,
        signer=signer,
        kid=kid,
        salt=salt,
    )


def sign_receipt(
    decision: Decision,
    *,
    reference: bytes,
    device: str,
    signing_key: SigningKey,
    signer: Signer,
    kid: bytes | None = None,
    salt: bytes | None = None,
) -> str:
    """issue_receipt with the subject already as binding.subject_reference bytes. A service
    answering one decision many times keeps a ReceiptTemplate instead (template.py)."""
    template = ReceiptTemplate(decision, signing_key=signing_key, signer=signer, kid=kid)
    return template.render(
        receipt_id=decision.decision_id,
        decided_at=_moment(decision.decided_at),
        valid_until=_moment(decision.valid_until),
        device=device,
        reference=reference,
        salt=salt,
    )
