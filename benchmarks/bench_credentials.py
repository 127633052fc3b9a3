"""Offline credential read: decode + verify + facts, next to one bare signature verification.

    .venv/bin/python benchmarks/bench_credentials.py [--rounds 20] [--per-round 200] [--json]

For EdDSA (Ed25519) and ES256 (P-256): the p50/p90 of ``read_presentation`` on a typical
credential (13 facts, like the demo subjects'), of the unsigned layers alone (prefix, base45,
zlib, COSE, CWT, our claims), of one bare ``verify`` call on the same signature, and of the
base45 step by our decoder and by the ``base45`` package (why we decode it ourselves). Rounds are
interleaved so all rows see the same machine noise. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import base45
import cryptography
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from figures import from_rounds, report

from kiosk.core.credentials import CredentialSettings, TrustStore, read_presentation
from kiosk.core.credentials.claims import read_xinyi_claims
from kiosk.core.credentials.cose import parse_cose_sign1
from kiosk.core.credentials.cwt import decode_cwt
from kiosk.core.credentials.issue import issue_credential
from kiosk.core.credentials.layers import decode_base45, inflate, unprefix

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FACTS: dict[str, Any] = {
    "serious_dishonesty_listed": False,
    "dishonest_judgment_debtor": False,
    "abnormal_operations_listed": False,
    "social_insurance_arrears": False,
    "tax_credit_grade": "A",
    "credit_risk_class": "A",
    "established_on": "2019-03-01",
    "last_penalty_date": "2022-10-17",
    "last_tender_misconduct_date": "2022-10-17",
    "tender_entity_registered": True,
    "credit_commitment_on_file": True,
    "sme_platform_registered": True,
    "is_sme": True,
}


def _typical(key: Any) -> str:
    return issue_credential(
        issuer="CN-XINYI-DEMO",
        kind="business",
        subject_value="91110000600037341L",
        facts=FACTS,
        signing_key=key,
        issued_at=NOW - timedelta(days=1),
    )


def _constant(value: int) -> Callable[[], object]:
    return lambda: value


def _cases_for(alg: str, key: Any, settings: CredentialSettings) -> dict[str, Callable[[], object]]:
    text = _typical(key)
    limits = settings.limits
    cose = parse_cose_sign1(
        inflate(decode_base45(unprefix(text, "XK1")), max_bytes=limits.max_inflated_bytes),
        max_depth=limits.max_cbor_depth,
    )
    message, signature = cose.to_be_signed(), cose.signature
    public = key.public_key()

    def full() -> object:
        return read_presentation(text, settings, now=NOW)

    def layers_only() -> object:
        parsed = parse_cose_sign1(
            inflate(decode_base45(unprefix(text, "XK1")), max_bytes=limits.max_inflated_bytes),
            max_depth=limits.max_cbor_depth,
        )
        claims = decode_cwt(parsed.payload, max_depth=limits.max_cbor_depth)
        return read_xinyi_claims(claims, limits)

    if isinstance(public, ed25519.Ed25519PublicKey):

        def bare() -> object:
            public.verify(signature, message)
            return None

    else:
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))

        def bare() -> object:
            public.verify(der, message, ec.ECDSA(hashes.SHA256()))
            return None

    body = unprefix(text, "XK1")

    def base45_ours() -> object:
        return decode_base45(body)

    def base45_package() -> object:
        return base45.b45decode(body)

    return {
        f"{alg} read_presentation (decode+verify+facts)": full,
        f"{alg} base45 step: kiosk decode_base45": base45_ours,
        f"{alg} base45 step: base45 package": base45_package,
        f"{alg} layers without signature check": layers_only,
        f"{alg} bare signature verify": bare,
        f"{alg} payload chars": _constant(len(text)),  # reported, not timed
    }


def _cases() -> dict[str, Callable[[], object]]:
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    settings = CredentialSettings(trust=TrustStore.from_public_keys([ed_key.public_key(), ec_key.public_key()]))
    return {**_cases_for("EdDSA", ed_key, settings), **_cases_for("ES256", ec_key, settings)}


def measure(rounds: int, per_round: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Every timing per case, and each round's p50 per case (for per-round ratios)."""
    cases = {name: fn for name, fn in _cases().items() if not name.endswith("payload chars")}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    round_p50: dict[str, list[float]] = {name: [] for name in cases}
    for fn in cases.values():
        for _ in range(50):
            fn()  # warm up
    for _ in range(rounds):
        for name, fn in cases.items():
            timings = []
            for _ in range(per_round):
                start = time.perf_counter_ns()
                fn()
                timings.append((time.perf_counter_ns() - start) / 1000)
            samples[name] += timings
            round_p50[name].append(statistics.median(timings))
    return samples, round_p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--per-round", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    sizes = {name: fn() for name, fn in _cases().items() if name.endswith("payload chars")}
    samples, round_p50 = measure(args.rounds, args.per_round)
    print(
        f"python {platform.python_version()}, cryptography {cryptography.__version__}, "
        f"{platform.machine()}, {args.rounds} rounds x {args.per_round} calls per row, interleaved"
    )
    for name, size in sizes.items():
        print(f"{name}: {size}")
    width = max(len(n) for n in samples)
    print(f"{'measurement':<{width}}  {'p50 µs':>8}  {'p90 µs':>8}  {'min µs':>8}")
    p50: dict[str, float] = {}
    for name, timings in samples.items():
        timings.sort()
        p50[name] = statistics.median(timings)
        p90 = timings[int(len(timings) * 0.9)]
        print(f"{name:<{width}}  {p50[name]:>8.1f}  {p90:>8.1f}  {timings[0]:>8.1f}")
    for alg in ("EdDSA", "ES256"):
        full = p50[f"{alg} read_presentation (decode+verify+facts)"]
        bare = p50[f"{alg} bare signature verify"]
        print(
            f"{alg}: everything but the signature costs {full - bare:.1f} µs "
            f"({full / bare:.2f}x one bare verify)"
        )
    figures = [
        from_rounds(f"credential read_presentation p50, {alg}",
                    round_p50[f"{alg} read_presentation (decode+verify+facts)"],
                    "one bare signature verify", round_p50[f"{alg} bare signature verify"], "µs", None)
        for alg in ("EdDSA", "ES256")
    ]
    report("credentials", figures, as_json=args.json)


if __name__ == "__main__":
    main()
