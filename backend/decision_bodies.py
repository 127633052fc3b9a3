"""Serialised decisions, remembered per (benefit, subject, locale, UTC day).

A decision's criteria depend only on the benefit, the subject's facts, the locale and today's
date (rules read ``external.today``). The facts change only by an import, which raises the
database's data generation (backend/db.py); the service checks it before every answer, drops
every kept body when it moved (`clear`), and puts the generation into each key besides. So
no kept answer outlives the data it was built from. The first check of a subject for a benefit on a day runs
``decide()`` and keeps the JSON of everything but the three per-answer fields (decision id,
decided at, valid until); later checks that day fill those into the kept bytes. The key is the
request as sent (benefit, scheme, value, locale) plus the day, so a repeat skips even the
identifier check: only requests that passed every check are ever kept. The body is
byte for byte ``json.dumps(decision.to_json())`` of a fresh ``decide()``
(tests/test_backend_decision_bodies.py checks it for every demo case).

Why: decide() and JSON encoding were most of a decision's cost in bench_backend.py, and the
DESIGN §6 target puts a decision within 1.3x of a bare health check. Bounded (LRU), so a
stream of distinct subjects costs at most `max_entries` bodies (~2 KB each) of memory.
"""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime, timedelta

from kiosk.core.decision import Decision

DEFAULT_MAX_ENTRIES = 4096


def encode(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def iso_seconds(moment: datetime) -> str:
    """The API's timestamp form, as decide() writes it: UTC, whole seconds, "Z"."""
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


class _Template:
    __slots__ = ("middle", "valid_for")

    def __init__(self, decision: Decision, valid_for: timedelta) -> None:
        document = decision.to_json()
        # to_json's order: decision_id, benefit, outcome, criteria, policy_version, decided_at,
        # valid_until. Keep the four in the middle as serialised bytes.
        middle = {key: document[key] for key in ("benefit", "outcome", "criteria", "policy_version")}
        self.middle = encode(middle)[1:-1]
        self.valid_for = valid_for

    def render(self, decision_id: str, moment: datetime) -> bytes:
        return b"".join(
            (
                b'{"decision_id":"', decision_id.encode("ascii"), b'",',
                self.middle,
                b',"decided_at":"', iso_seconds(moment).encode("ascii"),
                b'","valid_until":"', iso_seconds(moment + self.valid_for).encode("ascii"),
                b'"}',
            )
        )


class DecisionBodies:
    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._templates: OrderedDict[Hashable, _Template] = OrderedDict()

    def render(self, key: Hashable, moment: datetime) -> bytes | None:
        """The kept answer for `key`, with a fresh decision id and `moment`'s times; or None.

        `key` must name everything the answer depends on, including the UTC day of `moment`.
        """
        template = self._templates.get(key)
        if template is None:
            return None
        self._templates.move_to_end(key)
        return template.render(uuid.uuid4().hex, moment)

    def keep(self, key: Hashable, decision: Decision, valid_for: timedelta, moment: datetime) -> bytes:
        """Keep `decision` (decided at `moment`) for `key` and return its body."""
        template = _Template(decision, valid_for)
        self._templates[key] = template
        if len(self._templates) > self.max_entries:
            self._templates.popitem(last=False)
        return template.render(decision.decision_id, moment)

    def clear(self) -> None:
        """Forget every kept answer (the records changed)."""
        self._templates.clear()

    def __len__(self) -> int:
        return len(self._templates)
