"""Policy bundle load + verify with many revocations (DESIGN §6: 100k revocations <= 150 ms).

Run: .venv/bin/python benchmarks/bench_bundle.py [--revocations N ...] [--repeat R]

For each size, one signed bundle (the shipped policy, the DEMO issuer keys, N revocation
hashes), then R timed runs of:
  * floor           json.loads of the file + one Ed25519 verify of the payload bytes: the least
                    any verifier must do, measured alongside to show how loaded the machine is;
  * verify          kiosk.core.bundle_signing.verify_bundle on the bytes (parse, Ed25519, catalog,
                    revocation list checks, frozenset): what a sync does with a download;
  * store + verify  Store.load_bundle() from the TinyDB file on disk, then verify_bundle:
                    what a kiosk does at start-up (the target figure);
  * save            Store.save_bundle (atomic write: temp file, fsync, rename, fsync dir);
  * sign            kiosk.core.bundle_signing.sign_bundle (the authority's side, for scale).
Prints min / median / max ms. No assertions: figures only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from figures import Figure, from_rounds, report

from demo.issuer import demo_trust_store
from kiosk.adapters.store import Store
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, read_policy_document
from kiosk.core.bundle import (
    authority_key_id,
    trust_keys_from_store,
)
from kiosk.core.bundle_signing import (
    build_payload,
    sign_bundle,
    verify_bundle,
)

REPO = Path(__file__).resolve().parent.parent
AUTHORITY_PEM = REPO / "demo" / "keys" / "authority-ed25519-DEMO-private.pem"


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure(
    store: Store,
    raw: bytes,
    payload: dict[str, object],
    key: ed25519.Ed25519PrivateKey,
    authorities: dict[str, ed25519.Ed25519PublicKey],
    repeat: int,
) -> dict[str, list[float]]:
    bundle = verify_bundle(raw, authorities)
    store.save_bundle(bundle, None)

    def load_and_verify() -> object:
        stored = store.load_bundle()
        assert stored is not None
        return verify_bundle(stored.raw, authorities)

    public = next(iter(authorities.values()))
    signature = base64.b64decode(json.loads(raw)["signature"]["value"])
    payload_bytes = raw[len(b'{"payload":'):raw.rfind(b',"signature":')]

    def floor() -> object:
        public.verify(signature, payload_bytes)
        return json.loads(raw)

    actions: dict[str, Callable[[], object]] = {
        "floor": floor,
        "verify": lambda: verify_bundle(raw, authorities),
        "store + verify": load_and_verify,
        "save": lambda: store.save_bundle(bundle, None),
        "sign": lambda: sign_bundle(payload, key),
    }
    found: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):  # in turns, so the floor sees the same load as the figures
        for name, action in actions.items():
            found[name] += timed(action, 1)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revocations", type=int, nargs="+", default=[0, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    figures: list[Figure] = []

    key = serialization.load_pem_private_key(AUTHORITY_PEM.read_bytes(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    authorities = {authority_key_id(key.public_key()): key.public_key()}
    document, _ = read_policy_document(DEFAULT_POLICY_DIR)
    trust = trust_keys_from_store(demo_trust_store())

    print(f"python {sys.version.split()[0]}; {args.repeat} runs each; times in ms (min / median / max)")
    columns = ("floor", "verify", "store + verify", "save", "sign")
    header = f"{'revocations':>11} | {'bundle MB':>9} | " + " | ".join(f"{c:>22}" for c in columns)
    print(header)
    print("-" * len(header))
    for count in args.revocations:
        revoked = [hashlib.sha256(f"bench-{i}".encode()).hexdigest() for i in range(count)]
        payload = build_payload(document, version=1, issued_at=datetime.now(UTC),
                                valid_for=timedelta(days=2), trust_keys=trust, revoked=revoked)
        raw = sign_bundle(payload, key)
        with tempfile.TemporaryDirectory() as folder:
            results = measure(Store(Path(folder)), raw, payload, key, authorities, args.repeat)
        cells = [
            f"{min(t):6.1f} / {statistics.median(t):6.1f} / {max(t):6.1f}" for t in results.values()
        ]
        print(f"{count:>11,} | {len(raw) / 1e6:>9.2f} | " + " | ".join(f"{c:>22}" for c in cells))
        if count == max(args.revocations):
            figures.append(from_rounds(
                f"bundle with {count:,} revocations: store + verify, median", results["store + verify"],
                "json.loads + one Ed25519 verify", results["floor"], "ms", None,
                f"DESIGN §6 target: median <= 150 ms (here {statistics.median(results['store + verify']):.0f} ms)"))
    print("target: store + verify of 100,000 revocations, median <= 150 ms")
    report("bundle", figures, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
