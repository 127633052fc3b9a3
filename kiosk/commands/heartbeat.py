"""`kiosk heartbeat`: send one heartbeat now and print what was sent (a field tool).

    kiosk heartbeat --config FILE --data-dir DIR [--json]

It sends what the running kiosk would: status, the clock skew the last answer showed, and the
counters waiting in the data folder (the same batch the kiosk would send, so nothing is counted
twice). Devices are reported by whether their ports exist; the last frame is the one the
running kiosk reported at its own last beat. With --json it prints one object: ``sent`` (the
body, exactly) and ``result``.

Exit codes: 0 acknowledged (or delivered, with no counters due); 2 usage or configuration; 3 the
backend refused it (the reason is printed); 4 the backend could not be reached or asked to
slow down (the counters stay for the next beat).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.adapters.bundle_sync import BundleSync, SyncPolicy
from kiosk.adapters.heartbeat_ledger import HeartbeatLedger
from kiosk.adapters.heartbeat_sender import BeatResult
from kiosk.adapters.store import Store
from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from kiosk.core.errors import KioskError
from kiosk.station.config import KioskConfig, resolve_config
from kiosk.station.heartbeat import build_sender, status_reader
from kiosk.station.offline import authority_keys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "heartbeat",
        help="send one heartbeat to the backend now and print it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="config file (default $XINYI_CONFIG)")
    parser.add_argument("--data-dir", type=Path, help="kiosk data folder (or XINYI_DATA_DIR)")
    parser.add_argument("--backend", metavar="URL", help="eligibility service (or XINYI_BACKEND_URL)")
    parser.add_argument("--token", help="device token (or XINYI_DEVICE_TOKEN)")
    parser.add_argument("--json", action="store_true", help="print the body sent and the result as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = resolve_config(args.config, backend_url=args.backend, token=args.token, data_dir=args.data_dir)
        keys = authority_keys(config.authority_keys) if config.authority_keys else {}
        token = config.device_token()
    except KioskError as error:
        print(f"kiosk heartbeat: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    if config.offline_only:
        print(
            "kiosk heartbeat: this kiosk is offline-only (offline_only = true); it has no backend to tell",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return asyncio.run(_beat(config, keys, token, as_json=args.json))


async def _beat(config: KioskConfig, keys: Mapping[str, Ed25519PublicKey], token: str | None, *, as_json: bool) -> int:
    store = Store(config.data_dir)
    ledger = HeartbeatLedger(config.data_dir)
    for problem in [*store.problems, *ledger.problems]:
        print(f"warning: {problem}", file=sys.stderr)
    sync = BundleSync(
        store,
        keys,
        base_url=config.backend_url,
        token=token,
        policy=SyncPolicy(max_age=timedelta(hours=config.max_bundle_age_hours)),
    )
    sender = build_sender(config, ledger, status_reader(config, store, sync, ledger), token=token)
    try:
        result = await sender.beat()
    finally:
        await sender.stop()
        await sync.stop()
    return _report(result, as_json=as_json)


def _report(result: BeatResult, *, as_json: bool) -> int:
    code = (
        EXIT_OK
        if result.ok
        else (EXIT_UNAVAILABLE if result.outcome in ("unreachable", "rate_limited") else EXIT_INVALID_INPUT)
    )
    if as_json:
        print(
            json.dumps(
                {
                    "sent": result.sent,
                    "result": {
                        "outcome": result.outcome,
                        "status": result.status,
                        "detail": result.detail,
                        "clock_skew_seconds": result.clock_skew_seconds,
                    },
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return code
    print(json.dumps(result.sent, ensure_ascii=False, indent=2))
    stream = sys.stdout if result.ok else sys.stderr
    print(f"{result.outcome}: {result.detail}" + (f" (HTTP {result.status})" if result.status else ""), file=stream)
    if result.clock_skew_seconds is not None:
        print(f"clock skew against the backend: {result.clock_skew_seconds:+.0f} s", file=stream)
    return code
