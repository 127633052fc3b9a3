"""The records schema on PostgreSQL, versioned: `kiosk-backend db init` creates or migrates it.

The same four tables as the SQLite file (backend/db.py), so the importer's plan and the
service's lookup read alike, and ``meta`` holds the data generation and the schema version.
Since version 2 the fleet's tables (``fleet_*``, backend/pg/fleet_store.py) and the tokens
(backend/pg/tokens.py) are part of it, so that every node shares one fleet and one list of
who holds a token (``fleet_db``, ``device_tokens``, ``operator_tokens`` naming a URL).
No foreign keys: the importer is the only writer and adds a subject before its references
and facts in one transaction, and per-row foreign-key checks would be most of a COPY's cost.

``rate_buckets`` holds every device's token bucket for all workers and nodes (backend/pg/
limiter.py). It is UNLOGGED: a rate limit is not worth a WAL write per request, and after a
crash the buckets start full, as after a restart of one process.

A release that changes the schema adds its step to `MIGRATIONS` (from version N to N+1);
`init` applies the missing steps in one transaction and refuses a database from a newer
release.
"""

from __future__ import annotations

from typing import Any

import psycopg

SCHEMA_VERSION = 2
# Version 2: what must hold across nodes besides the records. The fleet as on SQLite
# (backend/fleet/sqlite_store.py, with `seq` to keep the newest batches), and the device and
# operator tokens as in their files (backend/pg/tokens.py).
_SHARED = """
CREATE TABLE fleet_devices (
    device text PRIMARY KEY,
    received_at text NOT NULL,
    status_json text NOT NULL,
    allowance double precision NOT NULL,
    allowance_at double precision NOT NULL
);
CREATE TABLE fleet_outcome_counts (
    device text NOT NULL, day text NOT NULL, benefit text NOT NULL, outcome text NOT NULL,
    count bigint NOT NULL CHECK (count >= 0),
    PRIMARY KEY (device, day, benefit, outcome)
);
CREATE TABLE fleet_criterion_counts (
    device text NOT NULL, day text NOT NULL, criterion text NOT NULL, status text NOT NULL,
    count bigint NOT NULL CHECK (count >= 0),
    PRIMARY KEY (device, day, criterion, status)
);
CREATE TABLE fleet_applied_batches (
    seq bigserial PRIMARY KEY, device text NOT NULL, batch text NOT NULL, UNIQUE (device, batch)
);
CREATE TABLE fleet_operator_sessions (
    secret_sha256 text PRIMARY KEY, operator text NOT NULL, token_id text NOT NULL,
    expires_at double precision NOT NULL
);
CREATE INDEX fleet_outcome_counts_day ON fleet_outcome_counts (day);
CREATE INDEX fleet_criterion_counts_day ON fleet_criterion_counts (day);
CREATE TABLE tokens (
    kind text NOT NULL CHECK (kind IN ('devices', 'operators')),
    holder text NOT NULL,
    token_id text NOT NULL,
    salt text NOT NULL,
    hmac_sha256 text NOT NULL,
    issued_at text,
    PRIMARY KEY (kind, holder),
    UNIQUE (kind, token_id)
);
INSERT INTO meta VALUES ('tokens:devices', 0), ('tokens:operators', 0);
"""
CREATE = f"""
CREATE TABLE subjects (
    subject_id bigint PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('business', 'person')),
    label text NOT NULL
);
CREATE TABLE subject_refs (
    scheme text NOT NULL CHECK (scheme IN ('uscc', 'ric', 'token')),
    value text NOT NULL,
    subject_id bigint NOT NULL,
    PRIMARY KEY (scheme, value)
);
CREATE TABLE facts (
    subject_id bigint NOT NULL,
    name text NOT NULL,
    value_json text NOT NULL,
    PRIMARY KEY (subject_id, name)
);
CREATE TABLE source_dates (
    subject_id bigint NOT NULL,
    source text NOT NULL,
    as_of text NOT NULL,
    PRIMARY KEY (subject_id, source)
);
CREATE TABLE meta (key text PRIMARY KEY, value bigint NOT NULL);
INSERT INTO meta VALUES ('generation', 0), ('schema_version', {SCHEMA_VERSION});
CREATE UNLOGGED TABLE rate_buckets (
    device text PRIMARY KEY,
    tokens double precision NOT NULL,
    stamp double precision NOT NULL,
    allowed boolean NOT NULL
);
""" + _SHARED
MIGRATIONS: dict[int, str] = {  # version N -> the SQL that brings N to N+1
    1: _SHARED,  # the fleet and the tokens move into the database
}


class SchemaError(Exception):
    """The database holds no records schema, or one this release cannot read."""


def installed_version(connection: psycopg.Connection[Any]) -> int | None:
    """The schema version in the database, or None when it holds no records schema."""
    found = connection.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
    if not found or not found[0]:
        return None
    row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else None


def check(connection: psycopg.Connection[Any]) -> None:
    """SchemaError unless the schema is the one this release reads."""
    version = installed_version(connection)
    if version is None:
        raise SchemaError("holds no records schema; run `kiosk-backend db init --config FILE` first")
    if version != SCHEMA_VERSION:
        newer = version > SCHEMA_VERSION
        raise SchemaError(
            f"has schema version {version}, this release reads {SCHEMA_VERSION}; "
            + ("upgrade the backend" if newer else "run `kiosk-backend db init --config FILE` to migrate it")
        )


def init(connection: psycopg.Connection[Any]) -> str:
    """Create or migrate the schema in one transaction; what was done, in one line."""
    with connection.transaction():
        # Two `db init` at once: the second waits here, then finds the schema made.
        connection.execute("SELECT pg_advisory_xact_lock(7126)")
        version = installed_version(connection)
        if version is None:
            connection.execute(CREATE)
            return f"created the records schema, version {SCHEMA_VERSION}"
        if version > SCHEMA_VERSION:
            raise SchemaError(f"has schema version {version}, newer than this release's {SCHEMA_VERSION}")
        if version == SCHEMA_VERSION:
            return f"the records schema is already at version {SCHEMA_VERSION}; nothing to do"
        for step in range(version, SCHEMA_VERSION):
            connection.execute(MIGRATIONS[step])
        connection.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", (SCHEMA_VERSION,))
        return f"migrated the records schema from version {version} to {SCHEMA_VERSION}"
