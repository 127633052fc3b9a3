"""`kiosk-backend serve`: run the eligibility service on uvicorn.

``--demo`` seeds a synthetic database (a temporary folder unless ``--db`` names a file), signs
with the DEMO keys and accepts one device, ``kiosk-demo``, with the token ``demo-token`` (or
``--token``). Without ``--demo`` everything comes from the config file (see
backend/settings.py); it must name an ``authority_key`` that is no DEMO key and that only its
owner can read, or the service does not start. The demo package is imported only for
``--demo`` (it is not in the product wheel).

``--workers N`` runs N worker processes on one socket (backend/workers.py); with a SQLite
``db`` only with ``--rate-limit off``, since each worker would keep its own rate limit (with
a PostgreSQL ``db`` the limit is shared). A database that cannot be reached at start is one
line and exit 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from backend.app import create_app
from backend.auth import DeviceCredential, token_problem
from backend.server import ListenError, build_server, listen, raise_open_file_limit, resolve_limits, url_of
from backend.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    NUMBERS,
    BackendConfigError,
    FleetSettings,
    Settings,
    host_problem,
    load_settings,
)
from backend.workers import MAX_WORKERS, serve_workers
from kiosk.common.cli import EXIT_USAGE
from kiosk.common.logs import configure_logging
from kiosk.common.policy_folder import load_catalog
from kiosk.core.errors import KioskError

DEFAULT_CONFIG = Path("/etc/xinyi-backend/backend.toml")
DEMO_TOKEN = "demo-token"  # = demo.records.DEMO_TOKEN, named here so --help needs no demo import
DEMO_OPERATOR_TOKEN = "demo-operator"  # opens /fleet, /v1/fleet and /metrics in demo mode only


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the eligibility service", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--demo", action="store_true", help="serve synthetic demo subjects")
    parser.add_argument(
        "--config", type=Path,
        help=f"config file outside demo mode (default $XINYI_BACKEND_CONFIG or {DEFAULT_CONFIG})",
    )
    parser.add_argument("--host", help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--db", type=Path, help="SQLite file (demo: written fresh here)")
    parser.add_argument("--token", default=DEMO_TOKEN, help="demo device token (demo mode only)")
    parser.add_argument("--policy-dir", type=Path, help="policy folder (policy.json + benefits/)")
    parser.add_argument(
        "--rate-limit", metavar="PER_SECOND/BURST",
        help='per-device limit, e.g. "2/30" (the default), or "off"',
    )
    parser.add_argument("--no-access-log", action="store_true", help="no line per request")
    parser.add_argument(
        "--no-receipts", action="store_true",
        help='answers carry "receipt": null, as without receipt_key (e.g. until every kiosk reads them)',
    )
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help=f"worker processes on one socket (default 1, at most {MAX_WORKERS}); above 1 the "
        "rate limit needs a PostgreSQL db (or --rate-limit off)",
    )
    parser.set_defaults(run=run)


def demo_settings(db_path: Path, token: str = DEMO_TOKEN, **overrides: Any) -> Settings:
    """Seed `db_path` with the demo population and return settings for one demo device,
    signing with the DEMO keys (named explicitly: nothing else falls back to them)."""
    from demo.issuer import demo_backend_keys
    from demo.records import DEMO_DEVICE_ID, DemoSeedError, write_demo_database, write_demo_postgres

    settings = Settings(
        db_path=db_path, devices=(DeviceCredential.from_token(DEMO_DEVICE_ID, token),),
        fleet=FleetSettings(db=db_path.with_name(db_path.stem + "-fleet.sqlite3")),
        operators=(DeviceCredential.from_token("demo-operator", DEMO_OPERATOR_TOKEN),),
        **demo_backend_keys(),  # type: ignore[arg-type]
    )
    settings = replace(settings, **overrides)
    try:
        if settings.db_url is not None:  # tests and benchmarks serve the demo from PostgreSQL too
            write_demo_postgres(settings.db_url, load_catalog(settings.policy_dir))
        else:
            write_demo_database(db_path, load_catalog(settings.policy_dir))
    except DemoSeedError as error:
        raise BackendConfigError("--demo", "demo records", str(error)) from None
    return settings


def _seeded_demo_settings(db_path: Path, token: str, overrides: dict[str, Any]) -> Settings:
    try:
        return demo_settings(db_path, token, **overrides)
    except (OSError, sqlite3.Error) as error:  # --db names a folder, or a place we cannot write
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        problem = f"cannot write the demo database {db_path}: {reason}"
        raise BackendConfigError("--db", "demo records", problem) from None


def _rate(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    if text == "off":
        return {"rate_per_second": None}
    per_second, _, burst = text.partition("/")
    try:
        rate, size = float(per_second), int(burst or "30")
    except ValueError:
        raise ValueError('--rate-limit takes "PER_SECOND/BURST" or "off"') from None
    for key, value in (("rate_per_second", rate), ("rate_burst", size)):
        if (problem := NUMBERS[key].problem(value)) is not None:
            raise ValueError(f"--rate-limit: {'the rate' if key == 'rate_per_second' else 'the burst'} {problem}")
    return {"rate_per_second": rate, "rate_burst": size}


def _flags_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the flags a person typed, checked as the config file's values are."""
    if args.host is not None and (problem := host_problem(args.host)) is not None:
        return f"--host {problem}"
    if args.port is not None and (problem := NUMBERS["port"].problem(args.port)) is not None:
        return f"--port {problem}"
    if args.demo and (problem := token_problem(args.token)) is not None:
        return f"--token: {problem}"
    if not 1 <= args.workers <= MAX_WORKERS:
        return f"--workers must be a whole number from 1 to {MAX_WORKERS}"
    return None


def _workers_problem(settings: Settings, workers: int) -> str | None:
    # Each worker would keep its own bucket per device: N workers, N times the rate.
    if workers > 1 and settings.db_url is None and settings.rate_per_second:
        return ("--workers above 1 with a SQLite db would give each worker its own rate limit; "
                "use a PostgreSQL db (shared limit) or --rate-limit off")
    return None


def run(args: argparse.Namespace) -> int:
    configure_logging("backend", logging.INFO)
    try:
        overrides = _rate(args.rate_limit)
    except ValueError as error:
        print(f"kiosk-backend serve: {error}", file=sys.stderr)
        return EXIT_USAGE
    if (problem := _flags_problem(args)) is not None:
        print(f"kiosk-backend serve: {problem}", file=sys.stderr)
        return EXIT_USAGE
    for key in ("host", "port", "policy_dir"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    if args.no_access_log:
        overrides["log_requests"] = False
    if args.no_receipts:
        overrides["receipt_key"] = None
    raise_open_file_limit()
    with tempfile.TemporaryDirectory(prefix="xinyi-backend-") as scratch:
        try:
            if args.demo:
                settings = _seeded_demo_settings(args.db or Path(scratch) / "demo.sqlite3", args.token, overrides)
            else:
                config = args.config or Path(os.environ.get("XINYI_BACKEND_CONFIG", DEFAULT_CONFIG))
                settings = replace(load_settings(config), **overrides)
                if args.db is not None:
                    settings = replace(settings, db_path=args.db, db_url=None, db_read_url=None)
            if (problem := _workers_problem(settings, args.workers)) is not None:
                print(f"kiosk-backend serve: {problem}", file=sys.stderr)
                return EXIT_USAGE
            settings = replace(settings, limits=resolve_limits(settings.limits))
            app = create_app(settings)  # with --workers, the check before forking
            listener = listen(settings.host, settings.port)
        except (KioskError, ListenError) as error:
            detail = error.detail if isinstance(error, KioskError) else str(error)
            print(f"kiosk-backend serve: {detail}", file=sys.stderr)
            return EXIT_USAGE
        if args.workers > 1:
            app.close()  # no pool threads or connections may cross the fork
            with listener:
                if args.demo:
                    print(f"demo device token: {args.token}, device id: kiosk-demo", flush=True)
                logging.getLogger("backend.app").info("serving on %s", url_of(listener))
                return serve_workers(settings, listener, args.workers)
        with listener:
            server = build_server(app, settings)
            if args.demo:
                print(f"demo device token: {args.token}, device id: kiosk-demo", flush=True)
                print(f"fleet dashboard: {url_of(listener)}/fleet, demo operator token: {DEMO_OPERATOR_TOKEN}",
                      flush=True)
            logging.getLogger("backend.app").info("serving on %s", url_of(listener))
            server.run(sockets=[listener])
    return 0
