"""Signing a receipt for a decision: the credential container's layers, with receipt claims.

The layers are kiosk.core.credentials.issue's (COSE_Sign1 with alg and kid protected, zlib,
base45); only the claims and the prefix are the receipt's. The service signs online decisions
with its receipt key, a kiosk its offline ones with its device key.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import cbor2

from kiosk.core.credentials.issue import SigningKey, sign_cose, wrap
from kiosk.core.credentials.model import SubjectRef
from kiosk.core.decision import Decision, Mode
from kiosk.core.receipts.binding import SALT_BYTES, binding, new_salt, subject_reference
from kiosk.core.receipts.claims import STATUS_CODES, Signer, claims_map

RECEIPT_PREFIX = "XKR"
# Which mode each signer may sign: the service answers online, a device decides offline.
SIGNER_MODES: dict[Signer, Mode] = {"backend": Mode.ONLINE, "device": Mode.OFFLINE}


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
    decided_at: datetime | None = None,
    valid_for: timedelta | None = None,
    receipt_id: str | None = None,
) -> str:
    """issue_receipt with the subject already as binding.subject_reference bytes (the service
    keeps them with a kept answer), and, for a kept answer re-dated per request, its id and times."""
    if SIGNER_MODES[signer] is not decision.mode:
        raise ValueError(f"a {signer} key signs {SIGNER_MODES[signer].value} decisions only")
    salt = salt if salt is not None else new_salt()
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a receipt salt is {SALT_BYTES} bytes")
    decided = decided_at if decided_at is not None else _moment(decision.decided_at)
    until = decided + valid_for if valid_for is not None else _moment(decision.valid_until)
    criteria: list[list[object]] = [
        [result.id, STATUS_CODES[result.status], result.as_of] for result in decision.criteria
    ]
    claims = claims_map(
        receipt_id=receipt_id if receipt_id is not None else decision.decision_id,
        benefit=decision.benefit,
        outcome=decision.outcome,
        criteria=criteria,
        policy_version=decision.policy_version,
        decided_at=decided,
        valid_until=until,
        mode=decision.mode,
        device=device,
        signer=signer,
        salt=salt,
        binding=binding(salt, reference),
    )
    return wrap(sign_cose(cbor2.dumps(claims), signing_key, kid), RECEIPT_PREFIX)
