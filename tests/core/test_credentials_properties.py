"""Properties: whatever arrives, only CredentialError comes out, and nothing inflates past the limit.

Mutations hit each layer of a genuine credential: the base45 text, the zlib bytes, the COSE
bytes, the signed CWT payload (re-signed with the trusted key, so the claims parser itself is
exercised), truncation at every layer, and re-signing with an untrusted key.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import base45
import cbor2
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kiosk.core.credentials import (
    STEPS,
    CredentialError,
    CredentialSettings,
    Presentation,
    TrustStore,
    key_id_of_public_key,
    read_presentation,
)
from kiosk.core.credentials.issue import issue_credential, sign_cose, wrap
from kiosk.core.credentials.layers import decode_base45, inflate

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ED_KEY = ed25519.Ed25519PrivateKey.generate()
EC_KEY = ec.generate_private_key(ec.SECP256R1())
UNTRUSTED = ed25519.Ed25519PrivateKey.generate()
SETTINGS = CredentialSettings(trust=TrustStore.from_public_keys([ED_KEY.public_key(), EC_KEY.public_key()]))
BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _credential(key: Any) -> str:
    return issue_credential(
        issuer="CN-TEST",
        kind="business",
        subject_value="91110000600037341L",
        facts={"tax_credit_grade": "A", "serious_dishonesty_listed": False, "scopes": ["a", "b"]},
        signing_key=key,
        issued_at=NOW - timedelta(days=1),
    )


GENUINE = {"EdDSA": _credential(ED_KEY), "ES256": _credential(EC_KEY)}
GENUINE_COSE = {alg: zlib.decompress(base45.b45decode(text[4:])) for alg, text in GENUINE.items()}
GENUINE_PAYLOAD = {alg: list(cbor2.loads(c).value)[2] for alg, c in GENUINE_COSE.items()}


def outcome(raw: bytes | str) -> Presentation | CredentialError:
    """Read; anything but a Presentation or a CredentialError fails the property."""
    try:
        return read_presentation(raw, SETTINGS, now=NOW)
    except CredentialError as error:
        assert error.step in STEPS
        assert error.text.zh and error.text.en
        return error


def assert_refused_or_unchanged(result: Presentation | CredentialError, alg: str) -> None:
    """A change may land where nothing is read (the padding bits after the last deflate block,
    an equivalent CBOR encoding); then the reading must be exactly the genuine one."""
    if isinstance(result, Presentation):
        assert result == outcome(GENUINE[alg])


def flip(data: bytes, position: int, bit: int) -> bytes:
    index = position % len(data)
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


algs = st.sampled_from(sorted(GENUINE))
positions = st.integers(min_value=0, max_value=10_000)
bits = st.integers(min_value=0, max_value=7)


@BOUNDED
@given(st.binary(max_size=6000))
def test_random_bytes(raw: bytes) -> None:
    outcome(raw)


@BOUNDED
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    outcome(text)
    outcome("XK1:" + text)


@BOUNDED
@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=600))
def test_random_base45_after_our_prefix(body: str) -> None:
    outcome("XK1:" + body)


@BOUNDED
@given(algs, positions, st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a\u00e9"))
def test_changed_character_in_the_base45_text(alg: str, position: int, char: str) -> None:
    text = GENUINE[alg]
    index = 4 + position % (len(text) - 4)
    assume(text[index] != char)
    assert_refused_or_unchanged(outcome(text[:index] + char + text[index + 1 :]), alg)


@BOUNDED
@given(algs, positions, bits)
def test_bit_flip_in_the_zlib_bytes(alg: str, position: int, bit: int) -> None:
    compressed = zlib.compress(GENUINE_COSE[alg], 9)
    result = outcome("XK1:" + base45.b45encode(flip(compressed, position, bit)).decode())
    assert_refused_or_unchanged(result, alg)


@BOUNDED
@given(algs, positions, bits)
def test_bit_flip_in_the_cose_bytes(alg: str, position: int, bit: int) -> None:
    assert_refused_or_unchanged(outcome(wrap(flip(GENUINE_COSE[alg], position, bit))), alg)


@BOUNDED
@given(algs, positions, bits)
def test_bit_flip_in_the_payload_without_re_signing(alg: str, position: int, bit: int) -> None:
    items = list(cbor2.loads(GENUINE_COSE[alg]).value)
    items[2] = flip(items[2], position, bit)
    result = outcome(wrap(cbor2.dumps(cbor2.CBORTag(18, items))))
    assert isinstance(result, CredentialError) and result.step == "bad_signature"


@BOUNDED
@given(algs, positions, bits)
def test_bit_flip_in_the_payload_re_signed_by_the_trusted_key(alg: str, position: int, bit: int) -> None:
    key = ED_KEY if alg == "EdDSA" else EC_KEY
    outcome(wrap(sign_cose(flip(GENUINE_PAYLOAD[alg], position, bit), key)))


@BOUNDED
@given(st.binary(max_size=400))
def test_any_payload_signed_by_the_trusted_key(payload: bytes) -> None:
    outcome(wrap(sign_cose(payload, ED_KEY)))


@BOUNDED
@given(algs, st.integers(min_value=0, max_value=2), st.integers(min_value=0, max_value=10_000))
def test_truncation_at_every_layer(alg: str, layer: int, cut: int) -> None:
    text, cose = GENUINE[alg], GENUINE_COSE[alg]
    if layer == 0:
        mutated = text[: 4 + cut % (len(text) - 4)]
    elif layer == 1:
        compressed = zlib.compress(cose, 9)
        mutated = "XK1:" + base45.b45encode(compressed[: cut % len(compressed)]).decode()
    else:
        mutated = wrap(cose[: cut % len(cose)])
    assert isinstance(outcome(mutated), CredentialError)


@BOUNDED
@given(algs)
def test_re_signed_with_an_untrusted_key_under_the_trusted_kid(alg: str) -> None:
    kid = key_id_of_public_key((ED_KEY if alg == "EdDSA" else EC_KEY).public_key())
    result = outcome(wrap(sign_cose(GENUINE_PAYLOAD[alg], UNTRUSTED, kid)))
    assert isinstance(result, CredentialError) and result.step == "bad_signature"


@BOUNDED
@given(st.integers(min_value=0, max_value=400_000), st.sampled_from([b"\0", b"ab", b"xyz\n"]))
def test_inflation_never_passes_the_limit(size: int, unit: bytes) -> None:
    data = (unit * (size // len(unit) + 1))[:size]
    compressed = zlib.compress(data, 9)
    limit = 65536
    try:
        inflated = inflate(compressed, max_bytes=limit)
    except CredentialError as error:
        assert error.step == "too_large" and size > limit
    else:
        assert inflated == data and len(inflated) <= limit


@BOUNDED
@given(st.binary(max_size=3000))
def test_base45_decoder_agrees_with_the_base45_package_on_valid_text(data: bytes) -> None:
    assert decode_base45(base45.b45encode(data).decode()) == data


@BOUNDED
@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a~", max_size=60))
def test_base45_decoder_agrees_with_the_base45_package_on_any_text(text: str) -> None:
    try:
        expected: bytes | None = base45.b45decode(text)
    except ValueError:
        expected = None
    try:
        got: bytes | None = decode_base45(text)
    except CredentialError as error:
        assert error.step == "base45"
        got = None
    assert got == expected
