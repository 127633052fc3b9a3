"""Apply one authority's checked feed to the records database: all of it or none of it.

One write transaction (``BEGIN IMMEDIATE``): the feed's subjects are matched set-wise through
a temporary table (no query per row), new subjects are added, each row's facts of that
authority are set or removed, that authority's as-of date is set for every subject the feed
names, and the data generation (backend/db.py) goes up by one, so a running service sees the
import on its next request. Any failure rolls everything back. ``dry_run`` computes the same
counts inside a transaction that is rolled back.

Counts: a row is *new* when the records held nothing from this authority for that subject,
*changed* when any of its facts differs, *unchanged* otherwise; *removed* counts the facts that
empty cells took away.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.db import META_SCHEMA, SCHEMA, RecordsFileError, read_generation
from backend.records.feed import KIND_BY_SCHEME, REMOVE, Feed


def _ref_key(ref: tuple[str, str, int]) -> str:
    return ref[0] + ref[1]  # one string compare, not a tuple compare per pair


_FEED_TABLE = "CREATE TEMP TABLE feed (row INTEGER PRIMARY KEY, scheme TEXT NOT NULL, value TEXT NOT NULL)"


@dataclass(frozen=True, slots=True)
class ImportCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    generation: int = 0

    def line(self) -> str:
        return f"new={self.new} changed={self.changed} unchanged={self.unchanged} removed={self.removed}"


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
    encoded: dict[tuple[type, Any], str] = {}  # few distinct values: encode each once

    def to_json(value: Any) -> str:
        key = (type(value), value)
        text = encoded.get(key)
        if text is None:
            text = encoded[key] = json.dumps(value)
        return text

    query = (
        "SELECT k.row, x.name, x.value_json FROM temp.known k "
        f"JOIN facts x ON x.subject_id = k.subject_id WHERE x.name IN ({marks})"
    )
    # Compared as JSON text: what the records hold was written by the same json.dumps.
    for row, name, value_json in connection.execute(query, names):
        held.setdefault(row, {})[name] = value_json
    dated = {
        row for (row,) in connection.execute(
            "SELECT k.row FROM temp.known k "
            "JOIN source_dates d ON d.subject_id = k.subject_id WHERE d.source = ?", (feed.source,)
        )
    }
    next_id = (connection.execute("SELECT coalesce(max(subject_id), 0) FROM subjects").fetchone()[0]) + 1
    new_subjects: list[tuple[int, str, str]] = []
    new_refs: list[tuple[str, str, int]] = []
    upserts: list[tuple[int, str, str]] = []
    deletes: list[tuple[int, str]] = []
    dates: list[tuple[int, str, str]] = []
    new = changed = unchanged = removed = 0
    for index, row in enumerate(rows):
        before = held.get(index, {})
        subject_id = ids.get(index)
        setting = {name: to_json(value) for name, value in row.facts.items() if value is not REMOVE}
        if subject_id is None:
            if not setting:
                unchanged += 1  # removing what was never there: nothing to record
                continue
            subject_id = next_id
            next_id += 1
            new_subjects.append((subject_id, KIND_BY_SCHEME[row.scheme], ""))
            new_refs.append((row.scheme, row.value, subject_id))
        dropped = [name for name, value in row.facts.items() if value is REMOVE and name in before]
        altered = [name for name, text in setting.items() if before.get(name) != text]
        upserts.extend((subject_id, name, setting[name]) for name in altered)
        deletes.extend((subject_id, name) for name in dropped)
        dates.append((subject_id, feed.source, as_of))
        removed += len(dropped)
        if not before and index not in dated:
            new += 1
        elif altered or dropped:
            changed += 1
        else:
            unchanged += 1
    connection.executemany("INSERT INTO subjects VALUES (?, ?, ?)", new_subjects)
    new_refs.sort(key=_ref_key)  # in key order, each insert lands beside the last (B-tree locality)
    connection.executemany("INSERT INTO subject_refs VALUES (?, ?, ?)", new_refs)
    connection.executemany(
        "INSERT INTO facts VALUES (?, ?, ?) "
        "ON CONFLICT (subject_id, name) DO UPDATE SET value_json = excluded.value_json",
        upserts,
    )
    connection.executemany("DELETE FROM facts WHERE subject_id = ? AND name = ?", deletes)
    connection.executemany(
        "INSERT INTO source_dates VALUES (?, ?, ?) "
        "ON CONFLICT (subject_id, source) DO UPDATE SET as_of = excluded.as_of",
        dates,
    )
    connection.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    generation = read_generation(connection)
    connection.execute("DROP TABLE temp.feed")
    connection.execute("DROP TABLE temp.known")
    return ImportCounts(new, changed, unchanged, removed, generation if not dry_run else generation - 1)
