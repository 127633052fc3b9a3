"""Staff check a receipt: genuine or not, who signed it, and whether it is this applicant's.

Real receipts (kiosk.core.receipts) signed with keys made for the test; the applicant's code is
read by the real credential reader. Nothing of either scan stays once the check starts over.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.base import CardEvent, ScanEvent
from hardware.simulators import synthetic_id_number
from kiosk.core.credentials import CredentialSettings, read_presentation
from kiosk.core.decision_records import Outcome, Status
from kiosk.core.receipts import ReceiptTrust
from kiosk.session.receipt_check import CheckStep, ReceiptDesk
from tests.session.receipt_fixtures import OTHER_SUBJECT, SUBJECT, decision, signed, trust_for

KEY = ed25519.Ed25519PrivateKey.generate()


def desk(trust: ReceiptTrust | None = None) -> ReceiptDesk:
    chosen = trust if trust is not None else trust_for(KEY)
    return ReceiptDesk(lambda: chosen, lambda raw: read_presentation(raw, CredentialSettings(), now=datetime.now(UTC)))


def receipt(subject: str = SUBJECT) -> str:
    made = signed(decision(), KEY, subject)
    assert made.receipt is not None
    return made.receipt


def test_a_genuine_receipt_says_what_it_holds_and_who_signed_it() -> None:
    checking = desk()
    view = checking.receipt_scanned(receipt())
    assert view.step is CheckStep.CHECKED and view.check is not None and view.check.valid
    assert view.check.outcome is Outcome.NOT_ELIGIBLE and view.check.signed_by == "backend"
    assert dict(view.check.criteria)["tax-credit-grade"] is Status.FAILED
    assert checking.holds_a_receipt


def test_the_binding_passes_for_the_right_code_and_fails_for_another() -> None:
    checking = desk()
    checking.on_device_event(ScanEvent(receipt().encode(), "]Q1"))
    view = checking.subject_presented(SUBJECT.split(":")[1].encode())
    assert view.step is CheckStep.BOUND and view.check is not None and view.check.subject_matches is True
    checking.start_over()
    assert not checking.holds_a_receipt and checking.view.check is None
    checking.receipt_scanned(receipt())
    checking.on_device_event(ScanEvent(OTHER_SUBJECT.split(":")[1].encode(), "]Q1"))
    assert checking.view.check is not None and checking.view.check.subject_matches is False
    assert checking.view.check.failed_step == "subject" and checking.view.check.message is not None


def test_a_card_read_confirms_a_personal_receipt() -> None:
    number = synthetic_id_number()
    checking = desk()
    checking.receipt_scanned(receipt(f"ric:{number}"))
    checking.on_device_event(CardEvent(number, "张*"))
    assert checking.view.check is not None and checking.view.check.subject_matches is True


def test_a_receipt_from_an_unknown_signer_is_refused_and_asks_for_no_code() -> None:
    checking = desk(trust_for(ed25519.Ed25519PrivateKey.generate()))
    view = checking.receipt_scanned(receipt())
    assert view.check is not None and not view.check.valid and view.check.failed_step == "unknown_key"
    assert not checking.holds_a_receipt
    assert checking.subject_presented(SUBJECT.split(":")[1]) is view  # nothing to compare with


def test_an_unreadable_applicant_code_says_so_and_keeps_the_receipt_result() -> None:
    checking = desk()
    checking.receipt_scanned(receipt())
    view = checking.subject_presented(b"not a code at all")
    assert view.subject_problem is not None and view.step is CheckStep.CHECKED
    assert view.check is not None and view.check.valid


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=600))
def test_any_scan_as_a_receipt_gives_a_result_never_a_crash(raw: bytes) -> None:
    view = desk().receipt_scanned(raw)
    assert view.check is not None and not view.check.valid and view.check.message is not None


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=4, max_value=440), st.integers(min_value=1, max_value=255))
def test_a_flipped_byte_in_a_receipt_is_never_believed(position: int, flip: int) -> None:
    text = bytearray(receipt().encode())
    position = min(position, len(text) - 1)
    text[position] ^= flip
    view = desk().receipt_scanned(bytes(text))
    assert view.check is not None and not view.check.valid
