"""Signed credentials: issue with real keys, read back, and every way a credential is refused."""

from __future__ import annotations

import hashlib
import tracemalloc
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import base45
import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from kiosk.core.credentials import (
    XINYI_CLAIM,
    CredentialError,
    CredentialLimits,
    CredentialSettings,
    LayerReport,
    Presentation,
    Scheme,
    SubjectRef,
    TrustKeyError,
    TrustStore,
    key_id_of_public_key,
    read_presentation,
    revocation_hash,
    ric,
)
from kiosk.core.credentials.cose import PS256, sig_structure
from kiosk.core.credentials.issue import issue_credential, new_credential_id, sign_cose, wrap

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BUSINESS = "91110000600037341L"
PERSON = "44011320141005001X"
FACTS: dict[str, Any] = {
    "serious_dishonesty_listed": False,
    "tax_credit_grade": "A",
    "established_on": "2019-03-01",
    "employees": 42,
    "licence_scopes": ["retail", "catering"],
    "pending_objection": None,
}

ED_KEY = ed25519.Ed25519PrivateKey.generate()
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_ED_KEY = ed25519.Ed25519PrivateKey.generate()
TRUST = TrustStore.from_public_keys([ED_KEY.public_key(), EC_KEY.public_key()])
SETTINGS = CredentialSettings(trust=TRUST)


def issue(key: Any = ED_KEY, **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "issuer": "CN-TEST",
        "kind": "business",
        "subject_value": BUSINESS,
        "facts": FACTS,
        "signing_key": key,
        "issued_at": NOW - timedelta(days=1),
        "valid_for": timedelta(days=30),
    }
    fields.update(overrides)
    return issue_credential(**fields)


def claims_map(extra: Mapping[Any, Any] | None = None) -> dict[Any, Any]:
    claims: dict[Any, Any] = {
        1: "CN-TEST",
        6: int((NOW - timedelta(days=1)).timestamp()),
        4: int((NOW + timedelta(days=1)).timestamp()),
        7: bytes(16),
        XINYI_CLAIM: {
            "v": 1,
            "kind": "business",
            "sub": {"scheme": "uscc", "value": BUSINESS},
            "facts": {"tax_credit_grade": "A"},
        },
    }
    claims.update(extra or {})
    return claims


def signed(claims: Mapping[Any, Any] | bytes, key: Any = ED_KEY, kid: bytes | None = None) -> str:
    payload = claims if isinstance(claims, bytes) else cbor2.dumps(claims)
    return wrap(sign_cose(payload, key, kid))


def read(text: str | bytes, settings: CredentialSettings = SETTINGS, now: datetime = NOW) -> Presentation:
    return read_presentation(text, settings, now=now)


def step_of(text: str | bytes, settings: CredentialSettings = SETTINGS, now: datetime = NOW) -> str:
    with pytest.raises(CredentialError) as caught:
        read(text, settings, now)
    return caught.value.step


# -- the happy paths -----------------------------------------------------------------------


@pytest.mark.parametrize("key", [ED_KEY, EC_KEY], ids=["EdDSA", "ES256"])
def test_issued_credential_reads_back_with_verified_facts(key: Any) -> None:
    credential_id = new_credential_id()
    text = issue(key, credential_id=credential_id)
    assert text.startswith("XK1:") and len(text) < 1000
    presented = read(text)
    assert presented.scheme is Scheme.CREDENTIAL
    assert presented.subject == SubjectRef(Scheme.USCC, BUSINESS)
    assert presented.subject_kind == "business"
    assert dict(presented.facts or {}) == FACTS
    assert presented.issuer == "CN-TEST"
    assert presented.issued_at == NOW - timedelta(days=1)
    assert presented.valid_from == presented.issued_at
    assert presented.valid_until == NOW + timedelta(days=29)
    assert presented.credential_id == credential_id
    assert presented.offline_capable


def test_person_credential_and_scanner_bytes() -> None:
    text = issue(kind="person", subject_value=PERSON.lower(), facts={"age_over_60": True})
    presented = read(text.encode("ascii") + b"\r\n")
    assert presented.subject == SubjectRef(Scheme.RIC, PERSON)
    assert presented.subject_kind == "person"
    assert presented.facts == {"age_over_60": True}


def test_facts_are_read_only_and_never_in_repr() -> None:
    presented = read(issue())
    with pytest.raises(TypeError):
        presented.facts["tax_credit_grade"] = "D"  # type: ignore[index]
    assert "retail" not in repr(presented) and BUSINESS not in repr(presented)


def test_custom_prefix() -> None:
    settings = CredentialSettings(prefix="XK2", trust=TRUST)
    assert read(issue(prefix="XK2"), settings).scheme is Scheme.CREDENTIAL
    assert step_of(issue(), settings) == "prefix"


def test_ps256_is_verified_too() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = key_id_of_public_key(rsa_key.public_key())
    protected = cbor2.dumps({1: PS256, 4: kid})
    payload = cbor2.dumps(claims_map())
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    signature = rsa_key.sign(sig_structure(protected, payload), pss, hashes.SHA256())
    text = wrap(cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature])))
    settings = CredentialSettings(trust=TrustStore.from_public_keys([rsa_key.public_key()]))
    assert read(text, settings).facts == {"tax_credit_grade": "A"}
    tampered = signature[:-1] + bytes([signature[-1] ^ 1])
    bad = wrap(cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, tampered])))
    assert step_of(bad, settings) == "bad_signature"


# -- validity window and revocation ---------------------------------------------------------


def test_expired_and_not_yet_valid() -> None:
    text = issue()
    assert step_of(text, now=NOW + timedelta(days=30)) == "expired"
    assert read(text, now=NOW + timedelta(days=29)).offline_capable  # exp itself is inclusive
    assert step_of(text, now=NOW - timedelta(days=2)) == "not_yet_valid"
    later = issue(not_before=NOW + timedelta(hours=1))
    assert step_of(later) == "not_yet_valid"
    assert read(later, now=NOW + timedelta(hours=1)).valid_from == NOW + timedelta(hours=1)


def test_small_clock_skew_on_issued_at_is_tolerated() -> None:
    assert read(issue(issued_at=NOW + timedelta(minutes=4))).offline_capable
    assert step_of(issue(issued_at=NOW + timedelta(minutes=6))) == "not_yet_valid"


def test_revoked_by_hashed_credential_id() -> None:
    credential_id = new_credential_id()
    text = issue(credential_id=credential_id)
    settings = CredentialSettings(trust=TRUST, revoked=frozenset({revocation_hash(credential_id)}))
    assert step_of(text, settings) == "revoked"
    upper = CredentialSettings(trust=TRUST, revoked=frozenset({revocation_hash(credential_id).upper()}))
    assert step_of(text, upper) == "revoked"
    assert read(issue()).credential_id != credential_id


# -- keys and signatures --------------------------------------------------------------------


def test_unknown_key_and_resigned_with_an_untrusted_key() -> None:
    assert step_of(issue(OTHER_ED_KEY)) == "unknown_key"
    trusted_kid = key_id_of_public_key(ED_KEY.public_key())
    assert step_of(signed(claims_map(), OTHER_ED_KEY, kid=trusted_kid)) == "bad_signature"
    assert step_of(issue(), CredentialSettings()) == "unknown_key"


def test_key_of_the_wrong_type_for_the_algorithm() -> None:
    ec_kid = key_id_of_public_key(EC_KEY.public_key())
    assert step_of(signed(claims_map(), ED_KEY, kid=ec_kid)) == "bad_signature"


def _cose_array(text: str) -> list[Any]:
    cose = zlib.decompress(base45.b45decode(text[4:]))
    return list(cbor2.loads(cose).value)


def _rewrap(items: list[Any], tag: int | None = 18, outer: int | None = None) -> str:
    item: Any = items if tag is None else cbor2.CBORTag(tag, items)
    if outer is not None:
        item = cbor2.CBORTag(outer, item)
    return wrap(cbor2.dumps(item))


def test_cose_tags_and_header_buckets() -> None:
    items = _cose_array(issue())
    assert read(_rewrap(items, tag=None)).offline_capable  # untagged COSE_Sign1
    assert read(_rewrap(items, outer=61)).offline_capable  # CWT tag around it
    assert step_of(_rewrap(items, tag=99)) == "cose"
    # a wrong protected kid loses even when the unprotected one is right
    wrong = cbor2.dumps({1: -8, 4: b"\x00" * 8})
    payload, kid = items[2], cbor2.loads(items[0])[4]
    bad = [wrong, {4: kid}, payload, ED_KEY.sign(sig_structure(wrong, payload))]
    assert step_of(_rewrap(bad)) == "unknown_key"


@pytest.mark.parametrize(
    ("protected_header", "unprotected_header", "names"),
    [
        ({}, {1: -8, 4: "kid"}, "alg"),  # both outside the signature
        ({4: "kid"}, {1: -8}, "alg"),
        ({1: -8}, {4: "kid"}, "kid"),
        ({}, {1: -8}, "alg"),
    ],
)
def test_alg_or_kid_only_in_the_unprotected_header_is_refused(
    protected_header: dict[int, Any], unprotected_header: dict[int, Any], names: str
) -> None:
    """RFC 9052 §3.1: alg must be protected. Correctly signed, and still refused, by name."""
    items = _cose_array(issue())
    kid = cbor2.loads(items[0])[4]
    fill = {label: (kid if value == "kid" else value) for label, value in protected_header.items()}
    loose = {label: (kid if value == "kid" else value) for label, value in unprotected_header.items()}
    protected = cbor2.dumps(fill) if fill else b""
    text = _rewrap([protected, loose, items[2], ED_KEY.sign(sig_structure(protected, items[2]))])
    with pytest.raises(CredentialError) as caught:
        read(text)
    assert caught.value.step == "unprotected_header"
    assert names in caught.value.detail and "unprotected" in caught.value.detail


def test_an_unprotected_kid_is_allowed_only_where_the_reader_says_so() -> None:
    """The EU DCC lets kid travel unprotected; its reader turns the check off, alg stays protected."""
    items = _cose_array(issue())
    kid = cbor2.loads(items[0])[4]
    protected = cbor2.dumps({1: -8})
    text = _rewrap([protected, {4: kid}, items[2], ED_KEY.sign(sig_structure(protected, items[2]))])
    loose = CredentialSettings(trust=SETTINGS.trust, limits=CredentialLimits(protected_kid=False))
    assert read(text, loose).offline_capable
    assert step_of(text) == "unprotected_header"


def test_unsupported_algorithm_and_missing_kid() -> None:
    items = _cose_array(issue())
    payload = items[2]
    for header, step in (({1: -35, 4: b"12345678"}, "cose"), ({1: -8}, "unknown_key")):
        protected = cbor2.dumps(header)
        text = _rewrap([protected, {}, payload, ED_KEY.sign(sig_structure(protected, payload))])
        assert step_of(text) == step


# -- layers: damaged, oversized, trailing ---------------------------------------------------


def test_damaged_outer_layers() -> None:
    text = issue()
    assert step_of(text[:4] + text[4:].lower()) == "base45"
    assert step_of("XK1:" + base45.b45encode(b"not zlib at all").decode()) == "decompression"
    truncated = zlib.compress(b"x" * 100)[:-4]
    assert step_of("XK1:" + base45.b45encode(truncated).decode()) == "decompression"
    cose = zlib.decompress(base45.b45decode(text[4:]))
    trailing_zlib = zlib.compress(cose) + b"\x00"
    assert step_of("XK1:" + base45.b45encode(trailing_zlib).decode()) == "decompression"
    assert step_of(wrap(cose + b"\x00")) == "cose"
    assert step_of(wrap(cbor2.dumps({"not": "cose"}))) == "cose"
    assert step_of(wrap(cbor2.dumps([b"", {}, None, b""]))) == "cose"  # detached payload


def test_zlib_bomb_is_refused_without_being_expanded() -> None:
    bomb = zlib.compress(b"\0" * 2_500_000, 9)
    text = "XK1:" + base45.b45encode(bomb).decode()
    assert len(text) <= 4096
    tracemalloc.start()
    try:
        assert step_of(text) == "too_large"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # the 2.5 MB it would inflate to was never built


def test_payload_over_4_kib_is_refused_before_decoding() -> None:
    assert step_of("XK1:" + "0" * 5000) == "too_large"


def test_inflated_limit_is_configurable() -> None:
    settings = CredentialSettings(trust=TRUST, limits=CredentialLimits(max_inflated_bytes=64))
    assert step_of(issue(), settings) == "too_large"


# -- claims ---------------------------------------------------------------------------------


def _with_body(**changes: Any) -> dict[Any, Any]:
    claims = claims_map()
    claims[XINYI_CLAIM] = {**claims[XINYI_CLAIM], **changes}
    return claims


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(claims_map({XINYI_CLAIM: None}), id="no-private-claim"),
        pytest.param({k: v for k, v in claims_map().items() if k != 4}, id="no-exp"),
        pytest.param({k: v for k, v in claims_map().items() if k != 7}, id="no-cti"),
        pytest.param({k: v for k, v in claims_map().items() if k != 1}, id="no-iss"),
        pytest.param(claims_map({6: "yesterday"}), id="iat-text"),
        pytest.param(claims_map({4: 10**30}), id="exp-out-of-range"),
        pytest.param(claims_map({4: float("nan")}), id="exp-nan"),
        pytest.param(claims_map({7: b"x" * 65}), id="cti-too-long"),
        pytest.param(_with_body(v=2), id="version-2"),
        pytest.param(_with_body(v=True), id="version-bool"),
        pytest.param(_with_body(extra=1), id="unknown-key"),
        pytest.param(_with_body(kind="robot"), id="bad-kind"),
        pytest.param(_with_body(kind=["business"]), id="unhashable-kind"),
        pytest.param(_with_body(kind="person"), id="person-with-uscc"),
        pytest.param(_with_body(sub={"scheme": "uscc", "value": "91110000600037341N"}), id="bad-check"),
        pytest.param(_with_body(facts={"Nested": 1}), id="fact-name"),
        pytest.param(_with_body(facts={"x": {"deep": 1}}), id="fact-map"),
        pytest.param(_with_body(facts={"x": [[1]]}), id="fact-nested-list"),
        pytest.param(_with_body(facts={"x": float("inf")}), id="fact-inf"),
        pytest.param(_with_body(facts={"x": 2**60}), id="fact-big-int"),
        pytest.param(_with_body(facts={"x": "y" * 513}), id="fact-long-text"),
        pytest.param(_with_body(facts={f"f{i}": i for i in range(65)}), id="too-many-facts"),
        pytest.param(_with_body(facts={"x": list(range(65))}), id="fact-long-list"),
        pytest.param(_with_body(facts={"x": b"bytes"}), id="fact-bytes"),
        pytest.param(_with_body(facts=[1]), id="facts-list"),
    ],
)
def test_malformed_claims_are_refused(claims: dict[Any, Any]) -> None:
    assert step_of(signed(claims)) == "claims"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(cbor2.dumps(claims_map()) + b"\x00", id="trailing"),
        pytest.param(b"\xa2\x01\x61a\x01\x61b", id="duplicate-key"),
        pytest.param(b"\x81" * 40 + b"\x01", id="too-deep"),
        pytest.param(cbor2.dumps(cbor2.CBORTag(28, [1])), id="shared-ref-tag"),
        pytest.param(cbor2.dumps(cbor2.CBORTag(5, [10**6, 1])), id="bigfloat-tag"),
        pytest.param(b"\xbf\x01", id="truncated"),
        pytest.param(cbor2.dumps([1, 2]), id="not-a-map"),
    ],
)
def test_malformed_cwt_payload(payload: bytes) -> None:
    assert step_of(signed(payload)) == "claims"


def test_issuer_refuses_what_the_reader_would_refuse() -> None:
    with pytest.raises(CredentialError) as caught:
        issue(facts={"x": {"nested": True}})
    assert caught.value.step == "claims"
    with pytest.raises(CredentialError):
        issue(subject_value="91110000600037341N")
    with pytest.raises(ValueError):
        issue(kind="robot")
    born_today = "99010120261125123" + ric.calc_check_digit("99010120261125123" + "0")
    with pytest.raises(CredentialError):  # born after the credential was issued
        issue(kind="person", subject_value=born_today, issued_at=NOW - timedelta(days=1))
    assert read(issue(kind="person", subject_value=born_today, issued_at=NOW)).subject_kind == "person"


# -- trace for kiosk inspect ----------------------------------------------------------------


def test_trace_names_every_layer_and_holds_no_subject_or_facts() -> None:
    trace: list[LayerReport] = []
    read_presentation(issue(), SETTINGS, now=NOW, trace=trace)
    assert [r.layer for r in trace] == [
        "input", "payload", "prefix", "base45", "decompression", "cose",
        "signature", "claims", "validity", "revocation", "content",
    ]  # fmt: skip
    assert all(r.ok for r in trace)
    dumped = repr([r.to_json() for r in trace])
    assert BUSINESS not in dumped and "retail" not in dumped


def test_trace_stops_at_the_failing_layer() -> None:
    trace: list[LayerReport] = []
    with pytest.raises(CredentialError):
        read_presentation(issue(OTHER_ED_KEY), SETTINGS, now=NOW, trace=trace)
    assert trace[-1].layer == "signature" and not trace[-1].ok
    assert trace[-1].failed_step == "unknown_key"


# -- trust store ----------------------------------------------------------------------------


def _certificate(key: Any) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Demo Issuer")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def test_trust_store_from_certificates_and_keys(tmp_path: Any) -> None:
    cert = _certificate(EC_KEY)
    der = cert.public_bytes(serialization.Encoding.DER)
    kid = hashlib.sha256(der).digest()[:8]
    assert list(TrustStore.from_bytes(der)) == [kid]
    pem_cert = cert.public_bytes(serialization.Encoding.PEM)
    pem_key = ED_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    bundle = tmp_path / "trust.pem"
    bundle.write_bytes(b"comment line\n" + pem_cert + pem_key)
    store = TrustStore.from_files([bundle])
    assert set(store) == {kid, key_id_of_public_key(ED_KEY.public_key())}
    spki_der = EC_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert list(TrustStore.from_bytes(spki_der)) == [key_id_of_public_key(EC_KEY.public_key())]
    # A credential signed under the certificate's kid verifies with the certificate's key.
    text = signed(claims_map(), EC_KEY, kid=kid)
    assert read(text, CredentialSettings(trust=TrustStore.from_bytes(der))).offline_capable


def test_trust_store_refuses_private_keys_and_junk(tmp_path: Any) -> None:
    private_pem = ED_KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    weak_pem = weak.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for data in (private_pem, b"junk", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", weak_pem):
        with pytest.raises(TrustKeyError):
            TrustStore.from_bytes(data)
    with pytest.raises(TrustKeyError):
        TrustStore.from_files([tmp_path / "missing.pem"])
