"""`kiosk-backend device-token issue | revoke | list` on the configured tokens file; a running
service that follows the file (revocation without restart); failed authentication rate-limited
per source address (issue #18 item 16)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from backend.auth import DeviceRegistry, read_tokens_file
from backend.gate import FAILURE_BURST, DeviceGate, failure_limiter
from backend.settings import load_settings
from tests.support.backend import running_server
from tests.support.deployment import BUSINESS, Deployment, make_deployment


@pytest.fixture
def site(tmp_path: Path) -> Deployment:
    return make_deployment(tmp_path / "site")


def client(url: str, source: str = "127.0.0.1") -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source,
                                    socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    return httpx.Client(base_url=url, timeout=10, transport=transport)


def check(http: httpx.Client, site: Deployment, token: str, device: str | None = None) -> httpx.Response:
    body = {"benefit": "fewer-inspections", "subject": {"scheme": "uscc", "value": BUSINESS},
            "locale": "en", "device": device or site.device}
    return http.post("/v1/eligibility", json=body, headers={"Authorization": f"Bearer {token}"})


def test_issue_list_revoke_on_the_configured_file(site: Deployment) -> None:
    config = str(site.config)
    code, second, _ = site.backend("device-token", "issue", "--config", config, "--device", "kiosk-0002")
    assert code == 0
    code, listed, _ = site.backend("device-token", "list", "--config", config)
    assert code == 0 and "kiosk-0001" in listed and "kiosk-0002" in listed
    assert site.token not in listed and second.strip() not in listed
    code, _, _ = site.backend("device-token", "revoke", "--config", config, "--device", "kiosk-0002")
    assert code == 0
    assert [c.device for c in read_tokens_file(site.folder / "devices.json")] == ["kiosk-0001"]
    before = (site.folder / "devices.json").read_bytes()
    code, _, err = site.backend("device-token", "revoke", "--config", config, "--device", "kiosk-0002")
    assert code == 3 and err.count("\n") == 1
    assert (site.folder / "devices.json").read_bytes() == before


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", json.dumps({"devices": [{"device": "x"}]}).encode()])
def test_a_faulty_tokens_file_is_named_and_left_as_it_was(site: Deployment, content: bytes) -> None:
    tokens = site.folder / "devices.json"
    tokens.write_bytes(content)
    for action in (["issue", "--device", "kiosk-9"], ["revoke", "--device", "kiosk-0001"], ["list"]):
        code, _, err = site.backend("device-token", action[0], "--config", str(site.config), *action[1:])
        assert code == 2 and "devices.json" in err and err.count("\n") == 1 and "Traceback" not in err
    assert tokens.read_bytes() == content


def test_a_revoked_token_is_refused_by_the_running_service_without_restart(site: Deployment) -> None:
    config = str(site.config)
    _, other, _ = site.backend("device-token", "issue", "--config", config, "--device", "kiosk-0002")
    other = other.strip()
    with running_server(load_settings(site.config)) as url, client(url) as http:
        assert check(http, site, site.token).status_code == 200
        assert check(http, site, other, "kiosk-0002").status_code == 200
        assert site.backend("device-token", "revoke", "--config", config, "--device", "kiosk-0001")[0] == 0
        deadline = time.monotonic() + 10
        while check(http, site, site.token).status_code == 200:
            assert time.monotonic() < deadline, "revoked token still accepted"
            time.sleep(0.2)
        assert check(http, site, site.token).status_code == 401
        assert check(http, site, other, "kiosk-0002").status_code == 200  # the others keep working
        # A new device issued now is accepted, also without a restart.
        _, third, _ = site.backend("device-token", "issue", "--config", config, "--device", "kiosk-0003")
        deadline = time.monotonic() + 10
        while check(http, site, third.strip(), "kiosk-0003").status_code != 200:
            assert time.monotonic() < deadline, "new token not accepted"
            time.sleep(0.2)


def test_failed_authentication_is_rate_limited_per_source_address(site: Deployment) -> None:
    with running_server(load_settings(site.config)) as url, client(url, "127.0.0.2") as guesser, \
            client(url, "127.0.0.3") as kiosk:
        statuses = [check(guesser, site, "guess-" + "x" * 40).status_code for _ in range(FAILURE_BURST + 3)]
        assert statuses[:FAILURE_BURST] == [401] * FAILURE_BURST
        assert statuses[FAILURE_BURST:] == [429] * 3
        refused = check(guesser, site, site.token)  # the address is blocked, whatever it sends
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert guesser.get("/v1/bundle", headers={"Authorization": "Bearer nope"}).status_code == 429
        # Another address is not affected.
        assert check(kiosk, site, site.token).status_code == 200
        assert check(kiosk, site, "guess-" + "y" * 40).status_code == 401


def test_a_blocked_address_costs_no_token_hashing() -> None:
    import hmac
    import sys

    from backend.auth import DeviceCredential, new_token
    from backend.problems import ProblemError

    token = new_token()
    gate = DeviceGate(DeviceRegistry([DeviceCredential.from_token("kiosk-1", token)]), None, failure_limiter())

    def hashes_while(header: str, address: str) -> tuple[int, int]:
        calls = 0

        def profiler(frame: object, event: str, arg: object) -> None:
            nonlocal calls
            if event == "c_call" and arg is hmac.compare_digest:
                calls += 1

        sys.setprofile(profiler)
        try:
            gate.admit(header, address)
            status = 200
        except ProblemError as error:
            status = error.kind.status
        finally:
            sys.setprofile(None)
        return status, calls

    assert [hashes_while("Bearer wrong", "192.0.2.7") for _ in range(FAILURE_BURST)] == [(401, 1)] * FAILURE_BURST
    assert hashes_while("Bearer wrong", "192.0.2.7") == (429, 0)
    assert hashes_while(f"Bearer {token}", "192.0.2.7") == (429, 0)
    assert hashes_while(f"Bearer {token}", "192.0.2.8") == (200, 1)


def test_the_failure_table_is_bounded() -> None:
    limiter = failure_limiter()
    limiter.max_keys = 100
    for n in range(1000):
        limiter.retry_after(f"198.51.100.{n}")
    assert len(limiter._buckets) <= 100
