"""Apply one authority's checked feed to the records in PostgreSQL: one transaction per feed,
rows moved with COPY, the plan (what is new, changed, removed) from backend/records/plan.py as
on SQLite.

Order inside the transaction: lock the generation row (a second import waits for the first;
readers never wait, they see the data before the import until it commits), COPY the feed's
references into a temporary table and match them set-wise, read what this authority's facts
are now, plan, then COPY the new subjects, references, facts and dates straight into their
tables (they cannot collide with stored rows) and the changes to known subjects through
temporary tables and one upsert or delete each. Last the generation goes up by one, which the
service reads before every answer (backend/pg/store.py). Anything that fails, and a process
killed midway, leaves no trace: PostgreSQL rolls back a transaction whose client is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import psycopg
from psycopg import sql

from backend.records.feed import Feed
from backend.records.plan import ImportCounts, plan_import

_COLUMNS = {
    "subjects": ("subject_id", "kind", "label"),
    "subject_refs": ("scheme", "value", "subject_id"),
    "facts": ("subject_id", "name", "value_json"),
    "source_dates": ("subject_id", "source", "as_of"),
}


def apply_feed(
    connection: psycopg.Connection[Any], feed: Feed, as_of: str, fact_names: Mapping[str, Any], *, dry_run: bool
) -> ImportCounts:
    """Import `feed` on `connection` (not in a transaction); with `dry_run` roll back at the end."""
    with connection.transaction(force_rollback=dry_run):
        counts = _apply(connection, feed, as_of, sorted(fact_names))
    return replace(counts, generation=counts.generation - 1) if dry_run else counts


def _apply(connection: psycopg.Connection[Any], feed: Feed, as_of: str, names: list[str]) -> ImportCounts:
    connection.execute("SELECT value FROM meta WHERE key = 'generation' FOR UPDATE")
    connection.execute("CREATE TEMP TABLE feed_rows (row integer, scheme text, value text) ON COMMIT DROP")
    # Schemes, canonical references, ids, fact names, authority ids and ISO dates need no
    # escaping in COPY's text format (backend/records/feed.py checked every one of them).
    _copy_lines(
        connection,
        "feed_rows",
        ("row", "scheme", "value"),
        (f"{index}\t{row.scheme}\t{row.value}" for index, row in enumerate(feed.rows)),
    )
    connection.execute("ANALYZE feed_rows")  # the planner joins 1 row or 1,000,000 differently
    connection.execute(
        "CREATE TEMP TABLE known ON COMMIT DROP AS SELECT f.row, r.subject_id "
        "FROM feed_rows f JOIN subject_refs r USING (scheme, value)"
    )
    ids: dict[int, int] = dict(connection.execute("SELECT row, subject_id FROM known").fetchall())
    held: dict[int, dict[str, str]] = {}
    if ids:
        for row, name, value_json in connection.execute(
            "SELECT k.row, x.name, x.value_json FROM known k JOIN facts x USING (subject_id) WHERE x.name = ANY(%s)",
            (names,),
        ):
            held.setdefault(row, {})[name] = value_json
    dated = (
        {
            row
            for (row,) in connection.execute(
                "SELECT k.row FROM known k JOIN source_dates d USING (subject_id) WHERE d.source = %s",
                (feed.source,),
            )
        }
        if ids
        else set()
    )
    top = connection.execute("SELECT coalesce(max(subject_id), 0) FROM subjects").fetchone()
    plan = plan_import(feed, as_of, ids=ids, held=held, dated=dated, next_id=int(top[0] if top else 0) + 1)
    escaped: dict[str, str] = {}  # few distinct JSON values: escape each once
    lines = {
        "subjects": (f"{i}\t{kind}\t{_text(label)}" for i, kind, label in plan.new_subjects),
        "subject_refs": (f"{scheme}\t{value}\t{i}" for scheme, value, i in plan.new_refs),
        "facts": (
            f"{i}\t{name}\t{escaped.get(text) or escaped.setdefault(text, _text(text))}"
            for i, name, text in plan.new_facts
        ),
        "source_dates": (f"{i}\t{source}\t{day}" for i, source, day in plan.new_dates),
    }
    if plan.new_subjects:
        for table, table_lines in lines.items():
            _copy_lines(connection, table, _COLUMNS[table], table_lines)
    _upsert(connection, "facts", ("subject_id", "name"), "value_json", plan.upserts)
    _upsert(connection, "source_dates", ("subject_id", "source"), "as_of", plan.dates)
    if plan.deletes:
        connection.execute("CREATE TEMP TABLE dropped (subject_id bigint, name text) ON COMMIT DROP")
        _copy(connection, "dropped", ("subject_id", "name"), plan.deletes)
        connection.execute("DELETE FROM facts x USING dropped d WHERE x.subject_id = d.subject_id AND x.name = d.name")
    row = connection.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation' RETURNING value").fetchone()
    # When the data was last refreshed, for /metrics (a SQLite file's modification time says the same).
    connection.execute(
        "INSERT INTO meta VALUES ('imported_at', extract(epoch FROM clock_timestamp())::bigint) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    return replace(plan.counts, generation=int(row[0]) if row else 0)


def _copy(
    connection: psycopg.Connection[Any], table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY `rows` of Python values, each field escaped for COPY's text format."""
    _copy_lines(connection, table, columns, ("\t".join([_text(field) for field in row]) for row in rows))


def _copy_lines(connection: psycopg.Connection[Any], table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    """COPY lines already in COPY's text format, written in blocks: psycopg's write_row costs
    ~4 µs a row in Python, most of an import's time at a million subjects; a line ~1 µs."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with connection.cursor().copy(statement) as copy:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= _BATCH_ROWS:
                copy.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            copy.write("\n".join(batch) + "\n")


def _text(field: Any) -> str:
    """One field in COPY text format: backslash, tab, newline and CR escaped (JSON text holds
    backslashes: json.dumps writes non-ASCII as \\uXXXX)."""
    text = field if isinstance(field, str) else str(field)
    if text.isalnum():  # identifiers, ids, names: nothing to escape, the usual case
        return text
    return text.translate(_ESCAPES)


_BATCH_ROWS = 8192
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _upsert(
    connection: psycopg.Connection[Any],
    table: str,
    key: tuple[str, str],
    column: str,
    rows: list[tuple[int, str, str]],
) -> None:
    """Set `column` for each (key..., value) in `rows`: COPY into a temporary table, then one
    INSERT ... ON CONFLICT DO UPDATE (no statement per row)."""
    if not rows:
        return
    staging = f"staged_{table}"
    columns = (*key, column)
    connection.execute(
        sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(sql.Identifier(staging), sql.Identifier(table))
    )
    _copy(connection, staging, columns, rows)
    connection.execute(
        sql.SQL(
            "INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "
            "ON CONFLICT ({key}) DO UPDATE SET {column} = excluded.{column}"
        ).format(
            table=sql.Identifier(table),
            staging=sql.Identifier(staging),
            columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
            key=sql.SQL(", ").join(map(sql.Identifier, key)),
            column=sql.Identifier(column),
        )
    )
