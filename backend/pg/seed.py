"""Write a given population into a PostgreSQL records database, replacing what it held: the
demo's synthetic subjects and the tests' (backend/db.py `create_database` does it for SQLite).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import psycopg

from backend.db import SeedSubject
from backend.pg import schema

_TABLES = ("subjects", "subject_refs", "facts", "source_dates")


def create_records(url: str, subjects: Iterable[SeedSubject]) -> None:
    """Create the schema if missing, then hold exactly `subjects` (one transaction)."""
    with psycopg.connect(url, autocommit=True) as connection:
        schema.init(connection)
        with connection.transaction():
            connection.execute(f"TRUNCATE {', '.join(_TABLES)}")
            rows: dict[str, list[tuple[object, ...]]] = {table: [] for table in _TABLES}
            for subject_id, subject in enumerate(subjects, start=1):
                rows["subjects"].append((subject_id, subject.kind, subject.label))
                rows["subject_refs"] += [(scheme, value, subject_id) for scheme, value in subject.refs]
                rows["facts"] += [(subject_id, name, json.dumps(v)) for name, v in subject.facts.items()]
                rows["source_dates"] += [(subject_id, source, day) for source, day in subject.as_of.items()]
            for table in _TABLES:
                with connection.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows[table]:
                        copy.write_row(row)
            connection.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
