"""Hostile receipts are refused at the step that names what is wrong, with words for a person;
a credential is not a receipt and a receipt is not a credential."""

from __future__ import annotations

from datetime import timedelta

import cbor2
import pytest
import segno

from kiosk.core.credentials import CredentialError, CredentialSettings, TrustStore, read_presentation
from kiosk.core.credentials.issue import issue_credential
from kiosk.core.decision_records import Mode, Outcome
from kiosk.core.receipts import RECEIPT_CLAIM, ReceiptCheck, ReceiptTrust, signer_for, verify_receipt
from kiosk.core.receipts.claims import claims_map
from tests.receipts.forge import (
    DEVICE,
    LATER,
    NOW,
    OTHER,
    SUBJECT,
    Keys,
    bomb,
    claims_of_cose,
    cose_of,
    rewrap,
    sign_claims,
    text_of_compressed,
    zlib_of,
)

KEYS = Keys()
TRUST = KEYS.trust()


def refused(receipt: str, step: str, trust: ReceiptTrust = TRUST, **kwargs: object) -> ReceiptCheck:
    check = verify_receipt(receipt, trust, at=kwargs.pop("at", LATER), **kwargs)  # type: ignore[arg-type]
    assert not check.ok and check.failed_step == step, check.to_json()
    assert check.message is not None and check.message.en and check.message.zh
    assert check.benefit is None or step == "subject"
    return check


def test_both_signers_receipts_verify_and_bind() -> None:
    for receipt, signer in ((KEYS.online(), "backend"), (KEYS.offline(), "device")):
        check = verify_receipt(receipt, TRUST, subject=SUBJECT, at=LATER)
        assert check.ok and check.signed_by == signer and check.subject_matches is True
        assert check.outcome is Outcome.ELIGIBLE and check.device == DEVICE
        refused(receipt, "subject", subject=OTHER)
        # A subject reference that is not one at all: refused as not matching, with a reason.
        assert refused(receipt, "subject", subject="uscc:not-a-code").detail


def test_the_receipt_is_small_enough_for_a_qr_code() -> None:
    # Five criteria: ~560 base45 characters, a version 15 QR code at level M (77 modules a
    # side) that phone cameras and hall scanners read; EU DCC codes are larger.
    for receipt in (KEYS.online(), KEYS.offline()):
        assert len(receipt) < 600
        code = segno.make_qr(receipt, error="M", boost_error=False)
        assert code.mode == "alphanumeric" and int(code.version) <= 15


def test_flipped_bytes_in_each_layer_are_refused_at_that_layer() -> None:
    receipt = KEYS.online()
    refused("XK1" + receipt[3:], "prefix")
    refused(receipt[:10] + "a" + receipt[11:], "base45")  # lower case is not base45
    compressed = zlib_of(receipt)
    refused(text_of_compressed(compressed[:-1] + bytes([compressed[-1] ^ 1])), "decompression")
    cose = cose_of(receipt)
    refused(rewrap(b"\x19" + cose[1:]), "cose")
    item = cbor2.loads(cose).value
    protected, unprotected, payload, signature = item
    header = cbor2.loads(protected)
    kid = header[4]
    flipped = signature[:-1] + bytes([signature[-1] ^ 1])  # a fixed byte equals the real one 1 time in 256
    refused(rewrap(cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, flipped]))), "bad_signature")
    claims = cbor2.loads(payload)
    claims[RECEIPT_CLAIM]["o"] = 2  # "not eligible" in place of "eligible"
    claims[RECEIPT_CLAIM]["c"][0][1] = 2
    refused(
        rewrap(cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(claims), signature]))),
        "bad_signature",
    )
    other_kid = cbor2.dumps({1: header[1], 4: bytes(len(kid))})
    refused(rewrap(cbor2.dumps(cbor2.CBORTag(18, [other_kid, unprotected, payload, signature]))), "unknown_key")
    only_alg = cbor2.dumps({1: header[1]})
    refused(rewrap(cbor2.dumps(cbor2.CBORTag(18, [only_alg, {4: kid}, payload, signature]))), "unprotected_header")


def test_a_key_outside_its_role_is_refused_at_signer() -> None:
    base = dict(
        receipt_id="0" * 32,
        benefit="expedited-permit",
        outcome=Outcome.ELIGIBLE,
        criteria=[["no-serious-dishonesty", 1, None]],
        policy_version="1",
        decided_at=NOW,
        valid_until=NOW + timedelta(hours=24),
        salt=bytes(16),
        binding=bytes(32),
    )
    as_online_device = claims_map(**base, mode=Mode.ONLINE, device=DEVICE, signer="device")  # type: ignore[arg-type]
    refused(sign_claims(as_online_device, KEYS.device), "signer")
    other_device = claims_map(**base, mode=Mode.OFFLINE, device="kiosk-0043", signer="device")  # type: ignore[arg-type]
    refused(sign_claims(other_device, KEYS.device), "signer")
    backend_says_device = claims_map(**base, mode=Mode.OFFLINE, device=DEVICE, signer="device")  # type: ignore[arg-type]
    refused(sign_claims(backend_says_device, KEYS.backend), "signer")
    with pytest.raises(ValueError, match="online decisions only"):
        from kiosk.core.receipts import issue_receipt
        from tests.receipts.forge import decision

        issue_receipt(
            decision(Mode.OFFLINE), subject=SUBJECT, device=DEVICE, signing_key=KEYS.backend, signer="backend"
        )


def test_re_signed_with_an_untrusted_key() -> None:
    claims = claims_of_cose(cose_of(KEYS.online()))
    claims[RECEIPT_CLAIM]["o"] = 2  # type: ignore[index]
    refused(sign_claims(claims, KEYS.stranger), "unknown_key")
    # ... and pretending to be the trusted key by its id.
    trusted_kid = next(iter(TRUST))
    refused(sign_claims(claims, KEYS.stranger, kid=trusted_kid), "bad_signature")


def test_expired_not_yet_valid_oversized_and_zlib_bomb() -> None:
    receipt = KEYS.online()
    refused(receipt, "expired", at=NOW + timedelta(days=30))
    refused(receipt, "not_yet_valid", at=NOW - timedelta(hours=1))
    refused(receipt + "0" * 2048, "too_large")
    check = refused(bomb(), "too_large")
    assert check.detail is not None and "inflates" in check.detail
    refused(b"\xff\xfe\x00receipt", "encoding")


def test_a_credential_is_not_a_receipt() -> None:
    credential = issue_credential(
        issuer="CN-TEST",
        kind="business",
        subject_value=SUBJECT.split(":")[1],
        facts={"tax_credit_grade": "A"},
        signing_key=KEYS.stranger,
        issued_at=NOW,
    )
    refused(credential, "prefix")
    # The same COSE under the receipt prefix: its issuer is no receipt signer.
    refused(rewrap(cose_of(credential, "XK1")), "unknown_key")
    # Even signed by a trusted receipt key (a key misused), its claims are not a receipt's.
    stray = ReceiptTrust([signer_for(KEYS.stranger.public_key(), "backend")])
    refused(rewrap(cose_of(credential, "XK1")), "claims", trust=stray)


def test_a_receipt_is_not_a_credential() -> None:
    receipt = KEYS.online()
    issuers = CredentialSettings(trust=TrustStore.from_public_keys([KEYS.stranger.public_key()]))
    # Shown at a kiosk, it is named for what it is, and the person told where it counts.
    with pytest.raises(CredentialError) as shown:
        read_presentation(receipt, issuers, now=LATER)
    assert shown.value.step == "prefix" and "decision receipt" in shown.value.text.en
    # Re-wrapped with the credential prefix: the receipt key is no credential issuer ...
    with pytest.raises(CredentialError) as unknown:
        read_presentation(rewrap(cose_of(receipt), "XK1"), issuers, now=LATER)
    assert unknown.value.step == "unknown_key"
    # ... and trusted as one by mistake, its claims are still no credential's.
    confused = CredentialSettings(trust=TrustStore.from_public_keys([KEYS.backend.public_key()]))
    with pytest.raises(CredentialError) as claims:
        read_presentation(rewrap(cose_of(receipt), "XK1"), confused, now=LATER)
    assert claims.value.step == "claims"


def test_nothing_raises_for_junk() -> None:
    for junk in ("", "XKR:", "XKR:0", "XKR:" + "0" * 30, "hello", "\x00" * 10, "XKR:%%%%"):
        check = verify_receipt(junk, TRUST, at=LATER)
        assert not check.valid and check.failed_step is not None and check.message is not None
