"""No answer redirects (issue #18 item 11): a redirect before authentication is built from the
client's Host header, so it hands any caller an open redirect and answers before the token is
looked at. Every path that is not exactly one of ours — trailing slashes, doubled slashes, dot
segments, case — gets a 404 problem+json (401/405 when the path is ours), never a 3xx.

The requests go through http.client, which sends the path as written (httpx would normalise
the dot segments away before they reach the server).
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.app import FLEET_PATHS, PATHS
from demo.records import DemoSubject
from tests.support.backend import AUTH, SECURITY_HEADERS, demo

__all__ = ["demo"]  # fixtures

METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH")
HOSTILE_HOST = "evil.example"
Served = tuple[str, list[DemoSubject]]


def near_misses(path: str) -> list[str]:
    return [path + "/", path + "//", "/" + path, path + "/.", path + "/./", path.upper()]


def raw_request(base_url: str, method: str, path: str, token: bool) -> tuple[int, dict[str, str], bytes]:
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    headers = {"Host": HOSTILE_HOST, "Content-Type": "application/json", **(AUTH if token else {})}
    try:
        connection.request(method, path, body=b"{}", headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def assert_not_redirected(status: int, headers: dict[str, str], body: bytes, method: str) -> None:
    assert not 300 <= status < 400, status
    assert "location" not in headers
    if method != "HEAD":
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["status"] == status
        assert HOSTILE_HOST.encode() not in body
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value


@pytest.mark.parametrize("path", [p for known in PATHS + FLEET_PATHS for p in near_misses(known)])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("token", [False, True], ids=["no-token", "token"])
def test_a_near_miss_of_a_path_is_a_problem_never_a_redirect(
    demo: Served, path: str, method: str, token: bool
) -> None:
    status, headers, body = raw_request(demo[0], method, path, token)
    assert_not_redirected(status, headers, body, method)
    assert status in (401, 404, 405)


def test_post_to_eligibility_with_a_trailing_slash_and_no_token_is_a_404_problem(demo: Served) -> None:
    status, headers, body = raw_request(demo[0], "POST", "/v1/eligibility/", token=False)
    assert status == 404
    assert_not_redirected(status, headers, body, "POST")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.lists(
        st.sampled_from(["v1", "eligibility", "bundle", "health", "openapi.json", "fleet", "metrics", "heartbeat",
                         "login", "", ".", "..", "%2F", "x"]),
        min_size=1, max_size=5,
    ).map(lambda parts: "/" + "/".join(parts)),
    method=st.sampled_from(METHODS),
    token=st.booleans(),
)
def test_no_path_is_ever_answered_with_a_redirect(demo: Served, path: str, method: str, token: bool) -> None:
    status, headers, _body = raw_request(demo[0], method, path, token)
    assert not 300 <= status < 400, (method, path)
    assert "location" not in headers
