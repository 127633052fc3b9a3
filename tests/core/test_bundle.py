"""The signed policy bundle: sign, verify, refuse for every reason, and judge time and version."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.bundle import (
    CLOCK_SKEW,
    MAX_BUNDLE_BYTES,
    BundleError,
    authority_key_id,
    canonical_json,
    check_acceptable,
)
from kiosk.core.bundle_signing import (
    sign_bundle,
    verify_bundle,
)
from tests.support.bundle import authorities, authority_private, payload, signed, verified

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def refusal(raw: bytes) -> str:
    with pytest.raises(BundleError) as caught:
        verify_bundle(raw, authorities())
    assert caught.value.text.zh and caught.value.text.en
    return caught.value.reason


def test_round_trip_keeps_everything_the_kiosk_needs() -> None:
    revoked = ["ab" * 32, "cd" * 32]
    bundle = verify_bundle(signed(version=7, issued_at=NOW, revoked=revoked), authorities())
    assert bundle.version == 7
    assert bundle.issued_at == NOW and bundle.expires_at == NOW + timedelta(days=2)
    assert bundle.revoked == frozenset(revoked)
    assert bundle.catalog.get("expedited-permit") is not None
    assert {k.alg for k in bundle.trust_keys} == {"Ed25519", "ES256"}
    assert len(bundle.trust_store()) == 2
    assert bundle.authority_kid == authority_key_id(authority_private().public_key())


def test_signed_bytes_are_canonical_json() -> None:
    raw = signed(issued_at=NOW)
    envelope = json.loads(raw)
    assert raw == canonical_json(envelope)
    assert b'": ' not in raw[:200]  # no spaces after separators
    assert "信易批".encode() in raw  # ensure_ascii=False: Chinese text as UTF-8, not \u escapes
    signature = base64.b64decode(envelope["signature"]["value"])
    authority_private().public_key().verify(signature, canonical_json(envelope["payload"]))


def test_reformatted_file_still_verifies_to_the_same_content() -> None:
    raw = signed(issued_at=NOW)
    pretty = json.dumps(json.loads(raw), indent=2, ensure_ascii=True).encode()
    assert verify_bundle(pretty, authorities()).digest == verify_bundle(raw, authorities()).digest


def test_unsigned_bundle_is_refused() -> None:
    only_payload = canonical_json({"payload": payload(issued_at=NOW)})
    assert refusal(only_payload) == "unsigned"
    empty_signature = canonical_json({"payload": payload(issued_at=NOW), "signature": {}})
    assert refusal(empty_signature) == "unsigned"


def test_changed_content_is_a_bad_signature() -> None:
    raw = signed(issued_at=NOW, revoked=["ab" * 32])
    assert refusal(raw.replace(b"ab" * 32, b"ac" + b"ab" * 31)) == "bad_signature"
    assert refusal(raw.replace("信易批".encode(), "信易贷".encode())) == "bad_signature"


def test_signature_by_a_stranger_is_an_unknown_key_or_a_bad_signature() -> None:
    stranger = ed25519.Ed25519PrivateKey.generate()
    assert refusal(signed(key=stranger, issued_at=NOW)) == "unknown_authority_key"
    # The stranger claims our authority's key id: the signature does not match that key.
    forged = json.loads(signed(key=stranger, issued_at=NOW))
    forged["signature"]["kid"] = authority_key_id(authority_private().public_key())
    assert refusal(canonical_json(forged)) == "bad_signature"


def _signed_raw(document: dict[str, Any]) -> bytes:
    return sign_bundle(document, authority_private())


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.update(format="xinyi-policy-bundle/0"),
        lambda p: p.update(version=0),
        lambda p: p.update(version=True),
        lambda p: p.update(version="7"),
        lambda p: p.update(extra=1),
        lambda p: p.pop("revoked"),
        lambda p: p.update(issued_at="2026-11-25 08:00"),
        lambda p: p.update(issued_at="2026-11-25T08:00:00+08:00"),
        lambda p: p.update(expires_at=p["issued_at"]),
        lambda p: p.update(revoked=["AB" * 32]),
        lambda p: p.update(revoked=["ab" * 31]),
        lambda p: p.update(revoked=["ab" * 32, "ab" * 32]),
        lambda p: p.update(revoked=[7]),
        lambda p: p.update(revoked=["a b" * 21 + "a"]),
        lambda p: p.update(revoked="ab" * 32),
        lambda p: p["trust_keys"][0].update(alg="ES256" if p["trust_keys"][0]["alg"] != "ES256" else "Ed25519"),
        lambda p: p["trust_keys"][0].update(public_key="bm90IGEga2V5"),
        lambda p: p["trust_keys"][0].update(kid="XYZ"),
        lambda p: p["catalog"]["benefits"][0].update(kind="alien"),
        lambda p: p.update(catalog=[]),
    ],
)
def test_malformed_but_signed_payloads_are_refused(change: Any) -> None:
    document = payload(issued_at=NOW)
    change(document)
    assert refusal(_signed_raw(document)) == "malformed"


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"\xff\xfe", b"[]", b"{}", b'{"payload": []}', b"[" * 100_000, b'{"payload":{}}'],
)
def test_garbage_is_refused_cleanly(raw: bytes) -> None:
    assert refusal(raw) in ("malformed", "unsigned")


def test_oversized_input_is_refused_before_parsing() -> None:
    assert refusal(b" " * (MAX_BUNDLE_BYTES + 1)) == "too_large"


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_give_a_bundle_error(raw: bytes) -> None:
    refusal(raw)


RAW_FOR_FLIPS = signed(issued_at=NOW, revoked=["ab" * 32])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(RAW_FOR_FLIPS) - 1), st.integers(1, 255))
def test_any_changed_byte_is_refused(position: int, delta: int) -> None:
    changed = bytearray(RAW_FOR_FLIPS)
    changed[position] = (changed[position] + delta) % 256
    try:
        bundle = verify_bundle(bytes(changed), authorities())
    except BundleError:
        return
    # Only a change JSON does not see (e.g. a letter case in an escape) may pass, and then
    # the content is exactly what was signed.
    assert bundle.digest == verify_bundle(RAW_FOR_FLIPS, authorities()).digest


class TestAcceptance:
    def test_newer_version_replaces_and_same_content_is_unchanged(self) -> None:
        held = verified(version=1, issued_at=NOW)
        newer = verified(version=2, issued_at=NOW)
        assert check_acceptable(newer, current=held, now=NOW) is True
        assert check_acceptable(held, current=held, now=NOW) is False
        assert check_acceptable(held, current=None, now=NOW) is True

    def test_older_version_is_refused(self) -> None:
        held = verified(version=5, issued_at=NOW)
        with pytest.raises(BundleError) as caught:
            check_acceptable(verified(version=4, issued_at=NOW), current=held, now=NOW)
        assert caught.value.reason == "older_version"

    def test_same_version_with_other_content_is_refused(self) -> None:
        held = verified(version=5, issued_at=NOW)
        other = verified(version=5, issued_at=NOW, revoked=["ef" * 32])
        with pytest.raises(BundleError) as caught:
            check_acceptable(other, current=held, now=NOW)
        assert caught.value.reason == "conflicting_version"

    def test_expired_bundle_is_refused(self) -> None:
        old = verified(issued_at=NOW - timedelta(days=3), valid_for=timedelta(days=2))
        with pytest.raises(BundleError) as caught:
            check_acceptable(old, current=None, now=NOW)
        assert caught.value.reason == "expired"
        assert old.is_expired(NOW)

    @pytest.mark.parametrize("ahead", [timedelta(seconds=30), timedelta(minutes=5), CLOCK_SKEW])
    def test_kiosk_clock_a_few_minutes_slow_is_tolerated(self, ahead: timedelta) -> None:
        bundle = verified(issued_at=NOW + ahead)
        assert check_acceptable(bundle, current=None, now=NOW) is True

    @pytest.mark.parametrize("ahead", [CLOCK_SKEW + timedelta(seconds=1), timedelta(hours=2), timedelta(days=3)])
    def test_bundle_from_the_future_is_refused(self, ahead: timedelta) -> None:
        bundle = verified(issued_at=NOW + ahead)
        with pytest.raises(BundleError) as caught:
            check_acceptable(bundle, current=None, now=NOW)
        assert caught.value.reason == "issued_in_future"
        assert "clock" in caught.value.text.en


def test_error_details_carry_no_revocation_or_payload_text() -> None:
    raw = signed(issued_at=NOW, revoked=["ab" * 32])
    with pytest.raises(BundleError) as caught:
        verify_bundle(raw.replace(b"ab" * 32, b"ac" + b"ab" * 31), authorities())
    assert "ab" * 8 not in caught.value.detail
