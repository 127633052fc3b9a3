"""A decision and a genuine receipt for it, signed with a key made for the test run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.core.decision_records import CriterionResult, Decision, Outcome, Status
from kiosk.core.receipts import ReceiptTrust, issue_receipt, signer_for

# A USCC with a valid check character, and another one (demo data uses the same shape).
SUBJECT = "uscc:91110000600037341L"
OTHER_SUBJECT = "uscc:91350100M000100Y43"
FACT_VALUE = "纳税信用等级为C级"  # what a reason might quote; never on a slip


def decision(outcome: Outcome = Outcome.NOT_ELIGIBLE) -> Decision:
    now = datetime.now(UTC).replace(microsecond=0)
    return Decision(
        decision_id="3f9c1a7be2d84c06a1b2c3d4e5f60718",
        benefit="expedited-permit",
        outcome=outcome,
        criteria=(
            CriterionResult(
                "no-serious-dishonesty", "严重失信主体名单", Status.PASSED, "不在名单上", "2026-11-20", "信用中国", None
            ),
            CriterionResult(
                "tax-credit-grade", "纳税信用等级", Status.FAILED, FACT_VALUE, "2026-11-20", "税务局", "可申请信用修复"
            ),
        ),
        policy_version="7",
        decided_at=now.isoformat().replace("+00:00", "Z"),
        valid_until=(now + timedelta(days=7)).isoformat().replace("+00:00", "Z"),
    )


def signed(made: Decision, key: ed25519.Ed25519PrivateKey, subject: str = SUBJECT) -> Decision:
    from dataclasses import replace

    receipt = issue_receipt(made, subject=subject, device="kiosk-test", signing_key=key, signer="backend")
    return replace(made, receipt=receipt)


def trust_for(key: ed25519.Ed25519PrivateKey) -> ReceiptTrust:
    return ReceiptTrust([signer_for(key.public_key(), "backend")])
