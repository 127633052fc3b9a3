"""The one interface the service reads records through, and the config's choice of store.

Two implementations: `backend.db.SubjectStore` (a SQLite file, the embedded default) and
`backend.pg.store.PostgresStore` (``db = "postgresql://..."``). Both answer the same two
questions, with the same meaning:

* ``refresh()``: catch up with imports committed since the last call; True when the data
  changed (the service then drops its kept answers). ``generation`` is the data generation
  every import raises by one.
* ``lookup(scheme, value)``: the record a subject reference names, or None.

A store that cannot reach its database while serving raises `RecordsUnavailable`, which the
service answers as 503 problem+json with a Retry-After; the store recovers by itself when the
database is back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from backend.problems import RECORDS_UNAVAILABLE, ProblemError

if TYPE_CHECKING:
    from backend.db import SubjectRecord
    from backend.settings import Settings

RETRY_AFTER_SECONDS = 1


class RecordsUnavailable(ProblemError):
    """The records' database cannot be reached now; what a client gets is 503."""

    def __init__(self, detail: str = "the records cannot be read just now; retry shortly") -> None:
        super().__init__(RECORDS_UNAVAILABLE, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class RecordsStore(Protocol):
    generation: int
    # Whether the service may keep answers (backend/decision_bodies.py) for this store: true
    # where `refresh` is cheaper than `lookup` (SQLite's pread); PostgreSQL reads every time.
    keeps_answers: bool

    def refresh(self) -> bool: ...

    def lookup(self, scheme: str, value: str) -> SubjectRecord | None: ...

    def changed_at(self) -> float | None:
        """When the last import finished (seconds since the epoch), or None if unknown."""
        ...

    def close(self) -> None: ...


def open_store(settings: Settings) -> RecordsStore:
    """The store the config names: PostgreSQL for a URL, else the SQLite file.

    Raises a BackendConfigError (one line for a person) when it cannot serve: a missing file,
    a database that cannot be reached or has no schema.
    """
    if settings.db_url is not None:
        from backend.pg.store import PostgresStore  # SQLite sites never import psycopg

        return PostgresStore(settings.db_url, settings.db_read_url, origin=settings.origin)
    from backend.db import SubjectStore

    return SubjectStore(settings.required("db_path"), preload=settings.preload_records)
