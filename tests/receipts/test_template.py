"""The receipt template encodes exactly what the plain encoders would: the same claims bytes as
cbor2.dumps(claims_map(...)), and (Ed25519 being deterministic) the same COSE_Sign1 as the
credentials' sign_cose."""

from __future__ import annotations

from datetime import timedelta

import cbor2
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.credentials.issue import sign_cose
from kiosk.core.receipts.binding import binding, subject_reference
from kiosk.core.receipts.claims import STATUS_CODES, claims_map, day_number, epoch
from kiosk.core.receipts.template import ReceiptTemplate
from tests.receipts.forge import DEVICE, NOW, SUBJECT, cose_of, decision

KEY = ed25519.Ed25519PrivateKey.generate()
DECISION = decision()
TEMPLATE = ReceiptTemplate(DECISION, signing_key=KEY, signer="backend")


@settings(max_examples=100, deadline=None)
@given(
    st.binary(min_size=16, max_size=16),
    st.integers(0, 2**32 - 1),
    st.integers(0, 10**6),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", fullmatch=True),
    st.binary(min_size=16, max_size=16),
)
def test_the_claims_bytes_are_cbor2s(cti: bytes, iat: int, hours: int, device: str, salt: bytes) -> None:
    exp = iat + 3600 * hours
    bound = binding(salt, subject_reference(SUBJECT))
    expected = claims_map(
        receipt_id=cti.hex(),
        benefit=DECISION.benefit,
        outcome=DECISION.outcome,
        criteria=[[c.id, STATUS_CODES[c.status], day_number(c.as_of)] for c in DECISION.criteria],
        policy_version=DECISION.policy_version,
        decided_at=NOW,
        valid_until=NOW,
        mode=DECISION.mode,
        device=device,
        signer="backend",
        salt=salt,
        binding=bound,
    )
    expected[6], expected[4] = iat, exp
    assert TEMPLATE.claims(cti.hex(), iat, exp, device, salt, bound) == cbor2.dumps(expected)


def test_the_cose_bytes_are_sign_coses() -> None:
    salt = bytes(range(16))
    until = NOW + timedelta(hours=24)
    receipt = TEMPLATE.render(
        receipt_id=DECISION.decision_id,
        decided_at=NOW,
        valid_until=until,
        device=DEVICE,
        reference=subject_reference(SUBJECT),
        salt=salt,
    )
    claims = TEMPLATE.claims(
        DECISION.decision_id, epoch(NOW), epoch(until), DEVICE, salt, binding(salt, subject_reference(SUBJECT))
    )
    assert cose_of(receipt) == sign_cose(claims, KEY)
