"""hypothesis over mutated receipts: verify never raises, and no mutation makes a receipt that
verifies say anything else than the receipt it was made from."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core.receipts import ReceiptCheck, verify_receipt
from tests.receipts.forge import LATER, SUBJECT, Keys, cose_of, rewrap

KEYS = Keys()
TRUST = KEYS.trust()
RECEIPTS = (KEYS.online(), KEYS.offline())
BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
ORIGINALS = {receipt: verify_receipt(receipt, TRUST, subject=SUBJECT, at=LATER) for receipt in RECEIPTS}
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same_meaning(check: ReceiptCheck, original: ReceiptCheck) -> bool:
    return check.to_json() == original.to_json()


@st.composite
def text_mutations(draw: st.DrawFn) -> tuple[str, str]:
    receipt = draw(st.sampled_from(RECEIPTS))
    chars = list(receipt)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(chars) - 1))
        action = draw(st.sampled_from(("replace", "insert", "delete")))
        if action == "delete" and len(chars) > 1:
            del chars[where]
        elif action == "insert":
            chars.insert(where, draw(st.sampled_from(BASE45)))
        else:
            chars[where] = draw(st.sampled_from(BASE45 + "az\u00e9\u4e2d"))
    return receipt, "".join(chars)


@FAST
@given(text_mutations())
def test_mutated_text_is_refused_or_means_the_same(case: tuple[str, str]) -> None:
    receipt, mutated = case
    check = verify_receipt(mutated, TRUST, subject=SUBJECT, at=LATER)
    if check.valid:
        assert _same_meaning(check, ORIGINALS[receipt])
    else:
        assert check.failed_step is not None and check.message is not None


@st.composite
def cose_mutations(draw: st.DrawFn) -> tuple[str, str]:
    receipt = draw(st.sampled_from(RECEIPTS))
    cose = bytearray(cose_of(receipt))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(cose) - 1))
        cose[where] ^= draw(st.integers(1, 255))
    return receipt, rewrap(bytes(cose))


@FAST
@given(cose_mutations())
def test_flipped_cose_bytes_are_refused_or_mean_the_same(case: tuple[str, str]) -> None:
    receipt, mutated = case
    check = verify_receipt(mutated, TRUST, subject=SUBJECT, at=LATER)
    if check.valid:
        # Only the unprotected header lies outside the signature; nothing there changes meaning.
        assert _same_meaning(check, ORIGINALS[receipt])
    else:
        assert check.failed_step in {"cose", "unprotected_header", "unknown_key", "bad_signature", "claims"}


@FAST
@given(st.one_of(st.text(max_size=600), st.binary(max_size=600), st.text(alphabet=BASE45).map(lambda t: "XKR:" + t)))
def test_anything_at_all_gives_a_check_not_an_exception(payload: str | bytes) -> None:
    check = verify_receipt(payload, TRUST, at=LATER)
    assert isinstance(check, ReceiptCheck) and check.to_json()["valid"] is check.valid
    assert check.valid is False
