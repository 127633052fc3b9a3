"""Subjects' records in SQLite (stdlib sqlite3): who is on record, their facts, and as-of dates.

Schema (one file; `kiosk-backend records import` fills it from the authorities' feeds, see
backend/records/):

* ``subjects``     one row per business or person: kind and a label for staff tools.
* ``subject_refs`` (scheme, value) -> subject: the USCC or resident ID number, and any opaque
                   tokens that stand for the subject. Primary key (scheme, value).
* ``facts``        (subject, fact name) -> JSON value, the names the rules read.
* ``source_dates`` (subject, source authority) -> the date that authority's data is as of.
* ``meta``         ``generation``: a counter every import raises in its own transaction.

Freshness: a running service calls `refresh()` before each decision. It reads the 4-byte file
change counter SQLite keeps in the database header (offset 24; every commit in rollback-journal
mode, which the importer sets, increments it) with one ``pread`` (~1 µs, no lock; ``PRAGMA
data_version`` measured ~20 µs, as it takes a file lock), and only when that moved reads the
generation; a new generation re-reads preloaded records, and the service drops every kept
answer (backend/decision_bodies.py). So an import is seen by the next request, and no kept
answer outlives the data it was built from.

The store opens the file read-only. Two ways to look up, chosen by ``preload``:

* ``preload=True`` reads every record into a dict at start-up; a lookup is a dict probe
  (~1 µs). benchmarks/bench_backend.py measured the SQLite statement plus decoding the facts at
  ~150x that, the largest single cost of a decision, so the demo and small tables preload.
* ``preload=False`` runs one statement per request, indexed on ``subject_refs``' primary key,
  on one connection per thread (sqlite3 connections are not shared across threads): for tables
  too large to hold in memory.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.settings import BackendConfigError

SCHEMA = """
CREATE TABLE subjects (
    subject_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('business', 'person')),
    label TEXT NOT NULL
);
CREATE TABLE subject_refs (
    scheme TEXT NOT NULL CHECK (scheme IN ('uscc', 'ric', 'token')),
    value TEXT NOT NULL,
    subject_id INTEGER NOT NULL REFERENCES subjects (subject_id),
    PRIMARY KEY (scheme, value)
) WITHOUT ROWID;
CREATE TABLE facts (
    subject_id INTEGER NOT NULL REFERENCES subjects (subject_id),
    name TEXT NOT NULL,
    value_json TEXT NOT NULL,
    PRIMARY KEY (subject_id, name)
) WITHOUT ROWID;
CREATE TABLE source_dates (
    subject_id INTEGER NOT NULL REFERENCES subjects (subject_id),
    source TEXT NOT NULL,
    as_of TEXT NOT NULL,
    PRIMARY KEY (subject_id, source)
) WITHOUT ROWID;
""" + """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('generation', 0);
"""
META_SCHEMA = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS meta"):]
_TABLES = ("subjects", "subject_refs", "facts", "source_dates")
_CHANGE_COUNTER = (24, 4)  # offset and size of the file change counter in the SQLite header


def read_generation(connection: sqlite3.Connection) -> int:
    """The data generation (0 for a file written before imports existed)."""
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if row else 0

_LOOKUP = """
SELECT 'kind', s.kind, NULL FROM subject_refs r JOIN subjects s USING (subject_id)
 WHERE r.scheme = ?1 AND r.value = ?2
UNION ALL
SELECT 'fact', f.name, f.value_json FROM subject_refs r JOIN facts f USING (subject_id)
 WHERE r.scheme = ?1 AND r.value = ?2
UNION ALL
SELECT 'as_of', d.source, d.as_of FROM subject_refs r JOIN source_dates d USING (subject_id)
 WHERE r.scheme = ?1 AND r.value = ?2
"""


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    kind: str
    facts: Mapping[str, Any]
    as_of: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SeedSubject:
    """One subject to write: its references (scheme, value), facts and as-of dates."""

    kind: str
    label: str
    refs: Sequence[tuple[str, str]]
    facts: Mapping[str, Any]
    as_of: Mapping[str, str]


def create_database(path: Path, subjects: Iterable[SeedSubject]) -> None:
    """Write a fresh database at `path` (replacing any file there) holding `subjects`."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    connection = sqlite3.connect(temporary)
    try:
        with connection:
            connection.executescript(SCHEMA)
            for subject_id, subject in enumerate(subjects, start=1):
                connection.execute(
                    "INSERT INTO subjects VALUES (?, ?, ?)", (subject_id, subject.kind, subject.label)
                )
                connection.executemany(
                    "INSERT INTO subject_refs VALUES (?, ?, ?)",
                    [(scheme, value, subject_id) for scheme, value in subject.refs],
                )
                connection.executemany(
                    "INSERT INTO facts VALUES (?, ?, ?)",
                    [(subject_id, name, json.dumps(value)) for name, value in subject.facts.items()],
                )
                connection.executemany(
                    "INSERT INTO source_dates VALUES (?, ?, ?)",
                    [(subject_id, source, day) for source, day in subject.as_of.items()],
                )
    finally:
        connection.close()
    temporary.replace(path)


class RecordsFileError(BackendConfigError):
    """The records file cannot serve: missing, not SQLite, or not our schema."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(str(path), "db", problem)


class SubjectStore:
    """Read-only access to the records; `lookup` is the only query the service makes."""

    keeps_answers = True  # `refresh` costs a pread, so kept answers are checked for free

    def __init__(self, path: Path, *, preload: bool = False) -> None:
        self.path = path
        if not path.is_file():
            raise RecordsFileError(path, "no such records file")
        self._uri = path.resolve().as_uri() + "?mode=ro"
        self._local = threading.local()
        self._reload_lock = threading.Lock()
        self._preload = preload
        self._records: dict[tuple[str, str], SubjectRecord] | None = None
        self._counter: bytes | None = None
        self._fd = -1
        # Fail at start-up, not on the first request, if the file is bad: with one line
        # naming the file, whatever sqlite3 or the stored JSON raises.
        try:
            self.generation, records = self._snapshot()
        except (ValueError, KeyError, TypeError, RecursionError) as error:
            self.close()
            raise RecordsFileError(path, f"holds a malformed record ({type(error).__name__})") from None
        self._fd = os.open(path, os.O_RDONLY)
        if preload:
            self._records = records

    def changed_at(self) -> float | None:
        """When an import last wrote the file (its modification time), for /metrics."""
        try:
            return os.stat(self.path).st_mtime
        except OSError:
            return None

    def refresh(self) -> bool:
        """Catch up with imports committed since the last call; True when the data changed.

        Costs one 4-byte ``pread`` when nothing changed (see the module docstring).
        """
        counter = os.pread(self._fd, _CHANGE_COUNTER[1], _CHANGE_COUNTER[0])
        if counter == self._counter:
            return False
        self._counter = counter
        if read_generation(self._connection()) == self.generation:
            return False
        with self._reload_lock:
            generation, records = self._snapshot()
            if generation == self.generation:
                return False
            if self._preload:
                self._records = records
            self.generation = generation
        return True

    def _snapshot(self) -> tuple[int, dict[tuple[str, str], SubjectRecord] | None]:
        """(generation, every record if preloading) read in one transaction: never half an import."""
        connection = self._connection()
        try:
            connection.execute("BEGIN")
            try:
                generation = read_generation(connection)
                records = self._read_all(connection) if self._preload else None
            finally:
                connection.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            raise RecordsFileError(self.path, f"cannot be read ({error})") from None
        return generation, records

    def _read_all(self, connection: sqlite3.Connection) -> dict[tuple[str, str], SubjectRecord]:
        facts: dict[int, dict[str, Any]] = {}
        for subject_id, name, value_json in connection.execute("SELECT * FROM facts"):
            facts.setdefault(subject_id, {})[name] = json.loads(value_json)
        dates: dict[int, dict[str, str]] = {}
        for subject_id, source, as_of in connection.execute("SELECT * FROM source_dates"):
            dates.setdefault(subject_id, {})[source] = as_of
        records = {
            subject_id: SubjectRecord(kind, facts.get(subject_id, {}), dates.get(subject_id, {}))
            for subject_id, kind in connection.execute("SELECT subject_id, kind FROM subjects")
        }
        return {
            (scheme, value): records[subject_id]
            for scheme, value, subject_id in connection.execute("SELECT * FROM subject_refs")
        }

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # isolation_level None: no implicit transactions; _snapshot opens its own.
            connection = sqlite3.connect(self._uri, uri=True, isolation_level=None, timeout=10)
            try:
                for table in _TABLES:
                    connection.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
            except sqlite3.DatabaseError as error:
                connection.close()
                problem = (
                    "is not a SQLite file" if "not a database" in str(error)
                    else f"is not a records file ({error})"
                )
                raise RecordsFileError(self.path, problem) from None
            self._local.connection = connection
        return connection

    def lookup(self, scheme: str, value: str) -> SubjectRecord | None:
        if self._records is not None:
            return self._records.get((scheme, value))
        kind: str | None = None
        facts: dict[str, Any] = {}
        as_of: dict[str, str] = {}
        for row_type, name, payload in self._connection().execute(_LOOKUP, (scheme, value)):
            if row_type == "kind":
                kind = name
            elif row_type == "fact":
                facts[name] = json.loads(payload)
            else:
                as_of[name] = payload
        return None if kind is None else SubjectRecord(kind, facts, as_of)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
