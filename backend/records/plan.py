"""What one feed changes, worked out from what the records already hold: the same plan for
the SQLite file and for PostgreSQL, so both stores count and write alike.

A row is *new* when the records held nothing from this authority for that subject, *changed*
when any of its facts differs, *unchanged* otherwise; *removed* counts the facts that empty
cells took away. Values are compared as JSON text: what the records hold was written by the
same `json.dumps`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.records.feed import KIND_BY_SCHEME, REMOVE, Feed


@dataclass(frozen=True, slots=True)
class ImportCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    generation: int = 0

    def line(self) -> str:
        return f"new={self.new} changed={self.changed} unchanged={self.unchanged} removed={self.removed}"


@dataclass(slots=True)
class ImportPlan:
    """The rows to write. Facts and dates of subjects new in this feed are kept apart from
    those of known subjects: they cannot collide with a stored row, so a store may append
    them without an upsert."""

    new_subjects: list[tuple[int, str, str]] = field(default_factory=list)
    new_refs: list[tuple[str, str, int]] = field(default_factory=list)
    new_facts: list[tuple[int, str, str]] = field(default_factory=list)
    new_dates: list[tuple[int, str, str]] = field(default_factory=list)
    upserts: list[tuple[int, str, str]] = field(default_factory=list)
    deletes: list[tuple[int, str]] = field(default_factory=list)
    dates: list[tuple[int, str, str]] = field(default_factory=list)
    counts: ImportCounts = field(default_factory=ImportCounts)


def plan_import(
    feed: Feed,
    as_of: str,
    *,
    ids: Mapping[int, int],
    held: Mapping[int, Mapping[str, str]],
    dated: set[int],
    next_id: int,
) -> ImportPlan:
    """`ids`: feed row index -> subject id of the subjects on record; `held`: row index ->
    this authority's facts as JSON text; `dated`: row indexes whose subject has an as-of date
    from this authority; `next_id`: the first free subject id."""
    plan = ImportPlan()
    encoded: dict[tuple[type, Any], str] = {}  # few distinct values: encode each once

    def to_json(value: Any) -> str:
        key = (type(value), value)
        text = encoded.get(key)
        if text is None:
            text = encoded[key] = json.dumps(value)
        return text

    new = changed = unchanged = removed = 0
    for index, row in enumerate(feed.rows):
        setting = {name: to_json(value) for name, value in row.facts.items() if value is not REMOVE}
        subject_id = ids.get(index)
        if subject_id is None:
            if not setting:
                unchanged += 1  # removing what was never there: nothing to record
                continue
            subject_id = next_id
            next_id += 1
            plan.new_subjects.append((subject_id, KIND_BY_SCHEME[row.scheme], ""))
            plan.new_refs.append((row.scheme, row.value, subject_id))
            plan.new_facts.extend((subject_id, name, text) for name, text in setting.items())
            plan.new_dates.append((subject_id, feed.source, as_of))
            new += 1
            continue
        before = held.get(index, {})
        dropped = [name for name, value in row.facts.items() if value is REMOVE and name in before]
        altered = [name for name, text in setting.items() if before.get(name) != text]
        plan.upserts.extend((subject_id, name, setting[name]) for name in altered)
        plan.deletes.extend((subject_id, name) for name in dropped)
        plan.dates.append((subject_id, feed.source, as_of))
        removed += len(dropped)
        if not before and index not in dated:
            new += 1
        elif altered or dropped:
            changed += 1
        else:
            unchanged += 1
    plan.counts = ImportCounts(new, changed, unchanged, removed)
    return plan
