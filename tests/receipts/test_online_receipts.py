"""Online receipts: the real backend on loopback signs them; the bundle it serves verifies them."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from demo.issuer import DEMO_KEYS_DIR
from demo.records import DEMO_DEVICE_ID, DemoSubject, demo_subjects
from kiosk.core.bundle import load_authority_keys
from kiosk.core.bundle_signing import verify_bundle
from kiosk.core.decision_records import decision_from_json
from kiosk.core.receipts import ReceiptTrust, verify_receipt
from tests.receipts.decoded import claims_of, leaves
from tests.support.backend import AUTH, check_body, client, demo
from tests.support.serving import ROOT, free_port

__all__ = ["client", "demo"]  # fixtures

SUBJECTS = [s for s in demo_subjects() if s.on_record and s.scheme in ("uscc", "ric")]


def _bundle_trust(client: httpx.Client) -> ReceiptTrust:
    raw = client.get("/v1/bundle", headers=AUTH).content
    authority = load_authority_keys([(DEMO_KEYS_DIR / "authority-ed25519-DEMO-public.pem").read_bytes()])
    return verify_bundle(raw, authority).receipt_trust


def _other(subject: DemoSubject) -> DemoSubject:
    return next(s for s in SUBJECTS if s.scheme == subject.scheme and s.value != subject.value)


@pytest.mark.parametrize("subject", SUBJECTS[:4], ids=lambda s: f"{s.scheme}-{s.kind}")
def test_an_online_receipt_verifies_against_the_bundle_and_binds_its_subject(
    client: httpx.Client, subject: DemoSubject
) -> None:
    trust = _bundle_trust(client)
    assert {entry.signer for entry in trust.values()} == {"backend", "device"}
    benefit = sorted(subject.expected)[0]
    for _ in range(2):  # the first answer is decided, the second one rendered from the kept body
        body = client.post("/v1/eligibility", json=check_body(subject, benefit), headers=AUTH).json()
        decision = decision_from_json(body)
        assert decision.receipt is not None and decision.receipt.startswith("XKR:")
        check = verify_receipt(decision.receipt, trust, subject=f"{subject.scheme}:{subject.value}")
        assert check.ok and check.valid and check.subject_matches is True, check.to_json()
        assert check.receipt_id == decision.decision_id
        assert check.benefit == benefit and check.outcome is decision.outcome
        assert check.criteria == tuple((c.id, c.status) for c in decision.criteria)
        assert dict(check.as_of) == {c.id: c.as_of for c in decision.criteria}
        assert check.decided_at == decision.decided_at and check.valid_until == decision.valid_until
        assert check.signed_by == "backend" and check.mode == "online" and check.device == DEMO_DEVICE_ID
        other = verify_receipt(decision.receipt, trust, subject=f"{subject.scheme}:{_other(subject).value}")
        assert other.valid and other.subject_matches is False and other.failed_step == "subject"
        late = verify_receipt(decision.receipt, trust, at=datetime.now(UTC) + timedelta(days=30))
        assert not late.valid and late.failed_step == "expired"


def test_every_answer_has_its_own_receipt_and_salt(client: httpx.Client) -> None:
    subject = SUBJECTS[0]
    benefit = sorted(subject.expected)[0]
    receipts = {
        client.post("/v1/eligibility", json=check_body(subject, benefit), headers=AUTH).json()["receipt"]
        for _ in range(3)
    }
    assert len(receipts) == 3


def test_the_receipt_holds_no_identifier_name_or_fact(client: httpx.Client) -> None:
    for subject in SUBJECTS:
        benefit = sorted(subject.expected)[0]
        body = client.post("/v1/eligibility", json=check_body(subject, benefit), headers=AUTH).json()
        claims = claims_of(body["receipt"])
        texts = {leaf for leaf in leaves(claims) if isinstance(leaf, str)}
        # Only ids, dates and the policy version: no identifier, name, fact or reason text.
        allowed = {benefit, body["policy_version"], DEMO_DEVICE_ID, *"vbocpmdsnh"}
        allowed |= {c["id"] for c in body["criteria"]} | {c["as_of"] for c in body["criteria"] if c["as_of"]}
        assert texts <= allowed, texts - allowed
        blob = repr(claims)
        assert subject.value not in blob and subject.value.encode().hex() not in blob
        assert all(part not in blob for part in subject.label.split(" / "))


def test_serve_with_no_receipts_answers_receipt_null(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--demo", "--db", str(tmp_path / "demo.sqlite3"),
         "--port", str(port), "--no-access-log", "--no-receipts"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as served:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                try:
                    if served.get("/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "serve did not answer /v1/health"
                    time.sleep(0.1)
            subject = SUBJECTS[0]
            answer = served.post(
                "/v1/eligibility", json=check_body(subject, sorted(subject.expected)[0]), headers=AUTH
            )
            assert answer.status_code == 200
            assert answer.json()["receipt"] is None
    finally:
        process.terminate()
        process.wait(timeout=20)
