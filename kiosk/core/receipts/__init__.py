"""Signed decision receipts: what an applicant takes away, and what any counter checks offline.

``XKR:`` + base45(zlib(COSE_Sign1(CWT))), the credential container (kiosk.core.credentials)
with the receipt's own claims (claims.py) and signers (trust.py). Public names:

* :func:`issue_receipt` — a decision, the subject reference, the device, a signing key and
  its role (``"backend"`` online, ``"device"`` offline) -> the receipt text.
* :func:`verify_receipt` — receipt text and a :class:`ReceiptTrust` -> :class:`ReceiptCheck`
  (never raises for bad input; ``failed_step`` and ``message`` say what failed).
* :class:`ReceiptTrust`, :class:`ReceiptSigner` — who may sign, from the bundle's
  ``receipt_keys`` or key files.
* :func:`subject_reference` — ``scheme:value`` (or a SubjectRef) -> the bytes a binding hashes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.core.lazy_names import lazy_names

if TYPE_CHECKING:
    from kiosk.core.credentials.settings import RECEIPT_PREFIX
    from kiosk.core.receipts.binding import SubjectReferenceError, subject_reference
    from kiosk.core.receipts.claims import RECEIPT_CLAIM, ReceiptClaims, Signer
    from kiosk.core.receipts.errors import RECEIPT_STEP_TEXTS, RECEIPT_STEPS, ReceiptStep
    from kiosk.core.receipts.issue import SIGNER_MODES, issue_receipt
    from kiosk.core.receipts.trust import KIND_ROLES, ReceiptSigner, ReceiptTrust, signer_for
    from kiosk.core.receipts.verify import RECEIPT_LIMITS, ReceiptCheck, verify_receipt

# Resolved on first use, as kiosk.core's names are: every bundle holds a ReceiptTrust (trust.py),
# and loading the verifier and the issuer with it cost each `kiosk check` a few ms it never used.
_HOME = {
    "kiosk.core.credentials.settings": ("RECEIPT_PREFIX",),
    "kiosk.core.receipts.binding": ("SubjectReferenceError", "subject_reference"),
    "kiosk.core.receipts.claims": ("RECEIPT_CLAIM", "ReceiptClaims", "Signer"),
    "kiosk.core.receipts.errors": ("RECEIPT_STEP_TEXTS", "RECEIPT_STEPS", "ReceiptStep"),
    "kiosk.core.receipts.issue": ("SIGNER_MODES", "issue_receipt"),
    "kiosk.core.receipts.trust": ("KIND_ROLES", "ReceiptSigner", "ReceiptTrust", "signer_for"),
    "kiosk.core.receipts.verify": ("RECEIPT_LIMITS", "ReceiptCheck", "verify_receipt"),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}

__all__ = [
    "KIND_ROLES",
    "RECEIPT_CLAIM",
    "RECEIPT_LIMITS",
    "RECEIPT_PREFIX",
    "RECEIPT_STEPS",
    "RECEIPT_STEP_TEXTS",
    "SIGNER_MODES",
    "ReceiptCheck",
    "ReceiptClaims",
    "ReceiptSigner",
    "ReceiptStep",
    "ReceiptTrust",
    "Signer",
    "SubjectReferenceError",
    "issue_receipt",
    "signer_for",
    "subject_reference",
    "verify_receipt",
]


__getattr__ = lazy_names(__name__, _MODULE_OF, globals())
