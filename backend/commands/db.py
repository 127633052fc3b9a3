"""`kiosk-backend db init`: make the records database ready to import into and serve from.

    kiosk-backend db init --config backend.toml

With ``db = "postgresql://..."`` it creates the versioned records schema (backend/pg/
schema.py) in that database, or migrates an older one, in one transaction; run it again
after upgrading the backend. With a SQLite file it creates the empty file if there is none
(`records import` does the same on its first run). A ``fleet_db``, ``device_tokens`` or
``operator_tokens`` naming another PostgreSQL database gets the same schema (their tables are
part of it). Prints what it did, one line per database.

Exit codes: 0 done (or nothing to do); 2 usage or configuration (config, database unreachable,
a schema from a newer release).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from kiosk.common.cli import EXIT_OK, EXIT_USAGE, usage
from kiosk.core.errors import KioskError

DEFAULT_CONFIG = Path("/etc/xinyi-backend/backend.toml")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "db",
        help="create or migrate the records database's schema",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION")
    init = actions.add_parser("init", help="create or migrate the schema (safe to run again)")
    init.add_argument("--config", type=Path, help=f"backend config (default $XINYI_BACKEND_CONFIG or {DEFAULT_CONFIG})")
    init.set_defaults(run=run_init)
    parser.set_defaults(run=lambda _args: usage(parser))


def run_init(args: argparse.Namespace) -> int:
    from backend.settings import load_settings

    config = args.config or Path(os.environ.get("XINYI_BACKEND_CONFIG", DEFAULT_CONFIG))
    try:
        settings = load_settings(config, serving=False)
        if settings.db_url is not None:
            done = [_init_postgres(settings.db_url, settings.origin)]
        else:
            done = [_init_sqlite(settings.required("db_path"))]
        # Other settings may name other databases for what all nodes share: each gets the schema.
        others = {"fleet_db": settings.fleet.db_url, "device_tokens": settings.device_tokens_url,
                  "operator_tokens": settings.operator_tokens_url}
        seen = {settings.db_url}
        for key, url in others.items():
            if url is not None and url not in seen:
                seen.add(url)
                done.append(_init_postgres(url, settings.origin, key=key))
    except KioskError as error:
        print(f"kiosk-backend db init: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(done))
    return EXIT_OK


def _init_postgres(url: str, origin: str, *, key: str = "db") -> str:
    import psycopg

    from backend.pg import schema
    from backend.pg.connect import connect_once, reason, where
    from backend.settings import BackendConfigError

    connection = connect_once(url, key, origin)
    try:
        return f"{where(url)}: {schema.init(connection)}"
    except schema.SchemaError as error:
        raise BackendConfigError(origin, key, f"{where(url)} {error}") from None
    except psycopg.Error as error:
        raise BackendConfigError(origin, key, f"{where(url)}: cannot create the schema ({reason(error)})") from None
    finally:
        connection.close()


def _init_sqlite(path: Path) -> str:
    from backend.records.importer import open_for_import

    existed = path.is_file()
    open_for_import(path).close()
    return f"{path}: records file {'already there' if existed else 'created'}"
