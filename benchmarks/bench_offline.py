"""Offline decision from a signed credential beside its floor (issue #19: <= 1.3x).

Run: .venv/bin/python benchmarks/bench_offline.py [--rounds R] [--calls N] [--json]

One verified bundle (the shipped policy, the DEMO issuer keys, 100,000 revocations), one
signed credential per issuer algorithm for the expedited-permit benefit (5 criteria). Per
round, N single timed calls (perf_counter_ns) of, in turns:
  * total           read_presentation + decide_offline, as OfflineChecker does (prefix, base45,
                    zlib, COSE_Sign1, signature, CWT claims, validity window, revocation lookup,
                    our claims, staleness, the rules, the texts in the person's language);
  * floor           what no decoder can skip for the same payload: zlib inflate of the
                    compressed bytes, CBOR decode of the COSE_Sign1 and of its claims, one
                    signature verify over the prepared Sig_structure (cryptography, zlib,
                    cbor2). base45 counts as overhead (a C decoder costs ~1 µs);
  * read + verify   read_presentation alone, and decide: decide_offline alone (for the note).
The figure is the median over rounds of each round's p50 ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from figures import Figure, from_rounds, report, timed_pairs

from demo.issuer import ALGORITHMS, demo_trust_store, load_demo_issuer
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, read_policy_document
from kiosk.core.bundle import authority_key_id, trust_keys_from_store
from kiosk.core.bundle_signing import build_payload, sign_bundle, verify_bundle
from kiosk.core.credentials import JSON, Presentation, read_presentation
from kiosk.core.credentials.cose import parse_cose_sign1
from kiosk.core.credentials.layers import decode_base45, unprefix
from kiosk.core.offline import credential_settings, decide_offline

REPO = Path(__file__).resolve().parent.parent
AUTHORITY_PEM = REPO / "demo" / "keys" / "authority-ed25519-DEMO-private.pem"
FACTS: dict[str, JSON] = {
    "serious_dishonesty_listed": False,
    "abnormal_operations_listed": False,
    "last_penalty_date": "2019-03-01",
    "tax_credit_grade": "A",
    "credit_commitment_on_file": True,
}


def floor_for(credential: str, issuer_key: object) -> Callable[[], object]:
    """zlib + CBOR (COSE_Sign1 and claims) + one verify of this credential, nothing else."""
    compressed = decode_base45(unprefix(credential, "XK1"))
    cose = parse_cose_sign1(zlib.decompress(compressed), max_depth=16)
    message, signature = cose.to_be_signed(), cose.signature
    if isinstance(issuer_key, ed25519.Ed25519PublicKey):
        key = issuer_key

        def verify() -> None:
            key.verify(signature, message)
    else:
        assert isinstance(issuer_key, ec.EllipticCurvePublicKey)
        ec_key, der = issuer_key, encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        ecdsa = ec.ECDSA(hashes.SHA256())

        def verify() -> None:
            ec_key.verify(der, message, ecdsa)

    def floor() -> object:
        item = cbor2.loads(zlib.decompress(compressed))
        claims = cbor2.loads(item.value[2])
        verify()
        return claims

    return floor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=600, help="timed calls per row and round")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)

    key = serialization.load_pem_private_key(AUTHORITY_PEM.read_bytes(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    document, _ = read_policy_document(DEFAULT_POLICY_DIR)
    now = datetime.now(UTC)
    revoked = [hashlib.sha256(f"bench-{i}".encode()).hexdigest() for i in range(100_000)]
    payload = build_payload(document, version=1, issued_at=now - timedelta(hours=1),
                            valid_for=timedelta(days=2), trust_keys=trust_keys_from_store(demo_trust_store()),
                            revoked=revoked)
    bundle = verify_bundle(sign_bundle(payload, key), {authority_key_id(key.public_key()): key.public_key()})
    settings = credential_settings(bundle)
    benefit = "expedited-permit"

    figures: list[Figure] = []
    for alg in ALGORITHMS:
        issuer = load_demo_issuer(alg)
        credential = issuer.issue(kind="business", subject_value="91350100M000100Y43", facts=FACTS,
                                  issued_at=now - timedelta(days=1))
        presentation = read_presentation(credential, settings, now=now)
        decision = decide_offline(presentation, bundle, benefit, "zh-CN", now)
        assert decision.outcome.value == "eligible"

        def total(credential: str = credential) -> object:
            seen = read_presentation(credential, settings, now=now)
            return decide_offline(seen, bundle, benefit, "zh-CN", now)

        def read(credential: str = credential) -> object:
            return read_presentation(credential, settings, now=now)

        def decide(presentation: Presentation = presentation) -> object:
            return decide_offline(presentation, bundle, benefit, "zh-CN", now)

        floor = floor_for(credential, issuer.signing_key.public_key())
        totals, floors, reads, decides = timed_pairs([total, floor, read, decide], rounds=args.rounds,
                                                     per_round=args.calls)
        note = (f"of which read + verify {statistics.median(reads):.0f} µs, "
                f"decide_offline {statistics.median(decides):.0f} µs; {len(credential)} chars")
        figures.append(from_rounds(f"offline decision p50, {alg}", totals,
                                   "zlib + CBOR + one verify", floors, "µs", "<= 1.3", note))
    report("offline", figures, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
