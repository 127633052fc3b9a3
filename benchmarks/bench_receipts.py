"""What signing a decision receipt costs, beside the decision it signs (issue #15).

Run: .venv/bin/python benchmarks/bench_receipts.py [--rounds R] [--calls N] [--json]

Figures, each beside its floor measured in turns in the same rounds (median of per-round p50
ratios; no targets, they are kept for reference):
  * offline decision + device receipt (as OfflineChecker does with a device key: read and
    verify the credential, decide, sign the receipt), beside the offline decision alone, for
    an Ed25519 and a P-256 device key;
  * a kept online answer with its receipt (EligibilityService.answer_body with a receipt key),
    beside the same kept answer without one;
  * one online receipt rendered from its template, beside one bare Ed25519 signature;
  * verify_receipt (what `kiosk receipt verify` and the staff screen do), beside one Ed25519
    signature verify of the same Sig_structure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from figures import Figure, from_rounds, report, timed_pairs

from backend.db import SubjectStore
from backend.decision_bodies import DecisionBodies
from backend.eligibility import EligibilityService, parse_request
from backend.receipts import ReceiptIssuer
from demo.issuer import demo_trust_store, load_demo_issuer
from demo.records import DEMO_DEVICE_ID, demo_subjects, write_demo_database
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog, read_policy_document
from kiosk.core.bundle import authority_key_id, trust_keys_from_store
from kiosk.core.bundle_signing import build_payload, sign_bundle, verify_bundle
from kiosk.core.credentials import read_presentation
from kiosk.core.credentials.cose import parse_cose_sign1
from kiosk.core.credentials.layers import decode_base45, inflate, unprefix
from kiosk.core.credentials.trust import key_id_of_public_key
from kiosk.core.offline import credential_settings, decide_offline
from kiosk.core.receipts import ReceiptTrust, signer_for, verify_receipt
from kiosk.session.receipts import DeviceReceipts

BENEFIT = "expedited-permit"
FACTS = {
    "serious_dishonesty_listed": False,
    "abnormal_operations_listed": False,
    "last_penalty_date": "2019-03-01",
    "tax_credit_grade": "A",
    "credit_commitment_on_file": True,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300, help="timed calls per row and round")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)

    authority = ed25519.Ed25519PrivateKey.generate()
    now = datetime.now(UTC)
    document, _ = read_policy_document(DEFAULT_POLICY_DIR)
    payload = build_payload(
        document,
        version=1,
        issued_at=now - timedelta(hours=1),
        valid_for=timedelta(days=2),
        trust_keys=trust_keys_from_store(demo_trust_store()),
        revoked=[],
    )
    bundle = verify_bundle(
        sign_bundle(payload, authority), {authority_key_id(authority.public_key()): authority.public_key()}
    )
    settings = credential_settings(bundle)
    credential = load_demo_issuer("EdDSA").issue(
        kind="business", subject_value="91350100M000100Y43", facts=FACTS, issued_at=now - timedelta(days=1)
    )

    def offline() -> object:
        seen = read_presentation(credential, settings, now=now)
        return decide_offline(seen, bundle, BENEFIT, "zh-CN", now)

    figures: list[Figure] = []
    receipt_chars: dict[str, int] = {}
    for name, key in (
        ("Ed25519", ed25519.Ed25519PrivateKey.generate()),
        ("P-256", ec.generate_private_key(ec.SECP256R1())),
    ):
        device = DeviceReceipts(key, key_id_of_public_key(key.public_key()), DEMO_DEVICE_ID)

        def signed(device: DeviceReceipts = device) -> object:
            seen = read_presentation(credential, settings, now=now)
            return device.attach(decide_offline(seen, bundle, BENEFIT, "zh-CN", now), seen)

        decision = signed()
        receipt_chars[name] = len(decision.receipt or "")  # type: ignore[attr-defined]
        with_receipt, without = timed_pairs([signed, offline], rounds=args.rounds, per_round=args.calls)
        figures.append(
            from_rounds(
                f"offline decision + receipt p50, {name} device key",
                with_receipt,
                "offline decision alone",
                without,
                "µs",
                None,
                f"receipt {receipt_chars[name]} chars",
            )
        )

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.sqlite3"
        catalog = load_catalog()
        write_demo_database(db, catalog)
        subject = next(
            s for s in demo_subjects(catalog) if s.scheme == "uscc" and s.on_record and BENEFIT in s.expected
        )
        body = (
            f'{{"benefit":"{BENEFIT}","subject":{{"scheme":"uscc","value":"{subject.value}"}},'
            f'"locale":"zh-CN","device":"{DEMO_DEVICE_ID}"}}'
        ).encode()
        request = parse_request(body)
        receipt_key = ed25519.Ed25519PrivateKey.generate()
        issuer = ReceiptIssuer(receipt_key, key_id_of_public_key(receipt_key.public_key()))
        plain = EligibilityService(catalog, SubjectStore(db, preload=True), DecisionBodies())
        signing = EligibilityService(catalog, SubjectStore(db, preload=True), DecisionBodies(), issuer)
        with_receipt, without = timed_pairs(
            [lambda: signing.answer_body(request), lambda: plain.answer_body(request)],
            rounds=args.rounds,
            per_round=args.calls,
        )
        figures.append(
            from_rounds(
                "kept online answer + receipt p50 (Ed25519 receipt key)",
                with_receipt,
                "kept answer without receipt",
                without,
                "µs",
                None,
            )
        )

        # The signature is what no receipt can skip: one template render beside one sign of
        # a Sig_structure of the same size.
        decision = signing.answer(request)
        template = issuer.template(decision)
        assert template is not None
        reference = f"uscc:{subject.value}".encode()

        def render() -> object:
            return issuer.render(
                template,
                receipt_id=decision.decision_id,
                decided_at=now,
                valid_until=now + timedelta(hours=24),
                device=DEMO_DEVICE_ID,
                reference=reference,
            )

        sized = b"\0" * 420
        rendered, signed_only = timed_pairs(
            [render, lambda: receipt_key.sign(sized)], rounds=args.rounds, per_round=args.calls
        )
        figures.append(
            from_rounds(
                "one online receipt (template render) p50", rendered, "one Ed25519 signature", signed_only, "µs", None
            )
        )
        receipt = signing.answer(request).receipt
        assert receipt is not None
        trust = ReceiptTrust([signer_for(receipt_key.public_key(), "backend")])
        cose = parse_cose_sign1(inflate(decode_base45(unprefix(receipt, "XKR")), max_bytes=4096), max_depth=8)
        message, signature, public = cose.to_be_signed(), cose.signature, receipt_key.public_key()
        verified, floor = timed_pairs(
            [lambda: verify_receipt(receipt, trust), lambda: public.verify(signature, message)],
            rounds=args.rounds,
            per_round=args.calls,
        )
        figures.append(
            from_rounds(
                "verify_receipt p50",
                verified,
                "one Ed25519 verify",
                floor,
                "µs",
                None,
                f"online receipt {len(receipt)} chars",
            )
        )
    report("receipts", figures, as_json=args.json, extra={"receipt_chars": receipt_chars})
    return 0


if __name__ == "__main__":
    sys.exit(main())
