"""Where a receipt check stops, and what a person at the counter reads when it does.

The outer layers are the credential container's (kiosk.core.credentials), so their step names
are the same; the words are the receipt's own, since a receipt is not something the applicant
gets "from the issuing authority". Two steps are the receipt's alone: ``signer`` (a genuine
signature by a key that may not say this: a device key on an "online" receipt, or another
device's id) and ``subject`` (the receipt is genuine but not about the code given with it).
"""

from __future__ import annotations

from typing import Literal, get_args

from kiosk.core.catalog import message
from kiosk.core.text import LocalText

ReceiptStep = Literal[
    "encoding",  # scanner bytes that are neither UTF-8 nor GB18030
    "too_large",  # payload, or what it inflates to, over the receipt limits (a zlib bomb stops here)
    "prefix",  # not XKR: (a credential, a token, anything else)
    "base45",
    "decompression",
    "cose",
    "unprotected_header",
    "unknown_key",  # signed by a key that is not a receipt signer in the trust given
    "bad_signature",
    "claims",  # not a receipt's claims (a re-wrapped credential stops here), or malformed
    "signer",  # the signing key's role does not fit the receipt (mode or device)
    "not_yet_valid",
    "expired",
    "subject",  # the receipt is genuine, but its binding does not match the code given
]
RECEIPT_STEPS: tuple[ReceiptStep, ...] = get_args(ReceiptStep)

RECEIPT_STEP_TEXTS: dict[ReceiptStep, LocalText] = {
    "too_large": message("core.receipts.errors.too_large"),
    "prefix": message("core.receipts.errors.prefix"),
    "base45": message("core.receipts.errors.base45"),
    "decompression": message("core.receipts.errors.decompression"),
    "cose": message("core.receipts.errors.cose"),
    "unknown_key": message("core.receipts.errors.unknown_key"),
    "bad_signature": message("core.receipts.errors.bad_signature"),
    "claims": message("core.receipts.errors.claims"),
    "signer": message("core.receipts.errors.signer"),
    "not_yet_valid": message("core.receipts.errors.not_yet_valid"),
    "expired": message("core.receipts.errors.expired"),
    "subject": message("core.receipts.errors.subject"),
}
# An alg or kid outside the signed headers is, to a person, a damaged receipt.
RECEIPT_STEP_TEXTS["unprotected_header"] = RECEIPT_STEP_TEXTS["cose"]
RECEIPT_STEP_TEXTS["encoding"] = RECEIPT_STEP_TEXTS["base45"]
