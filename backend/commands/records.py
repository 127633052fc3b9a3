"""`kiosk-backend records import | export`: the authorities' records, in and (for support) out.

    kiosk-backend records import --config backend.toml --source AUTHORITY --as-of YYYY-MM-DD \\
        [--dry-run] FEED
    kiosk-backend records export [--config backend.toml] --subject SCHEME:VALUE [--show] [--json]

FEED is CSV (UTF-8, header ``scheme,value,<fact>...``) or JSON Lines (one object a line with
``scheme``, ``value`` and facts); backend/records/feed.py says exactly what is accepted. The
facts AUTHORITY may send are the rows of the policy folder's FACTS.md naming it. An import is
all or nothing; a running service sees it on its next request. ``--dry-run`` prints the
counts and writes nothing. ``export`` prints one subject's facts and as-of dates, the
identifier and the values masked unless ``--show`` (it runs on the backend host only).

Exit codes: 0 done; 2 usage or configuration (config, authority, date, database); 3 the feed
is refused (one line names file, row and column; nothing is applied) or, for export, no record.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from backend.records.facts import FactTableError, facts_of, read_fact_table
from backend.records.feed import VALIDATORS, Feed, FeedError, read_feed
from backend.records.importer import ImportCounts, apply_feed, open_for_import
from backend.records_store import open_store
from backend.settings import BackendConfigError, Settings, load_settings
from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, usage
from kiosk.common.policy_folder import load_catalog
from kiosk.core.credentials import CredentialError
from kiosk.core.errors import KioskError

EXIT_DATA = EXIT_INVALID_INPUT
# An as-of date is the day the authority's data describes: tomorrow in some zone at most.
FUTURE_SLACK = timedelta(days=1)
DEFAULT_CONFIG = Path("/etc/xinyi-backend/backend.toml")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "records", help="import an authority's records feed, or show one subject's facts",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="records_action", metavar="ACTION")
    load = actions.add_parser("import", help="import one authority's feed (all or nothing)")
    load.add_argument("--config", required=True, type=Path, help="backend config (its db and policy)")
    load.add_argument("--source", required=True, metavar="AUTHORITY", help="authority id, e.g. credit-china")
    load.add_argument("--as-of", required=True, metavar="YYYY-MM-DD", help="the day the feed's data is as of")
    load.add_argument("--dry-run", action="store_true", help="print the counts, write nothing")
    load.add_argument("feed", type=Path, metavar="FEED", help="CSV with a header row, or JSON Lines")
    load.set_defaults(run=run_import)
    show = actions.add_parser("export", help="one subject's facts, for support staff")
    show.add_argument("--config", type=Path,
                      help="backend config (default $XINYI_BACKEND_CONFIG or /etc/xinyi-backend/backend.toml)")
    show.add_argument("--subject", required=True, metavar="SCHEME:VALUE", help="e.g. uscc:91...")
    show.add_argument("--show", action="store_true", help="show the identifier and the values")
    show.add_argument("--json", action="store_true", help="one JSON object on stdout")
    show.set_defaults(run=run_export)
    parser.set_defaults(run=lambda _args: usage(parser))


def _fail(verb: str, detail: str, code: int) -> int:
    print(f"kiosk-backend records {verb}: {detail}", file=sys.stderr)
    return code


def _settings(path: Path | None) -> Settings:
    chosen = path or Path(os.environ.get("XINYI_BACKEND_CONFIG", DEFAULT_CONFIG))
    return load_settings(chosen, serving=False)


def run_import(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args.config)
        authorities = load_catalog(settings.policy_dir).authorities
        table = read_fact_table(settings.policy_dir)
    except KioskError as error:
        return _fail("import", error.detail, EXIT_USAGE)
    except FactTableError as error:
        return _fail("import", str(error), EXIT_USAGE)
    if args.source not in authorities:
        return _fail("import", f"--source: no authority {args.source!r} in the policy; known: "
                     f"{', '.join(sorted(authorities))}", EXIT_USAGE)
    facts = facts_of(table, args.source)
    if not facts:
        return _fail("import", f"--source: {args.source} holds no fact the rules read", EXIT_USAGE)
    try:
        as_of = date.fromisoformat(args.as_of)
        if as_of.isoformat() != args.as_of:
            raise ValueError
    except ValueError:
        return _fail("import", "--as-of must be a date YYYY-MM-DD", EXIT_USAGE)
    if as_of > datetime.now(UTC).date() + FUTURE_SLACK:
        return _fail("import", "--as-of is in the future", EXIT_USAGE)
    started = time.perf_counter()
    try:
        feed = read_feed(args.feed, args.source, facts, table)
    except FeedError as error:
        return _fail("import", error.detail + "; nothing was imported", EXIT_DATA)
    try:
        if settings.db_url is not None:
            counts = _import_postgres(settings, settings.db_url, feed, as_of.isoformat(), facts, args.dry_run)
        else:
            counts = _import_sqlite(settings.required("db_path"), feed, as_of.isoformat(), facts, args.dry_run)
    except KioskError as error:
        return _fail("import", error.detail, EXIT_USAGE)
    except _WriteFailed as error:
        return _fail("import", f"{error}; nothing was imported", EXIT_DATA)
    seconds = time.perf_counter() - started
    what = "dry run, nothing written" if args.dry_run else f"imported; data generation {counts.generation}"
    print(f"{args.feed}: {len(feed.rows)} row(s) from {args.source} as of {as_of}: {counts.line()} "
          f"({what}; {seconds:.2f} s)")
    return EXIT_OK


class _WriteFailed(Exception):
    """The database refused the import's writes (the message names it, not the URL)."""


def _import_sqlite(path: Path, feed: Feed, as_of: str, facts: Mapping[str, Any], dry_run: bool) -> ImportCounts:
    connection = open_for_import(path, dry_run=dry_run)
    try:
        return apply_feed(connection, feed, as_of, facts, dry_run=dry_run)
    except sqlite3.Error as error:
        raise _WriteFailed(f"{path}: cannot write the records ({error})") from None
    finally:
        connection.close()


def _import_postgres(
    settings: Settings, url: str, feed: Feed, as_of: str, facts: Mapping[str, Any], dry_run: bool
) -> ImportCounts:
    import psycopg

    from backend.pg import schema
    from backend.pg.connect import connect_once, reason, where
    from backend.records import pg_importer

    connection = connect_once(url, "db", settings.origin)
    try:
        try:
            schema.check(connection)
        except schema.SchemaError as error:
            raise BackendConfigError(settings.origin, "db", f"{where(url)} {error}") from None
        return pg_importer.apply_feed(connection, feed, as_of, facts, dry_run=dry_run)
    except psycopg.Error as error:
        raise _WriteFailed(f"{where(url)}: cannot write the records ({reason(error)})") from None
    finally:
        connection.close()


def mask(value: str) -> str:
    return value[:4] + "*" * max(0, len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def run_export(args: argparse.Namespace) -> int:
    scheme, _, value = args.subject.partition(":")
    if scheme not in VALIDATORS or not value:
        return _fail("export", f"--subject takes SCHEME:VALUE with SCHEME one of {', '.join(VALIDATORS)}",
                     EXIT_USAGE)
    try:
        canonical = VALIDATORS[scheme](value)
    except CredentialError as error:
        return _fail("export", f"--subject is not a valid {scheme}: {error.detail}", EXIT_USAGE)
    try:
        settings = _settings(args.config)
        table = read_fact_table(settings.policy_dir)
        store = open_store(settings)
    except KioskError as error:
        return _fail("export", error.detail, EXIT_USAGE)
    except FactTableError as error:
        return _fail("export", str(error), EXIT_USAGE)
    try:
        record = store.lookup(scheme, canonical)
    finally:
        store.close()
    if record is None:
        return _fail("export", "the records hold nothing for that subject", EXIT_DATA)
    shown = canonical if args.show else mask(canonical)
    sources: dict[str, dict[str, Any]] = {}
    for name, fact in sorted(record.facts.items()):
        source = table[name].source if name in table else "(unknown)"
        sources.setdefault(source, {"as_of": record.as_of.get(source), "facts": {}})["facts"][name] = (
            fact if args.show else "***"
        )
    for source, day in record.as_of.items():
        sources.setdefault(source, {"as_of": day, "facts": {}})
    if args.json:
        json.dump({"scheme": scheme, "value": shown, "kind": record.kind, "sources": sources},
                  sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
        sys.stdout.write("\n")
        return EXIT_OK
    print(f"{scheme} {shown} ({record.kind})")
    for source, entry in sorted(sources.items()):
        print(f"  {source} as of {entry['as_of'] or '-'}")
        for name, fact in entry["facts"].items():
            print(f"    {name} = {json.dumps(fact, ensure_ascii=False)}")
    return EXIT_OK
