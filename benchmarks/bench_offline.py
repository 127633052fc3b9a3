"""Offline decision from a signed credential (DESIGN §6: p50 <= 0.25 ms).

Run: .venv/bin/python benchmarks/bench_offline.py [--calls N]

One verified bundle (the shipped policy, the DEMO issuer keys, 100,000 revocations), one
signed credential per issuer algorithm for the expedited-permit benefit (5 criteria), then
N timed calls of each step, one at a time (perf_counter_ns around each call):
  * read + verify   read_presentation: prefix, base45, zlib, COSE_Sign1, signature, CWT claims,
                    validity window, revocation lookup;
  * decide          decide_offline: staleness check, CertLogic evaluation of every criterion,
                    texts in the person's language;
  * total           both, as OfflineChecker / decide_from_cache (minus the bundle load) do.
Prints p50 / p90 / p99 in µs. No assertions: figures only.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from demo.issuer import ALGORITHMS, demo_trust_store, load_demo_issuer
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, read_policy_document
from kiosk.core.bundle import authority_key_id, build_payload, sign_bundle, trust_keys_from_store, verify_bundle
from kiosk.core.credentials import JSON, Presentation, read_presentation
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


def percentiles(action: Callable[[], object], calls: int) -> tuple[float, float, float]:
    for _ in range(min(200, calls)):
        action()  # warm caches
    samples = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        start = clock()
        action()
        samples.append((clock() - start) / 1000)
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[89], cuts[98]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
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
    criteria = len(bundle.catalog.get(benefit).criteria)  # type: ignore[union-attr]

    print(f"python {sys.version.split()[0]}; {args.calls} calls per row; µs per call (p50 / p90 / p99)")
    print(f"benefit {benefit} ({criteria} criteria); bundle with {len(bundle.revoked):,} revocations")
    header = f"{'issuer alg':>10} | {'payload B':>9} | {'read + verify':>22} | {'decide':>22} | {'total':>22}"
    print(header)
    print("-" * len(header))
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

        rows = [percentiles(read, args.calls), percentiles(decide, args.calls), percentiles(total, args.calls)]
        cells = [f"{a:6.1f} / {b:6.1f} / {c:6.1f}" for a, b, c in rows]
        print(f"{alg:>10} | {len(credential):>9} | " + " | ".join(f"{c:>22}" for c in cells))
    print("target: total p50 <= 250 µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
