"""USCC (GB 32100), resident ID number (GB 11643), opaque token, and scheme detection."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError

from kiosk.core.credentials import (
    STEP_TEXTS,
    STEPS,
    CredentialError,
    CredentialSettings,
    LayerReport,
    Presentation,
    Scheme,
    SubjectRef,
    read_presentation,
    revocation_hash,
    ric,
    token,
    uscc,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = CredentialSettings()


def read(raw: bytes | str) -> Presentation:
    return read_presentation(raw, SETTINGS, now=NOW)


def step_of(raw: bytes | str) -> str:
    with pytest.raises(CredentialError) as caught:
        read(raw)
    return caught.value.step


# -- USCC ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_value", "compact"),
    [
        ("91110000600037341L", "91110000600037341L"),  # stdnum doctest
        ("91 110000 600037341L", "91110000600037341L"),
        ("91110000600037341l", "91110000600037341L"),
        ("9111-0000-6000-3734-1L", "91110000600037341L"),
        ("121200004013590816", "121200004013590816"),
        ("9144030071526726XG", "9144030071526726XG"),
        ("91620105L015101280", "91620105L015101280"),
        ("91110108551385082Q", "91110108551385082Q"),  # uscc-utils README
        ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),  # full-width, as some IMEs type
    ],
)
def test_uscc_accepts_the_forms_people_present(given_value: str, compact: str) -> None:
    assert uscc.validate(given_value) == compact
    assert uscc.is_valid(given_value)


@pytest.mark.parametrize("code", ["N21100006000373414", "Y1110000600037341Y", "A1110000600037341K"])
def test_uscc_accepts_valid_codes_stdnum_rejects(code: str) -> None:
    """GB 32100 allows registering authorities A, N and Y; stdnum demands 8 leading digits."""
    with pytest.raises(ValidationError):
        stdnum_uscc.validate(code)
    assert uscc.validate(code) == code
    assert read(code).subject == SubjectRef(Scheme.USCC, code)


@pytest.mark.parametrize(
    ("code", "step"),
    [
        ("91110000600037341N", "check_digit"),
        ("A1110000600037341L", "check_digit"),
        ("9111000060003IOZSV", "format"),  # I, O, Z, S, V are not code characters
        ("12345", "format"),
        ("01110000600037341L", "format"),  # no registering authority 0
        ("91110000600037341LL", "format"),
    ],
)
def test_uscc_rejects_with_the_step(code: str, step: str) -> None:
    with pytest.raises(CredentialError) as caught:
        uscc.validate(code)
    assert caught.value.step == step
    assert not uscc.is_valid(code)
    assert code not in caught.value.detail


# -- resident ID number --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_value", "compact"),
    [
        ("360426199101010071", "360426199101010071"),
        ("44011320141005001x", "44011320141005001X"),
        ("440113 20141005 001x", "44011320141005001X"),
        ("990426199112010074", "990426199112010074"),  # region not in stdnum's table
        ("110111198012010078", "110111198012010078"),  # county "not yet registered" in 1980
    ],
)
def test_ric_accepts_the_forms_people_present(given_value: str, compact: str) -> None:
    assert ric.validate(given_value) == compact


def test_ric_does_not_depend_on_stdnums_region_table() -> None:
    for number in ("990426199112010074", "110111198012010078"):
        assert not stdnum_ric.is_valid(number)
        assert ric.is_valid(number)


@pytest.mark.parametrize(
    ("number", "step"),
    [
        ("36042619910102009X", "check_digit"),
        ("360426199113010079", "format"),  # month 13
        ("360426199102300071", "format"),  # 30 February
        ("990101209901011232", "format"),  # born in 2099: valid checksum, future date
        ("36042619910101007", "format"),
        ("36042619910101007A", "format"),
    ],
)
def test_ric_rejects_with_the_step(number: str, step: str) -> None:
    with pytest.raises(CredentialError) as caught:
        ric.validate(number, today=date(2026, 11, 25))
    assert caught.value.step == step
    assert number not in caught.value.detail


def test_ric_birth_date_today_is_accepted_tomorrow_is_not() -> None:
    body = "99010120261125123"
    number = body + ric.calc_check_digit(body + "0")
    assert ric.is_valid(number, today=date(2026, 11, 25))
    assert not ric.is_valid(number, today=date(2026, 11, 24))


# -- token ---------------------------------------------------------------------------------


def test_token_round_trip_and_limits() -> None:
    fresh = token.generate()
    assert token.validate(fresh) == fresh
    presented = read(fresh + "\r\n")
    assert presented.scheme is Scheme.TOKEN and presented.subject.value == fresh
    assert presented.subject_kind is None and presented.facts is None
    assert not presented.offline_capable


@pytest.mark.parametrize(
    ("value", "step"),
    [
        ("XKT:short", "format"),
        ("XKT:" + "A" * 22 + "=", "format"),  # padding is not base64url-unpadded
        ("XKT:" + "A" * 21 + "+", "format"),  # '+' is not base64url
        ("XKT:" + "A" * 200, "too_large"),
        ("XKT:" + "AAAAAAAAAAAAAAAAAAAAAB", "format"),  # non-canonical trailing bits
    ],
)
def test_token_rejects(value: str, step: str) -> None:
    assert step_of(value) == step


# -- detection -----------------------------------------------------------------------------


def test_resident_id_wins_when_both_check_characters_fit() -> None:
    number = "110101195001010009"  # a valid ID number that also passes the USCC mod-31 check
    assert uscc.is_valid(number) and ric.is_valid(number)
    presented = read(number)
    assert presented.scheme is Scheme.RIC
    assert presented.subject_kind == "person"


def test_usccs_and_ids_are_told_apart() -> None:
    assert read("91110000600037341L").scheme is Scheme.USCC
    assert read("91110000600037341L").subject_kind == "business"
    assert read("44011320141005001x").scheme is Scheme.RIC
    assert step_of("36042619910102009X") == "check_digit"  # ID-shaped: the ID's own error
    assert step_of("91110000600037341N") == "check_digit"


@pytest.mark.parametrize(
    "text",
    [
        "http://www.gsxt.gov.cn/index.html?uniscid=91110000600037341L",
        "统一社会信用代码：91110000600037341L\n名称：演示企业",
        "https://example.gov.cn/licence?code=91110000600037341L&v=2",
    ],
)
def test_business_licence_qr_text_yields_its_code(text: str) -> None:
    presented = read(text)
    assert presented.subject == SubjectRef(Scheme.USCC, "91110000600037341L")


def test_licence_text_with_two_codes_is_not_guessed() -> None:
    assert step_of("91110000600037341L 91110108551385082Q") == "unsupported_scheme"


def test_gb18030_and_utf8_scans_read_the_same() -> None:
    text = "统一社会信用代码:91110000600037341L"
    assert read(text.encode("gb18030")) == read(text.encode("utf-8"))


@pytest.mark.parametrize(
    ("raw", "step"),
    [
        (b"\xff\xfe\xff\x80", "encoding"),
        (b"A" * 4097, "too_large"),
        ("码" * 2000, "too_large"),  # 6000 UTF-8 bytes
        (b"", "unsupported_scheme"),
        ("hello world", "unsupported_scheme"),
        ("HC1:NCFOXN%TS3DH", "prefix"),  # a DCC is a signed credential, but not ours
        ("XK2:NCFOXN", "prefix"),
        ("WIFI:T:WPA;S:hall;P:secret;;", "unsupported_scheme"),
        ("https://example.com/a", "unsupported_scheme"),
    ],
)
def test_bad_input_gets_a_typed_error(raw: bytes | str, step: str) -> None:
    assert step_of(raw) == step


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        read_presentation("91110000600037341L", SETTINGS, now=datetime(2026, 1, 1))


# -- privacy, texts, revocation hash -------------------------------------------------------


def test_reprs_mask_the_subject() -> None:
    presented = read("44011320141005001X")
    for shown in (repr(presented), str(presented), repr(presented.subject), str(presented.subject)):
        assert "44011320141005001X" not in shown
    assert str(presented.subject) == "ric:4401…(18)"


def test_every_step_has_both_languages() -> None:
    assert set(STEP_TEXTS) == set(STEPS)
    for text in STEP_TEXTS.values():
        assert text.zh.strip() and text.en.strip()
        assert text.zh != text.en


def test_revocation_hash_is_sha256_hex_of_utf8() -> None:
    assert revocation_hash("00112233445566778899aabbccddeeff") == (
        "5947d7c33d783f94b3b4c1a96ebc8991ed28f1b069b71e03376cba8caa98a720"
    )
    assert revocation_hash("凭证") == hashlib.sha256("凭证".encode()).hexdigest()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_identifier_validators_raise_only_credential_errors(value: str) -> None:
    for validate in (uscc.validate, ric.validate, token.validate):
        try:
            validate(value)
        except CredentialError as error:
            assert error.step in STEPS


def test_trace_of_an_identifier_names_the_encoding_and_masks_the_code() -> None:
    trace: list[LayerReport] = []
    read_presentation("统一社会信用代码:91110000600037341L".encode("gb18030"), SETTINGS, now=NOW, trace=trace)
    assert [(r.layer, r.ok) for r in trace] == [("input", True), ("identifier", True)]
    assert trace[0].summary["encoding"] == "gb18030"
    assert trace[1].summary == {"scheme": "uscc", "subject": "uscc:9111…(18)"}
    failed: list[LayerReport] = []
    with pytest.raises(CredentialError):
        read_presentation("91110000600037341N", SETTINGS, now=NOW, trace=failed)
    assert failed[-1].failed_step == "check_digit"
    assert "91110000600037341N" not in repr([r.to_json() for r in failed])


@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17))
def test_uscc_check_character_is_stdnums(body: str) -> None:
    # uscc computes the check character itself (stdnum re-cleans on every call, and costs ~30 ms
    # of import at every start).
    check = stdnum_uscc.calc_check_digit(body)
    assert uscc.calc_check_digit(body + "0") == check
    code = body + check
    assert uscc.is_valid(code) == bool(uscc.PATTERN.fullmatch(code))
    wrong = uscc.ALPHABET[(uscc.ALPHABET.index(check) + 1) % len(uscc.ALPHABET)]
    assert not uscc.is_valid(body + wrong)


@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_ric_check_character_is_stdnums(body: str) -> None:
    # ric computes ISO 7064 MOD 11-2 itself (importing stdnum costs ~30 ms at every start).
    assert ric.calc_check_digit(body + "0") == stdnum_ric.calc_check_digit(body + "0")
