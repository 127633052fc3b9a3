"""Backend security gaps not covered by tests/test_backend_*.py: device tokens at rest, matching
in constant time, and a rate limit that is per device (one busy kiosk does not block another).

Already proven elsewhere (not repeated here): 401 without a token and 403 for another device's
id (test_backend_errors), body limits with and without Content-Length and chunked (same), strict
schemas with unknown fields refused (same, and test_backend_openapi), security headers on every
answer and no CORS (test_backend_errors::test_cors_is_not_offered, assert_security_headers),
schemathesis against the OpenAPI document (test_backend_openapi), 429 with Retry-After
(test_backend_ratelimit).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from backend.auth import DeviceCredential, DeviceRegistry, read_tokens_file
from backend.settings import Settings
from demo.issuer import demo_backend_keys
from demo.records import demo_subjects, write_demo_database
from tests.support.backend import check_body, loopback_client, running_server

BACKEND = [sys.executable, "-m", "backend.cli"]


def issue_token(tokens: Path, device: str) -> str:
    result = subprocess.run([*BACKEND, "device-token", "issue", "--device", device, "--tokens", str(tokens)],
                            capture_output=True, text=True, check=True, timeout=60)
    return result.stdout.strip()


def test_the_tokens_file_holds_salted_hashes_never_a_token(tmp_path: Path) -> None:
    tokens = tmp_path / "device-tokens.json"
    issued = {device: issue_token(tokens, device) for device in ("kiosk-0001", "kiosk-0002")}
    raw = tokens.read_bytes()
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    for token in issued.values():
        assert len(token) >= 40  # 32 random bytes
        for shape in (token.encode(), token.encode().hex().encode(), base64.b64encode(token.encode())):
            assert shape not in raw
    entries = json.loads(raw)["devices"]
    assert {e["device"] for e in entries} == set(issued)
    assert len({e["salt"] for e in entries}) == 2
    for entry in entries:
        assert set(entry) == {"device", "token_id", "salt", "hmac_sha256", "issued_at"}
        assert issued[entry["device"]].startswith(entry["token_id"] + ".")
        digest = hmac.new(bytes.fromhex(entry["salt"]), issued[entry["device"]].encode(), hashlib.sha256)
        assert digest.hexdigest() == entry["hmac_sha256"]
    # Issuing again for a device replaces its token: the old one stops working.
    again = issue_token(tokens, "kiosk-0001")
    registry = DeviceRegistry(read_tokens_file(tokens))
    assert registry.device_for(f"Bearer {again}") == "kiosk-0001"
    assert registry.device_for(f"Bearer {issued['kiosk-0001']}") is None
    assert registry.device_for(f"Bearer {issued['kiosk-0002']}") == "kiosk-0002"


def count_compare_digest_calls(registry: DeviceRegistry, header: str) -> tuple[str | None, int]:
    """Run one lookup and count the C-level hmac.compare_digest calls it makes."""
    calls = 0

    def profiler(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "c_call" and arg is hmac.compare_digest:
            calls += 1

    sys.setprofile(profiler)
    try:
        found = registry.device_for(header)
    finally:
        sys.setprofile(None)
    return found, calls


def test_a_lookup_costs_one_comparison_whatever_the_fleet_size_or_the_token() -> None:
    """Constant work per request (issue #18 item 16): one HMAC and one compare_digest, for a
    fleet of 6 or of 3,000, whether the token matches, has a known id and a wrong secret, an
    unknown id, or no id at all."""
    from backend.auth import new_token

    counts = set()
    for size in (6, 3000):
        tokens = {f"kiosk-{n:04d}": new_token() for n in range(size)}
        registry = DeviceRegistry(DeviceCredential.from_token(d, t) for d, t in tokens.items())
        known = tokens["kiosk-0003"]
        for device, token in (("kiosk-0000", tokens["kiosk-0000"]), ("kiosk-0005", tokens["kiosk-0005"]),
                              (None, known[:-1] + ("y" if known[-1] != "y" else "z")),
                              (None, new_token()), (None, "token-without-id-" + "x" * 40)):
            found, calls = count_compare_digest_calls(registry, f"Bearer {token}")
            assert found == device
            counts.add(calls)
    assert counts == {1}


@contextmanager
def two_device_server(tmp: Path, tokens: dict[str, str]) -> Iterator[str]:
    write_demo_database(tmp / "demo.sqlite3")
    settings = Settings(
        db_path=tmp / "demo.sqlite3",
        devices=tuple(DeviceCredential.from_token(d, t) for d, t in tokens.items()),
        rate_per_second=0.01,
        rate_burst=2,
        **demo_backend_keys(),  # type: ignore[arg-type]
    )
    with running_server(settings) as url:
        yield url


def test_the_rate_limit_is_per_device(tmp_path: Path) -> None:
    tokens = {"kiosk-busy": "busy-" + "b" * 40, "kiosk-calm": "calm-" + "c" * 40, "kiosk-late": "late-" + "l" * 40}
    subject = next(s for s in demo_subjects() if s.expected)
    benefit = sorted(subject.expected)[0]
    with two_device_server(tmp_path, tokens) as url, loopback_client(url) as http:
        def post(device: str) -> int:
            body = {**check_body(subject, benefit), "device": device}
            headers = {"Authorization": f"Bearer {tokens[device]}"}
            return http.post("/v1/eligibility", json=body, headers=headers).status_code

        assert [post("kiosk-busy") for _ in range(3)] == [200, 200, 429]
        assert [post("kiosk-calm") for _ in range(2)] == [200, 200]
        assert post("kiosk-busy") == 429
        # Wrong tokens are refused before the limiter: they cannot use up anyone's budget.
        for _ in range(5):
            wrong = http.post("/v1/eligibility", json={**check_body(subject, benefit), "device": "kiosk-late"},
                              headers={"Authorization": "Bearer " + "l" * 45})
            assert wrong.status_code == 401
        assert [post("kiosk-late") for _ in range(3)] == [200, 200, 429]
