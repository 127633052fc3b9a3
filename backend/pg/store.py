"""The records on PostgreSQL: the `RecordsStore` the service reads when ``db`` is a URL.

Every lookup is one indexed statement (prepared by psycopg after a few uses) on a pooled
connection: nothing is preloaded, since a province's tables do not fit in each worker's memory.
Decisions read from ``db_read`` when the config names a replica, else from ``db``.

Freshness: `refresh()` reads the data generation (one primary-key row of ``meta``) before each
answer, from the same database the lookup then reads. Every worker and node sees an import on
its next request, with no message between them; on a replica, when the replica has replayed
the import, and then the generation and the facts arrive together (replay applies a
transaction whole).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from backend.db import SubjectRecord
from backend.pg import schema
from backend.pg.connect import Database, reason, where
from backend.settings import BackendConfigError

_GENERATION = "SELECT value FROM meta WHERE key = 'generation'"
_LOOKUP = """
WITH r AS (SELECT subject_id FROM subject_refs WHERE scheme = %(scheme)s AND value = %(value)s)
SELECT 'kind', s.kind, NULL FROM r JOIN subjects s USING (subject_id)
UNION ALL
SELECT 'fact', f.name, f.value_json FROM r JOIN facts f USING (subject_id)
UNION ALL
SELECT 'as_of', d.source, d.as_of FROM r JOIN source_dates d USING (subject_id)
"""


class PostgresStore:
    def __init__(self, url: str, read_url: str | None = None, *, origin: str = "(settings)") -> None:
        self.database = Database(read_url or url, "db_read" if read_url else "db", origin=origin)
        self.database.open()
        try:
            self.database.run(schema.check)
            self.generation = self.database.run(_generation)
        except schema.SchemaError as error:
            self.close()
            raise BackendConfigError(origin, self.database.key, f"{where(self.database.url)} {error}") from None
        except psycopg.Error as error:
            self.close()
            raise BackendConfigError(
                origin, self.database.key, f"{where(self.database.url)} cannot be read ({reason(error)})"
            ) from None

    def refresh(self) -> bool:
        generation = self.database.run(_generation)
        if generation == self.generation:
            return False
        self.generation = generation
        return True

    def lookup(self, scheme: str, value: str) -> SubjectRecord | None:
        rows = self.database.run(lambda c: c.execute(_LOOKUP, {"scheme": scheme, "value": value}).fetchall())
        kind: str | None = None
        facts: dict[str, Any] = {}
        as_of: dict[str, str] = {}
        for row_type, name, payload in rows:
            if row_type == "kind":
                kind = name
            elif row_type == "fact":
                facts[name] = json.loads(payload)
            else:
                as_of[name] = payload
        return None if kind is None else SubjectRecord(kind, facts, as_of)

    def close(self) -> None:
        self.database.close()


def _generation(connection: psycopg.Connection[Any]) -> int:
    row = connection.execute(_GENERATION).fetchone()
    return int(row[0]) if row else 0
