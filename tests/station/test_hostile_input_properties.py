"""Random and hostile bytes into every kiosk-side parser of untrusted input (issue #18): the
policy bundle, a presented credential, the backend's decision answer, scanner frames, ID-card
reader frames and the kiosk config. Whatever arrives, only the parser's typed refusal comes out
(or a valid result): never a bare ValueError, RecursionError, TypeError or anything else."""

from __future__ import annotations

import json
import math
import re
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import base45
import cbor2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardware.errors import DeviceError
from hardware.sam import SamFrameBuffer, build_reply, card_from_base_info
from hardware.scan_framing import MAX_SCAN_BYTES, OversizedScan, RawScan, ScanFramer, split_aim
from kiosk.adapters.backend_client import InvalidResponse, _Answer, _decision
from kiosk.core.bundle import REASONS, BundleError, PolicyBundle
from kiosk.core.bundle_signing import verify_bundle
from kiosk.core.credentials import STEPS, CredentialError, read_presentation
from kiosk.core.offline import credential_settings
from kiosk.station.config import ConfigError, _parse, load_config
from tests.support.bundle import authorities, signed, verified

NOW = datetime.now(UTC).replace(microsecond=0)
HOSTILE = settings(max_examples=150, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
GENUINE_BUNDLE = signed(version=1, issued_at=NOW - timedelta(hours=1))
AUTHORITIES = authorities()
BUNDLE = verified(issued_at=NOW - timedelta(hours=1))
CREDENTIAL_SETTINGS = credential_settings(BUNDLE)

# JSON values as hostile senders write them: huge integers, NaN, deep nesting, odd strings.
_scalars = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(), st.text(max_size=40),
    # An integer of more digits than Python converts (4300), written into the JSON text as is.
    st.integers(min_value=4301, max_value=6000).map(lambda digits: f"\x00BIG{digits}\x00"),
)
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)


_BIG = re.compile(r'"\\u0000BIG([0-9]+)\\u0000"')


def _json_text(value: Any) -> bytes:
    text = json.dumps(value, allow_nan=True)
    return _BIG.sub(lambda match: "9" * int(match.group(1)), text).encode()


def _refused_bundle(raw: bytes) -> None:
    try:
        bundle = verify_bundle(raw, AUTHORITIES)
    except BundleError as error:
        assert error.reason in REASONS and error.text.zh and error.text.en
        return
    assert isinstance(bundle, PolicyBundle)


@HOSTILE
@given(st.binary(max_size=2048))
def test_random_bytes_as_a_bundle_are_refused_by_reason(raw: bytes) -> None:
    _refused_bundle(raw)


@HOSTILE
@given(json_values, json_values)
def test_any_json_in_a_bundle_envelope_is_refused_by_reason(payload: Any, signature: Any) -> None:
    for raw in (
        b'{"payload":' + _json_text(payload) + b',"signature":' + _json_text(signature) + b"}",
        _json_text({"payload": payload, "signature": signature}),
        _json_text(payload),
    ):
        _refused_bundle(raw)


@HOSTILE
@given(st.data())
def test_a_genuine_bundle_with_any_field_replaced_is_refused_by_reason(data: st.DataObject) -> None:
    envelope = json.loads(GENUINE_BUNDLE)
    part = data.draw(st.sampled_from(["payload", "signature"]))
    field = data.draw(st.sampled_from(sorted(envelope[part])))
    envelope[part][field] = data.draw(json_values)
    _refused_bundle(_json_text(envelope))


@HOSTILE
@given(st.integers(min_value=0, max_value=len(GENUINE_BUNDLE) - 1), st.binary(min_size=1, max_size=8))
def test_a_genuine_bundle_with_bytes_spliced_in_is_refused_or_unchanged(at: int, splice: bytes) -> None:
    raw = GENUINE_BUNDLE[:at] + splice + GENUINE_BUNDLE[at + len(splice):]
    try:
        bundle = verify_bundle(raw, AUTHORITIES)
    except BundleError as error:
        assert error.reason in REASONS
        return
    assert bundle.digest == BUNDLE.digest  # only insignificant bytes changed


def _refused_credential(raw: bytes | str) -> None:
    try:
        read_presentation(raw, CREDENTIAL_SETTINGS, now=NOW)
    except CredentialError as error:
        assert error.step in STEPS and error.text.zh and error.text.en


_cbor_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.binary(max_size=20), st.text(max_size=20),
              st.floats(allow_nan=True)),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.one_of(st.integers(-300, 300), st.text(max_size=5)), inner, max_size=5),
    max_leaves=25,
)


@HOSTILE
@given(st.one_of(st.binary(max_size=5000), st.text(max_size=300)))
def test_random_scanner_bytes_as_a_credential_are_refused_by_step(raw: bytes | str) -> None:
    _refused_credential(raw)
    if isinstance(raw, str):
        _refused_credential("XK1:" + raw)


@HOSTILE
@given(_cbor_values, st.sampled_from([None, 18, 61, 99, 2, 28]))
def test_any_cbor_in_the_credential_container_is_refused_by_step(item: Any, tag: int | None) -> None:
    body = cbor2.dumps(item if tag is None else cbor2.CBORTag(tag, item))
    _refused_credential("XK1:" + base45.b45encode(zlib.compress(body)).decode())
    # and as the four parts of a COSE_Sign1, with the item in each place
    for place in range(4):
        parts: list[Any] = [cbor2.dumps({1: -8, 4: b"12345678"}), {}, cbor2.dumps({1: "x"}), b"\x00" * 64]
        parts[place] = item
        cose = cbor2.dumps(cbor2.CBORTag(18, parts))
        _refused_credential("XK1:" + base45.b45encode(zlib.compress(cose)).decode())


@HOSTILE
@given(st.one_of(json_values.map(_json_text), st.binary(max_size=300)),
       st.sampled_from(["application/json", "application/problem+json", "text/html", ""]))
def test_any_decision_answer_from_the_backend_is_an_invalid_response(body: bytes, content_type: str) -> None:
    try:
        _decision(_Answer(200, content_type, body))
    except InvalidResponse as error:
        assert error.text.zh and error.text.en


_chunks = st.lists(st.tuples(st.floats(0, 0.5), st.binary(max_size=300)), max_size=30)


@HOSTILE
@given(_chunks, st.sampled_from([b"\r", b"\n", b"\r\n", b""]), st.integers(1, MAX_SCAN_BYTES))
def test_scanner_frames_from_any_byte_stream_are_scans_or_oversized_reports(
    chunks: list[tuple[float, bytes]], terminator: bytes, max_length: int
) -> None:
    framer = ScanFramer(terminator=terminator, max_length=max_length, is_complete=lambda line: line[:1] == b"9")
    now, frames = 0.0, []
    for delay, chunk in chunks:
        now += delay
        frames += framer.feed(chunk, now)
    frames += framer.flush_due(now + 1.0) + framer.close()
    for frame in frames:
        assert isinstance(frame, RawScan | OversizedScan)
        if isinstance(frame, RawScan):
            assert 0 < len(frame.data) <= max_length
            symbology, payload, eci = split_aim(frame.data)
            assert symbology is None or len(symbology) == 3
            assert len(payload) <= len(frame.data) and (eci is None or 0 <= eci <= 999999)


@HOSTILE
@given(st.lists(st.one_of(
    st.binary(max_size=200),
    st.builds(lambda sw3, data: build_reply(sw3, data), st.sampled_from([0x90, 0x80, 0x31, 0x41]),
              st.binary(max_size=1400)),
), max_size=12))
def test_card_reader_frames_from_any_byte_stream_are_replies_or_typed_refusals(pieces: list[bytes]) -> None:
    buffer = SamFrameBuffer()
    for piece in pieces:
        buffer.feed(piece)
        for _ in range(50):
            try:
                reply = buffer.pop(lambda data: card_from_base_info(data))
            except DeviceError as error:
                assert error.detail
                continue
            if reply is None:
                break


@HOSTILE
@given(st.binary(max_size=2000))
def test_any_card_base_info_is_a_card_or_a_card_data_error(data: bytes) -> None:
    try:
        card_from_base_info(memoryview(data))
    except DeviceError as error:
        assert error.detail


@HOSTILE
@given(st.binary(max_size=3000))
def test_any_bytes_as_the_kiosk_config_are_a_config_error(tmp_path_factory: Any, raw: bytes) -> None:
    path = Path(tmp_path_factory.mktemp("config")) / "kiosk.toml"
    path.write_bytes(raw)
    try:
        load_config(path)
    except ConfigError as error:
        assert "\n" not in error.detail or "TOML" in error.detail


_config_keys = st.sampled_from([
    "backend_url", "device_id", "token_file", "data_dir", "locale", "offline_only", "credential_prefix",
    "trust_files", "authority_keys", "max_bundle_age_hours", "staff_pin_hash", "scanner", "idcard", "printer",
    "timeouts", "speech", "unknown",
])
_toml_values = st.recursive(
    st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
              st.sampled_from(["http://127.0.0.1:99999", "http://[::1", "scrypt$65536$8$1$00$00", "a\x00b",
                               "/dev/zero", "zh-CN", math.nan])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["port", "baud", "checking", "present", "x"]), inner, max_size=3),
    max_leaves=12,
)


@HOSTILE
@given(st.dictionaries(_config_keys, _toml_values, max_size=8))
def test_any_config_document_is_a_config_or_a_config_error(document: dict[str, Any]) -> None:
    try:
        config = _parse(document, "kiosk.toml", Path("/nonexistent"))
    except ConfigError as error:
        assert error.detail.startswith("kiosk.toml: ")
        return
    assert config.origin == "kiosk.toml"
