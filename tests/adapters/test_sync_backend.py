"""The real pieces end to end: `kiosk-backend bundle`, the real backend on loopback serving the
signed bundle, `kiosk sync`, and offline decisions that match the backend's online answers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from demo.records import DemoSubject
from kiosk.adapters.store import Store
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR
from kiosk.core.bundle_signing import verify_bundle
from kiosk.core.credentials import read_presentation, revocation_hash
from kiosk.core.decision_records import Mode
from kiosk.core.offline import credential_settings, decide_offline
from kiosk.station.offline import cached_bundle, decide_from_cache
from tests.support.backend import AUTH, check_body, demo_server
from tests.support.bundle import AUTHORITY_PRIVATE_PEM, AUTHORITY_PUBLIC_PEM, DEMO_KEYS, authorities, demo_issuer

ISSUER_PUBLIC = DEMO_KEYS / "issuer-ed25519-DEMO-public.pem"


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "XINYI_CONFIG": ""},
    )


def kiosk_backend(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[DemoSubject]]]:
    with demo_server(tmp_path_factory.mktemp("backend"), rate_per_second=None) as running:
        yield running


def test_sign_and_verify_commands(tmp_path: Path) -> None:
    revoked = tmp_path / "revoked.txt"
    revoked.write_text(
        f"# withdrawn credentials\n00112233445566778899aabbccddeeff\nsha256:{'ab' * 32}\n\n", encoding="utf-8"
    )
    out = tmp_path / "bundle.json"
    signed = kiosk_backend(
        "bundle",
        "sign",
        "--policy",
        str(DEFAULT_POLICY_DIR),
        "--key",
        str(AUTHORITY_PRIVATE_PEM),
        "--out",
        str(out),
        "--trust",
        str(ISSUER_PUBLIC),
        "--revoked",
        str(revoked),
        "--valid-days",
        "3",
        "--version",
        "12",
    )
    assert signed.returncode == 0, signed.stderr
    assert "2 revocation(s)" in signed.stdout and "1 trust key(s)" in signed.stdout
    bundle = verify_bundle(out.read_bytes(), authorities())
    assert bundle.version == 12 and bundle.expires_at - bundle.issued_at == timedelta(days=3)
    assert bundle.revoked == {revocation_hash("00112233445566778899aabbccddeeff"), "ab" * 32}
    assert "00112233445566778899aabbccddeeff" not in out.read_text(encoding="utf-8")

    verified = kiosk_backend("bundle", "verify", str(out), "--authority", str(AUTHORITY_PUBLIC_PEM))
    assert verified.returncode == 0 and "signature OK" in verified.stdout and "version 12" in verified.stdout
    wrong_key = kiosk_backend("bundle", "verify", str(out), "--authority", str(ISSUER_PUBLIC))
    assert wrong_key.returncode == 3 and "unknown_authority_key" in wrong_key.stderr
    out.write_bytes(out.read_bytes().replace(b'"version":12', b'"version":13'))
    tampered = kiosk_backend("bundle", "verify", str(out), "--authority", str(AUTHORITY_PUBLIC_PEM))
    assert tampered.returncode == 3 and "bad_signature" in tampered.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", str(ISSUER_PUBLIC)], "no PEM private key"),
        (["--key", str(DEMO_KEYS / "issuer-p256-DEMO-private.pem")], "must be ed25519"),
        (["--key", str(AUTHORITY_PRIVATE_PEM), "--policy", "/nonexistent"], "cannot be read"),
        (["--key", str(AUTHORITY_PRIVATE_PEM), "--revoked", "/nonexistent"], "revocation file"),
    ],
)
def test_sign_refuses_bad_inputs_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    base = ["--policy", str(DEFAULT_POLICY_DIR), "--out", str(tmp_path / "b.json")]
    result = kiosk_backend("bundle", "sign", *base, *args)
    assert result.returncode == 3
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_backend_serves_a_signed_bundle_with_an_etag(served: tuple[str, list[DemoSubject]]) -> None:
    url, _ = served
    with httpx.Client(base_url=url, headers=AUTH) as http:
        first = http.get("/v1/bundle")
        assert first.status_code == 200
        bundle = verify_bundle(first.content, authorities())
        assert first.headers["etag"] == f'"{bundle.digest}"'
        again = http.get("/v1/bundle", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304


def test_kiosk_sync_updated_unchanged_refused_unreachable(
    served: tuple[str, list[DemoSubject]], tmp_path: Path
) -> None:
    url, _ = served
    data = tmp_path / "data"
    common = ["--backend", url, "--token", "demo-token", "--data-dir", str(data)]
    first = kiosk("sync", *common, "--authority", str(AUTHORITY_PUBLIC_PEM))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("updated: policy bundle version")
    second = kiosk("sync", *common, "--authority", str(AUTHORITY_PUBLIC_PEM))
    assert second.returncode == 0 and second.stdout.startswith("unchanged: holding version")
    untrusting = kiosk("sync", *common)  # no authority configured: no bundle is trusted
    assert untrusting.returncode == 2 and "no authority_keys configured" in untrusting.stderr
    refused = kiosk("sync", *common, "--authority", str(ISSUER_PUBLIC))
    assert refused.returncode == 3
    assert "refused (unknown_authority_key)" in refused.stderr
    unreachable = kiosk(
        "sync", "--backend", "http://127.0.0.1:9", "--data-dir", str(data), "--authority", str(AUTHORITY_PUBLIC_PEM)
    )
    assert unreachable.returncode == 4
    assert "unreachable" in unreachable.stderr and "h old; offline decisions allowed until" in unreachable.stderr
    no_token = kiosk(
        "sync", "--backend", url, "--data-dir", str(tmp_path / "other"), "--authority", str(AUTHORITY_PUBLIC_PEM)
    )
    assert no_token.returncode == 4 and "401" in no_token.stderr and "none (offline" in no_token.stderr


def test_offline_decisions_match_the_backend_online_for_demo_subjects(
    served: tuple[str, list[DemoSubject]], tmp_path: Path
) -> None:
    url, subjects = served
    data = tmp_path / "data"
    assert (
        kiosk(
            "sync",
            "--backend",
            url,
            "--token",
            "demo-token",
            "--data-dir",
            str(data),
            "--authority",
            str(AUTHORITY_PUBLIC_PEM),
        ).returncode
        == 0
    )
    issuer = demo_issuer()
    now = datetime.now(UTC)
    bundle = cached_bundle(Store(data), authorities())  # what decide_from_cache reads, once
    settings = credential_settings(bundle)
    compared = 0
    with httpx.Client(base_url=url, headers=AUTH) as http:
        for subject in subjects:
            if subject.scheme not in ("uscc", "ric") or not subject.on_record:
                continue
            payload = issuer.issue(
                kind=subject.kind,
                subject_value=subject.value,  # type: ignore[arg-type]
                facts=dict(subject.facts),
                issued_at=now - timedelta(hours=1),
            )
            for benefit_id in subject.expected:
                online = http.post("/v1/eligibility", json=check_body(subject, benefit_id, "zh-CN"))
                if online.status_code != 200:
                    continue  # this benefit takes no identifier of this kind
                answer = online.json()
                if compared % 50 == 0:  # the whole path now and then; it re-verifies the bundle
                    offline = decide_from_cache(data, benefit_id, payload, "zh-CN", now, authorities=authorities())
                else:
                    presentation = read_presentation(payload, settings, now=now)
                    offline = decide_offline(presentation, bundle, benefit_id, "zh-CN", now)
                assert offline.mode is Mode.OFFLINE
                assert offline.outcome.value == answer["outcome"], (subject.label, benefit_id)
                assert [(c.id, c.status.value, c.reason, c.remedy) for c in offline.criteria] == [
                    (c["id"], c["status"], c["reason"], c["remedy"]) for c in answer["criteria"]
                ]
                compared += 1
    assert compared >= 100
