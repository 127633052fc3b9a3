"""The records on PostgreSQL: the `RecordsStore` the service reads when ``db`` is a URL.

Every lookup is one indexed statement (prepared by psycopg after a few uses) on a pooled
connection, answered as one row (the subject's kind, its facts and its as-of dates as JSON):
nothing is preloaded, since a province's tables do not fit in each worker's memory. Decisions
read from ``db_read`` when the config names a replica, else from ``db``.

Freshness: every decision reads the database, so every worker and node sees an import on its
next request, with no message between them (on a replica, once it has replayed the import,
which it applies whole). So the service keeps no answers for this store (`keeps_answers`):
a kept answer would need a round trip to check the data generation first, and that round trip
is what a lookup costs (benchmarks/bench_scale.py: one round trip per decision, not two).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from backend.db import SubjectRecord
from backend.pg.connect import open_checked, reason, where
from backend.records_store import RecordsUnavailable
from backend.settings import BackendConfigError

_GENERATION = "SELECT value FROM meta WHERE key = 'generation'"
_IMPORTED_AT = "SELECT value FROM meta WHERE key = 'imported_at'"  # written by each import (pg_importer.py)
# value_json is JSON text already: the facts object is put together as text and parsed once.
_LOOKUP = """
SELECT s.kind,
       (SELECT '{' || coalesce(string_agg(to_json(f.name)::text || ':' || f.value_json, ','), '') || '}'
          FROM facts f WHERE f.subject_id = r.subject_id),
       (SELECT coalesce(json_object_agg(d.source, d.as_of), '{}')::text
          FROM source_dates d WHERE d.subject_id = r.subject_id)
  FROM subject_refs r JOIN subjects s USING (subject_id)
 WHERE r.scheme = %s AND r.value = %s
"""


class PostgresStore:
    keeps_answers = False  # see the module docstring

    def __init__(self, url: str, read_url: str | None = None, *, origin: str = "(settings)") -> None:
        self.database = open_checked(read_url or url, "db_read" if read_url else "db", origin=origin)
        try:
            self.generation = self.database.run(_generation)
        except (psycopg.Error, RecordsUnavailable) as error:
            self.close()
            raise BackendConfigError(
                origin, self.database.key, f"{where(self.database.url)} cannot be read ({reason(error)})"
            ) from None

    def refresh(self) -> bool:
        """Nothing to catch up with: every lookup reads the database as it is now."""
        return False

    def lookup(self, scheme: str, value: str) -> SubjectRecord | None:
        row = self.database.run(lambda c: c.execute(_LOOKUP, (scheme, value)).fetchone())
        if row is None:
            return None
        kind, facts, as_of = row
        return SubjectRecord(kind, json.loads(facts), json.loads(as_of))

    def changed_at(self) -> float | None:
        row = self.database.run(lambda c: c.execute(_IMPORTED_AT).fetchone())
        return float(row[0]) if row else None

    def close(self) -> None:
        self.database.close()


def _generation(connection: psycopg.Connection[Any]) -> int:
    row = connection.execute(_GENERATION).fetchone()
    return int(row[0]) if row else 0
