"""`kiosk check --offline` as a whole process beside the imports it cannot avoid (issue #19).

Run: .venv/bin/python benchmarks/bench_cli.py [--rounds R] [--json]

Sets up, in a temporary folder, what `kiosk sync` would leave: a verified bundle (the shipped
policy, the DEMO keys) in the kiosk's store and a config naming the DEMO authority key; mints
one DEMO credential. Then, in turns per round, wall time of:
  * the check: `python -m kiosk.cli check --offline --json` deciding that credential (the same
    as the `kiosk` script), start to exit;
  * the floor: `python -c "import cbor2, zlib, cryptography...ed25519, ...ec"`, the libraries
    an offline check cannot do without (httpx is not one: the kiosk imports it for its first
    request, which an offline check never makes);
  * for the note: `python -c pass` (the interpreter alone), and the floor with httpx added
    (what the check imported before it stopped needing httpx; the floor the target was set on).
The figure is the median over rounds of each round's ratio. Target: <= 1.5x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from figures import from_rounds, report

from demo.issuer import demo_trust_store, load_demo_issuer
from kiosk.adapters.store import Store
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, read_policy_document
from kiosk.core.bundle import authority_key_id, trust_keys_from_store
from kiosk.core.bundle_signing import build_payload, sign_bundle, verify_bundle

REPO = Path(__file__).resolve().parent.parent
KEYS = REPO / "demo" / "keys"
FLOOR = ("import cbor2, zlib, cryptography.hazmat.primitives.asymmetric.ed25519, "
         "cryptography.hazmat.primitives.asymmetric.ec")


def prepare(folder: Path) -> tuple[Path, str]:
    key = serialization.load_pem_private_key((KEYS / "authority-ed25519-DEMO-private.pem").read_bytes(),
                                             password=None)
    document, _ = read_policy_document(DEFAULT_POLICY_DIR)
    now = datetime.now(UTC)
    payload = build_payload(document, version=1, issued_at=now - timedelta(hours=1),
                            valid_for=timedelta(days=2), trust_keys=trust_keys_from_store(demo_trust_store()),
                            revoked=[])
    public = key.public_key()  # type: ignore[union-attr]
    bundle = verify_bundle(sign_bundle(payload, key), {authority_key_id(public): public})  # type: ignore[arg-type]
    Store(folder / "data").save_bundle(bundle, None)
    config = folder / "kiosk.toml"
    config.write_text(f'authority_keys = ["{KEYS / "authority-ed25519-DEMO-public.pem"}"]\n'
                      f'data_dir = "{folder / "data"}"\n', encoding="utf-8")
    credential = load_demo_issuer("EdDSA").issue(
        kind="business", subject_value="91350100M000100Y43",
        facts={"serious_dishonesty_listed": False, "abnormal_operations_listed": False,
               "last_penalty_date": "none", "tax_credit_grade": "A", "credit_commitment_on_file": True},
        issued_at=now - timedelta(days=1))
    return config, credential


def wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command[:4]} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return elapsed * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINYI_")}
    env["XINYI_CONFIG"] = ""
    # An installed kiosk runs from byte-compiled modules; let the warm-up run write them.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(REPO)
    with tempfile.TemporaryDirectory() as tmp:
        config, credential = prepare(Path(tmp))
        check = [sys.executable, "-m", "kiosk.cli", "check", "--benefit", "expedited-permit", "--scan",
                 credential, "--offline", "--json", "--config", str(config)]
        floor = [sys.executable, "-c", FLOOR]
        bare = [sys.executable, "-c", "pass"]
        with_httpx = [sys.executable, "-c", "import httpx; " + FLOOR]
        for command in (check, floor, bare, with_httpx):
            wall(command, env)  # byte-compile and warm the page cache
        checks, floors, bares, httpx_floors = [], [], [], []
        for _ in range(args.rounds):
            checks.append(wall(check, env))
            floors.append(wall(floor, env))
            bares.append(wall(bare, env))
            httpx_floors.append(wall(with_httpx, env))
    with_httpx_ratio = statistics.median(c / h for c, h in zip(checks, httpx_floors, strict=True))
    figure = from_rounds("`kiosk check --offline`, whole process", checks,
                         "python -c importing cbor2, cryptography", floors, "ms", "<= 1.5",
                         f"the interpreter alone: {statistics.median(bares):.0f} ms; beside the floor "
                         f"with httpx ({statistics.median(httpx_floors):.0f} ms): {with_httpx_ratio:.2f}x")
    report("cli", [figure], as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
