"""Apply one authority's checked feed to the records database: all of it or none of it.

One write transaction (``BEGIN IMMEDIATE``): the feed's subjects are matched set-wise through
a temporary table (no query per row), new subjects are added, each row's facts of that
authority are set or removed, that authority's as-of date is set for every subject the feed
names, and the data generation (backend/db.py) goes up by one, so a running service sees the
import on its next request. Any failure rolls everything back. ``dry_run`` computes the same
counts inside a transaction that is rolled back. What to write and the counts come from
backend/records/plan.py, shared with the PostgreSQL importer (backend/records/pg_importer.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from backend.db import META_SCHEMA, SCHEMA, RecordsFileError, read_generation
from backend.records.feed import Feed
from backend.records.plan import ImportCounts, plan_import

__all__ = ["ImportCounts", "apply_feed", "open_for_import"]


def _ref_key(ref: tuple[str, str, int]) -> str:
    return ref[0] + ref[1]  # one string compare, not a tuple compare per pair


_FEED_TABLE = "CREATE TEMP TABLE feed (row INTEGER PRIMARY KEY, scheme TEXT NOT NULL, value TEXT NOT NULL)"


def open_for_import(path: Path, *, dry_run: bool = False) -> sqlite3.Connection:
    """A writable connection; a missing file is created with the schema (for a dry run, an
    empty database in memory stands in: a dry run writes nothing, not even a new file)."""
    fresh = not path.exists()
    if path.is_dir():
        raise RecordsFileError(path, "is a folder, not a records file")
    try:
        target = ":memory:" if fresh and dry_run else path
        connection = sqlite3.connect(target, isolation_level=None, timeout=30)
    except sqlite3.Error as error:
        raise RecordsFileError(path, f"cannot be opened ({error})") from None
    try:
        if fresh:
            connection.executescript("BEGIN;" + SCHEMA + "COMMIT;")
        else:
            for table in ("subjects", "subject_refs", "facts", "source_dates"):
                connection.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
            connection.executescript("BEGIN;" + META_SCHEMA + "COMMIT;")
        connection.execute("PRAGMA cache_size = -65536")  # 64 MiB: a big feed stays in memory
        # Rollback journal, not WAL: each commit then bumps the header's change counter, which
        # a running service reads to notice an import (backend/db.py).
        connection.execute("PRAGMA journal_mode = DELETE").fetchall()
    except sqlite3.DatabaseError as error:
        connection.close()
        problem = "is not a SQLite file" if "not a database" in str(error) else f"is not a records file ({error})"
        raise RecordsFileError(path, problem) from None
    return connection


def apply_feed(
    connection: sqlite3.Connection, feed: Feed, as_of: str, fact_names: Mapping[str, Any], *, dry_run: bool
) -> ImportCounts:
    connection.execute("BEGIN IMMEDIATE")
    try:
        counts = _apply(connection, feed, as_of, fact_names, dry_run=dry_run)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("ROLLBACK" if dry_run else "COMMIT")
    return counts


def _apply(
    connection: sqlite3.Connection, feed: Feed, as_of: str, fact_names: Mapping[str, Any], *, dry_run: bool
) -> ImportCounts:
    rows = feed.rows
    connection.execute("DROP TABLE IF EXISTS temp.feed")
    connection.execute("DROP TABLE IF EXISTS temp.known")
    connection.execute(_FEED_TABLE)
    connection.executemany(
        "INSERT INTO temp.feed VALUES (?, ?, ?)", [(i, r.scheme, r.value) for i, r in enumerate(rows)]
    )
    # Resolve the references once; the lookups below go by integer subject id.
    connection.execute(
        "CREATE TEMP TABLE known AS SELECT f.row AS row, r.subject_id AS subject_id "
        "FROM temp.feed f JOIN subject_refs r USING (scheme, value)"
    )
    ids: dict[int, int] = dict(connection.execute("SELECT row, subject_id FROM temp.known"))
    names = sorted(fact_names)
    marks = ",".join("?" * len(names))
    held: dict[int, dict[str, str]] = {}
    query = (
        "SELECT k.row, x.name, x.value_json FROM temp.known k "
        f"JOIN facts x ON x.subject_id = k.subject_id WHERE x.name IN ({marks})"
    )
    for row, name, value_json in connection.execute(query, names):
        held.setdefault(row, {})[name] = value_json
    dated = {
        row for (row,) in connection.execute(
            "SELECT k.row FROM temp.known k "
            "JOIN source_dates d ON d.subject_id = k.subject_id WHERE d.source = ?", (feed.source,)
        )
    }
    next_id = (connection.execute("SELECT coalesce(max(subject_id), 0) FROM subjects").fetchone()[0]) + 1
    plan = plan_import(feed, as_of, ids=ids, held=held, dated=dated, next_id=next_id)
    connection.executemany("INSERT INTO subjects VALUES (?, ?, ?)", plan.new_subjects)
    plan.new_refs.sort(key=_ref_key)  # in key order, each insert lands beside the last (B-tree locality)
    connection.executemany("INSERT INTO subject_refs VALUES (?, ?, ?)", plan.new_refs)
    connection.executemany(
        "INSERT INTO facts VALUES (?, ?, ?) "
        "ON CONFLICT (subject_id, name) DO UPDATE SET value_json = excluded.value_json",
        plan.new_facts + plan.upserts,
    )
    connection.executemany("DELETE FROM facts WHERE subject_id = ? AND name = ?", plan.deletes)
    connection.executemany(
        "INSERT INTO source_dates VALUES (?, ?, ?) "
        "ON CONFLICT (subject_id, source) DO UPDATE SET as_of = excluded.as_of",
        plan.new_dates + plan.dates,
    )
    connection.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    generation = read_generation(connection)
    connection.execute("DROP TABLE temp.feed")
    connection.execute("DROP TABLE temp.known")
    return replace(plan.counts, generation=generation if not dry_run else generation - 1)
