"""Random and hostile bytes into every parser the backend runs on input it did not write (issue
#18, "a property test feeds random and hostile bytes to every parser"): the API body, the
config file, the device tokens file. The only acceptable outcomes are a parsed value or the
typed refusal — a 4xx problem for the API, one line naming the file for the files.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.auth import DeviceCredential, DeviceTokensError, read_tokens_file, write_tokens_file
from backend.eligibility import EligibilityRequest, parse_request
from backend.problems import ProblemError
from backend.settings import Settings, load_settings
from demo.records import DEMO_DEVICE_ID, write_demo_database
from kiosk.core.errors import KioskError
from tests.support.backend import AUTH, assert_problem, client, demo

__all__ = ["client", "demo"]  # fixtures

# --- hostile JSON, as text: what a generator of valid JSON values never produces ----------

def nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


HOSTILE_JSON = st.one_of(
    st.integers(1, 200_000).map(nested),
    st.integers(1, 50_000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    st.integers(4000, 20_000).map(lambda digits: "9" * digits),  # past the 4300-digit int limit
    st.integers(4000, 20_000).map(lambda digits: '{"benefit": ' + "1" * digits + "}"),
    st.sampled_from(["NaN", "Infinity", "-Infinity", '{"a": NaN}', "1e99999", "-0", "[1e309]"]),
    st.sampled_from(['"\\ud800"', '{"benefit": "\\udfff"}', '{"\\u0000": 1}', '"\\u"', '"\\x41"']),
    st.sampled_from(['{"benefit": 1, "benefit": 2}', '{"subject": {"scheme": "uscc", "scheme": "ric"}}']),
    st.sampled_from(["", " ", "\ufeff{}", "{}garbage", "[]", "null", "true", '"' + "a" * 20_000 + '"']),
)
VALID_SHAPE = st.fixed_dictionaries(
    {
        "benefit": st.one_of(st.text(max_size=70), st.integers(), st.none()),
        "subject": st.one_of(
            st.fixed_dictionaries(
                {
                    "scheme": st.sampled_from(["uscc", "ric", "token", "credential", "", "USCC"]),
                    "value": st.one_of(st.text(max_size=5000), st.integers(), st.lists(st.text(), max_size=3)),
                }
            ),
            st.text(max_size=10),
        ),
        "locale": st.sampled_from(["zh-CN", "en", "EN", "", "zh_CN"]),
        "device": st.one_of(st.just(DEMO_DEVICE_ID), st.text(max_size=70)),
    }
).map(lambda document: json.dumps(document, ensure_ascii=False))

BODIES = st.one_of(
    st.binary(max_size=4096),
    HOSTILE_JSON.map(str.encode),
    VALID_SHAPE.map(str.encode),
    HOSTILE_JSON.map(lambda text: text.encode("utf-16")),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
)


@settings(max_examples=600, deadline=None)
@given(body=BODIES)
def test_the_api_body_parser_gives_a_request_or_a_4xx_problem_only(body: bytes) -> None:
    try:
        parsed = parse_request(body)
    except ProblemError as error:
        assert 400 <= error.kind.status < 500
        assert "\n" not in error.detail
        return
    assert isinstance(parsed, EligibilityRequest)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain"]))
def test_the_api_answers_any_body_with_a_decision_or_a_4xx_problem(
    client: httpx.Client, body: bytes, content_type: str
) -> None:
    response = client.post("/v1/eligibility", content=body, headers={**AUTH, "Content-Type": content_type})
    if response.status_code == 200:
        assert response.json()["outcome"] in ("eligible", "not_eligible", "undetermined")
        return
    assert_problem(response, response.status_code)
    assert 400 <= response.status_code < 500


# --- the config file and the tokens file --------------------------------------------------

@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="xinyi-property-") as name:
        path = Path(name)
        write_demo_database(path / "records.sqlite3")
        write_tokens_file(path / "devices.json", [DeviceCredential.from_token("kiosk-0001", "t" * 43)])
        yield path


KEYS = st.sampled_from(
    ["db", "device_tokens", "policy_dir", "host", "port", "rate_per_second", "rate_burst", "log_requests",
     "preload_records", "max_connections", "header_timeout", "body_timeout", "keep_alive_timeout", "x", "db.x"]
)
TOML_VALUES = st.one_of(
    st.sampled_from(
        ["nan", "+nan", "-nan", "inf", "-inf", "0", "-1", "1e308", "1.5", "true", "false", "0x7f", "0o777",
         "1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", "[]", "{}", '""', '"records.sqlite3"',
         '"devices.json"', '"::1"', '"[::1"', '"127.0.0.1"', '"/dev/zero"', '"/"', '"."', "[1, [2, [3]]]",
         "{ a = { b = 1 } }", '"""multi\nline"""', "'literal'"]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: repr(x).replace("inf", "inf").lower()),
    st.text(max_size=40).map(json.dumps),
    st.integers(1, 6000).map(nested),
    st.integers(1, 3000).map(lambda depth: "{a = " * depth + "1" + "}" * depth),
)
REQUIRED = 'db = "records.sqlite3"\ndevice_tokens = "devices.json"\n'
CONFIGS = st.one_of(
    st.binary(max_size=2048),
    st.lists(st.tuples(KEYS, TOML_VALUES), max_size=8).map(
        lambda pairs: (REQUIRED + "".join(f"{key} = {value}\n" for key, value in pairs)).encode()
    ),
    st.lists(st.tuples(KEYS, TOML_VALUES), max_size=8).map(
        lambda pairs: "".join(f"{key} = {value}\n" for key, value in pairs).encode()
    ),
    st.text(max_size=500).map(lambda text: (REQUIRED + text).encode("utf-8", "surrogatepass")),
)


def assert_one_line(error: KioskError, origin: Path) -> None:
    assert "\n" not in error.detail, error.detail
    assert error.detail.startswith(str(origin.parent)), error.detail


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=CONFIGS)
def test_the_config_parser_gives_settings_or_one_line(folder: Path, content: bytes) -> None:
    path = folder / "backend.toml"
    path.write_bytes(content)
    try:
        parsed = load_settings(path)
    except KioskError as error:
        assert_one_line(error, path)
        return
    assert isinstance(parsed, Settings)
    # What is taken is usable: `rate_per_second = nan` once parsed and switched the limiter off.
    numbers = [parsed.port, parsed.rate_burst, parsed.rate_per_second or 0.0, parsed.limits.header_timeout,
               parsed.limits.body_timeout, parsed.limits.keep_alive_timeout, parsed.limits.max_connections or 1]
    assert all(math.isfinite(number) and number >= 0 for number in numbers), numbers
    assert 0 <= parsed.port <= 65535 and parsed.rate_burst >= 1 and (parsed.rate_per_second or 1) > 0
    assert parsed.limits.header_timeout > 0 and parsed.limits.body_timeout > 0


TOKENS_DOCUMENTS = st.one_of(
    st.binary(max_size=2048),
    HOSTILE_JSON.map(str.encode),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=70),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
            st.sampled_from(["devices", "device", "salt", "hmac_sha256", "x"]), inner, max_size=4
        ),
        max_leaves=20,
    ).map(lambda document: json.dumps(document).encode()),
    st.lists(
        st.fixed_dictionaries(
            {"device": st.text(max_size=70), "salt": st.text("0123456789abcdef０", max_size=40),
             "hmac_sha256": st.text("0123456789abcdef", max_size=70)}
        ),
        max_size=3,
    ).map(lambda entries: json.dumps({"devices": entries}, ensure_ascii=False).encode()),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=TOKENS_DOCUMENTS)
def test_the_tokens_file_parser_gives_credentials_or_one_line(folder: Path, content: bytes) -> None:
    path = folder / "hostile-devices.json"
    path.write_bytes(content)
    try:
        credentials = read_tokens_file(path)
    except DeviceTokensError as error:
        assert_one_line(error, path)
        return
    assert all(isinstance(credential, DeviceCredential) for credential in credentials)
