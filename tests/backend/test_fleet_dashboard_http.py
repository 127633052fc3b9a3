"""The /fleet dashboard over plain HTTP: sign-in and sessions, escaping, languages, and a session
that ends the moment its operator token is revoked (the browser test is tests/fleet/)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx

from backend.commands.serve import DEMO_OPERATOR_TOKEN
from tests.support.backend import assert_security_headers, loopback_client, running_server
from tests.support.fleet import DEVICE, beat, fleet_settings

HOSTILE = '<script>alert("x")</script>&<img src=x onerror=1>'


def sign_in(client: httpx.Client, token: str, lang: str = "en") -> httpx.Response:
    return client.post("/fleet/login", data={"token": token, "lang": lang})


def test_everything_a_kiosk_sends_is_shown_escaped(tmp_path: Path) -> None:
    with running_server(fleet_settings(tmp_path)) as url, loopback_client(url) as client:
        assert client.post("/v1/heartbeat", json=beat(policy_version=HOSTILE), headers=DEVICE).status_code == 200
        page = sign_in(client, DEMO_OPERATOR_TOKEN)
    assert page.status_code == 200, page.text
    assert HOSTILE not in page.text and "<script" not in page.text and "<img" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&lt;img src=x onerror=1&gt;" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy and "style-src 'self'" in policy
    assert_security_headers_without_the_default_policy(page)


def assert_security_headers_without_the_default_policy(page: httpx.Response) -> None:
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers.get_list("content-security-policy") == [page.headers["content-security-policy"]]


def test_sign_in_sets_a_strict_cookie_and_sign_out_ends_the_session(tmp_path: Path) -> None:
    with running_server(fleet_settings(tmp_path)) as url, loopback_client(url) as client:
        login = client.get("/fleet?lang=en")
        assert login.status_code == 200 and 'name="token"' in login.text and "set-cookie" not in login.headers
        page = sign_in(client, DEMO_OPERATOR_TOKEN)
        cookie = page.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/fleet" in cookie
        assert DEMO_OPERATOR_TOKEN not in cookie
        assert 'id="states"' in client.get("/fleet?lang=zh-CN").text
        out = client.post("/fleet/logout", data={"lang": "en"})
        assert out.status_code == 200 and 'name="token"' in out.text
        assert 'name="token"' in client.get("/fleet").text


def test_wrong_tokens_get_no_session_and_a_flood_of_them_is_slowed(tmp_path: Path) -> None:
    with running_server(fleet_settings(tmp_path)) as url, loopback_client(url) as client:
        statuses = [sign_in(client, f"guess-{n}").status_code for n in range(22)]
        assert statuses[0] == 401 and statuses[-1] == 429
        assert "set-cookie" not in sign_in(client, "guess").headers
        assert_security_headers(client.get("/v1/health"))


def test_a_revoked_operator_token_ends_its_sessions_within_a_second(tmp_path: Path) -> None:
    operators = tmp_path / "operators.json"
    issue = [
        sys.executable,
        "-m",
        "backend.cli",
        "operator-token",
        "issue",
        "--operators",
        str(operators),
        "--operator",
        "ops-wang",
    ]
    token = subprocess.run(issue, capture_output=True, text=True, check=True).stdout.strip()
    settings = replace(fleet_settings(tmp_path), operator_tokens=operators, operators=())
    with running_server(settings) as url, loopback_client(url) as client:
        assert "ops-wang" in sign_in(client, token).text
        assert client.get("/v1/fleet", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        revoke = [
            sys.executable,
            "-m",
            "backend.cli",
            "operator-token",
            "revoke",
            "--operators",
            str(operators),
            "--operator",
            "ops-wang",
        ]
        subprocess.run(revoke, capture_output=True, check=True)
        time.sleep(1.2)
        assert 'name="token"' in client.get("/fleet").text, "the session ended with its token"
        assert client.get("/v1/fleet", headers={"Authorization": f"Bearer {token}"}).status_code == 401
