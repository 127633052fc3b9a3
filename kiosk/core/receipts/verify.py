"""Checking a receipt: the credential container's decoder, then the receipt's own rules.

The layers (size, prefix, base45, capped zlib, strict CBOR, COSE_Sign1, signature, CWT
validity window) are kiosk.core.credentials.signed.decode_signed, run with the receipt prefix,
the receipt signers' keys and tighter limits; then the signer's role must fit the receipt
(the service signs online decisions, a device its own offline ones), and, when a subject
reference is given, the binding must match it. Every refusal is a ReceiptCheck naming its step
and carrying the words a person reads; nothing here raises for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from kiosk.core.credentials.errors import CredentialError
from kiosk.core.credentials.layers import scanner_text
from kiosk.core.credentials.model import SubjectRef
from kiosk.core.credentials.settings import RECEIPT_PREFIX, CredentialLimits, CredentialSettings
from kiosk.core.credentials.signed import decode_signed
from kiosk.core.decision_records import Mode, Outcome, Status
from kiosk.core.receipts.binding import SubjectReferenceError, binding_matches, subject_reference
from kiosk.core.receipts.claims import ReceiptClaims, Signer, read_receipt_claims
from kiosk.core.receipts.errors import RECEIPT_STEP_TEXTS, ReceiptStep
from kiosk.core.receipts.issue import SIGNER_MODES
from kiosk.core.receipts.trust import ReceiptTrust
from kiosk.core.text import LocalText

# A receipt of 32 criteria is ~1.3 KB of text; a QR code holds at most ~4.3 KB. Anything larger
# is not a receipt, and what it inflates to is capped just as tightly (a zlib bomb stops here).
RECEIPT_LIMITS = CredentialLimits(
    max_payload_bytes=2048, max_inflated_bytes=4096, max_cbor_depth=6, clock_skew=timedelta(minutes=5)
)


@dataclass(frozen=True, slots=True)
class ReceiptCheck:
    """What a receipt says and whether to believe it. ``valid``: genuine, from a trusted
    signer in its role, and in its validity window. ``subject_matches`` is None when no
    subject was given. ``failed_step`` names the first check that failed (``"subject"`` for a
    genuine receipt about someone else), ``message`` what a person reads about it."""

    valid: bool
    failed_step: ReceiptStep | None = None
    message: LocalText | None = None
    detail: str | None = None  # technical English for staff; never a payload or identifier
    receipt_id: str | None = None
    benefit: str | None = None
    outcome: Outcome | None = None
    criteria: tuple[tuple[str, Status], ...] = ()
    as_of: tuple[tuple[str, str | None], ...] = ()
    policy_version: str | None = None
    decided_at: str | None = None
    valid_until: str | None = None
    mode: Mode | None = None
    device: str | None = None
    signed_by: Signer | None = None
    key_id: str | None = None
    subject_matches: bool | None = None

    @property
    def ok(self) -> bool:
        """Valid, and about the subject given (if one was)."""
        return self.valid and self.subject_matches is not False

    def to_json(self) -> dict[str, Any]:
        as_of = dict(self.as_of)
        return {
            "valid": self.valid,
            "ok": self.ok,
            "receipt_id": self.receipt_id,
            "benefit": self.benefit,
            "outcome": self.outcome.value if self.outcome is not None else None,
            "criteria": [
                {"id": criterion, "status": status.value, "as_of": as_of.get(criterion)}
                for criterion, status in self.criteria
            ],
            "policy_version": self.policy_version,
            "decided_at": self.decided_at,
            "valid_until": self.valid_until,
            "mode": self.mode.value if self.mode is not None else None,
            "device": self.device,
            "signed_by": self.signed_by,
            "key_id": self.key_id,
            "subject_matches": self.subject_matches,
            "failed_step": self.failed_step,
            "message": self.message.to_json() if self.message is not None else None,
            "detail": self.detail,
        }


def _refused(step: ReceiptStep, detail: str) -> ReceiptCheck:
    return ReceiptCheck(valid=False, failed_step=step, message=RECEIPT_STEP_TEXTS[step], detail=detail)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _signer_problem(claims: ReceiptClaims, role: Signer, device: str | None) -> str | None:
    if claims.signer != role:
        return f"the receipt says it was signed by the {claims.signer}, the key is a {role} key"
    if claims.mode is not SIGNER_MODES[role]:
        return f"a {role} key signs {SIGNER_MODES[role].value} receipts, this one says {claims.mode.value}"
    if role == "device" and claims.device != device:
        return "a device key signs only its own device's receipts"
    return None


def verify_receipt(
    payload: str | bytes,
    trust: ReceiptTrust,
    *,
    subject: str | SubjectRef | None = None,
    at: datetime | None = None,
) -> ReceiptCheck:
    """Check `payload` against `trust` at `at` (now); with `subject` (``scheme:value`` or a
    SubjectRef from a scanned code), also whether the receipt is about that subject."""
    now = at if at is not None else datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    settings = CredentialSettings(prefix=RECEIPT_PREFIX, trust=trust.store, limits=RECEIPT_LIMITS)
    try:
        text, _encoding = scanner_text(payload, max_bytes=RECEIPT_LIMITS.max_payload_bytes)
        verified = decode_signed(text, settings, now=now, read_claims=read_receipt_claims)
    except CredentialError as error:
        # Every credential step a receipt can reach has a receipt text; "revoked" and the
        # identifier steps cannot happen here, but would read as unreadable claims.
        failed = cast(ReceiptStep, error.step if error.step in RECEIPT_STEP_TEXTS else "claims")
        return _refused(failed, error.detail)
    claims: ReceiptClaims = verified.content
    entry = trust[verified.kid]
    problem = _signer_problem(claims, entry.signer, entry.device)
    if problem is not None:
        return _refused("signer", problem)
    matches: bool | None = None
    step: ReceiptStep | None = None
    detail: str | None = None
    if subject is not None:
        try:
            matches = binding_matches(claims.salt, claims.binding, subject_reference(subject))
        except SubjectReferenceError as error:
            matches, detail = False, f"the subject reference cannot be read: {error}"
        if not matches:
            step = "subject"
            detail = detail or "the receipt's binding does not match the subject given"
    return ReceiptCheck(
        valid=True,
        failed_step=step,
        message=RECEIPT_STEP_TEXTS[step] if step is not None else None,
        detail=detail,
        receipt_id=claims.receipt_id,
        benefit=claims.benefit,
        outcome=claims.outcome,
        criteria=claims.criteria,
        as_of=claims.as_of,
        policy_version=claims.policy_version,
        decided_at=_iso(claims.decided_at),
        valid_until=_iso(claims.valid_until),
        mode=claims.mode,
        device=claims.device,
        signed_by=entry.signer,
        key_id=verified.kid.hex(),
        subject_matches=matches,
    )
