"""`kiosk sync`: fetch the policy bundle now, verify it, keep it; say what happened.

Exit codes: 0 updated or unchanged; 3 the backend sent a bundle the kiosk refused (the reason
is printed, the last good bundle is kept); 4 the backend could not be reached or would not
serve us (the last good bundle's age is printed); 5 the bundle was verified but could not be
saved (disk full, data folder not writable: after a restart it would be missing); 2 usage or
configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.adapters.bundle_sync import BundleSync, SyncPolicy, SyncResult
from kiosk.adapters.store import Store
from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_NOT_SAVED, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from kiosk.core.bundle import PolicyBundle, iso_utc
from kiosk.core.errors import KioskError
from kiosk.station.config import KioskConfig, resolve_config
from kiosk.station.offline import authority_keys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="fetch and verify the signed policy bundle now",
        description="Fetch the signed policy bundle from the backend, verify it and keep it "
        "for offline decisions. Prints what happened.",
    )
    parser.add_argument("--backend", metavar="URL", help="eligibility service (or XINYI_BACKEND_URL)")
    parser.add_argument("--token", help="device token (or XINYI_DEVICE_TOKEN)")
    parser.add_argument("--data-dir", type=Path, help="kiosk data folder (or XINYI_DATA_DIR)")
    parser.add_argument("--config", type=Path, help="config file (default $XINYI_CONFIG)")
    parser.add_argument("--authority", action="append", type=Path, default=[], metavar="PEM",
                        help="bundle authority public key (default: the config's authority_keys)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = resolve_config(args.config, backend_url=args.backend, token=args.token,
                                data_dir=args.data_dir)
        keys = authority_keys(args.authority or config.authority_keys)
        token = config.device_token()
    except KioskError as error:
        print(f"kiosk sync: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_sync(config, keys, token))


async def _sync(
    config: KioskConfig, keys: Mapping[str, ed25519.Ed25519PublicKey], token: str | None
) -> int:
    store = Store(config.data_dir)
    for path in store.moved_aside:
        print(f"note: unreadable store file moved aside to {path.name}; starting clean")
    for problem in store.problems:
        print(f"warning: {problem}", file=sys.stderr)
    policy = SyncPolicy(max_age=timedelta(hours=config.max_bundle_age_hours))
    sync = BundleSync(store, keys, base_url=config.backend_url, token=token, policy=policy)
    try:
        if sync.load_problem is not None:
            print(f"note: cached bundle not usable ({sync.load_problem.reason}); fetching anew")
        result = await sync.sync_now()
    finally:
        await sync.stop()
    return _report(result, sync.current, policy.max_age)


def _report(result: SyncResult, held: PolicyBundle | None, max_age: timedelta) -> int:
    now = datetime.now(UTC)
    if result.outcome == "updated" and held is not None:
        print(f"updated: policy bundle version {held.version}, issued {iso_utc(held.issued_at)}, "
              f"expires {iso_utc(held.expires_at)}, {len(held.catalog.benefits)} benefit(s), "
              f"{len(held.revoked)} revocation(s)")
        return EXIT_OK
    if result.outcome == "unchanged":
        print(f"unchanged: holding version {_held(held, now, max_age)}")
        return EXIT_OK
    if result.outcome == "not_saved":
        print(f"not saved: {result.detail}", file=sys.stderr)
        print("the bundle on disk was not replaced; check the data folder's free space and "
              "permissions", file=sys.stderr)
        return EXIT_NOT_SAVED
    if result.outcome == "refused":
        reason = result.refusal.reason if result.refusal else "refused"
        print(f"refused ({reason}): {result.detail}", file=sys.stderr)
        print(f"keeping the last good bundle: {_held(held, now, max_age)}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    print(f"{result.outcome}: {result.detail}", file=sys.stderr)
    print(f"last good bundle: {_held(held, now, max_age)}", file=sys.stderr)
    return EXIT_UNAVAILABLE


def _held(held: PolicyBundle | None, now: datetime, max_age: timedelta) -> str:
    if held is None:
        return "none (offline decisions are not possible until a sync succeeds)"
    hours = held.age(now).total_seconds() / 3600
    usable_until = min(held.expires_at, held.issued_at + max_age)
    state = (f"offline decisions allowed until {iso_utc(usable_until)}" if now < usable_until
             else "too old: offline decisions have stopped")
    return f"{held.version}, {hours:.1f} h old; {state}"
