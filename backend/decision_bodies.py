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
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from kiosk.core.decision_ids import new_decision_id
from kiosk.core.decision_records import Decision

if TYPE_CHECKING:
    from backend.receipts import ReceiptIssuer
    from kiosk.core.receipts.template import ReceiptTemplate

DEFAULT_MAX_ENTRIES = 4096


def encode(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def iso_seconds(moment: datetime) -> str:
    """The API's timestamp form, as decide() writes it: UTC, whole seconds, "Z"."""
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


class _Clock:
    """An answer's two timestamps, kept for the last second seen: a busy server answers many
    times a second, and formatting them was a tenth of a kept answer."""

    __slots__ = ("last",)

    def __init__(self) -> None:
        # One tuple, replaced whole: (second, decided_at, {validity: valid_until}).
        self.last: tuple[int, bytes, dict[timedelta, bytes]] = (-1, b"", {})

    def texts_for(self, moment: datetime, valid_for: timedelta) -> tuple[bytes, bytes]:
        second = int(moment.timestamp())
        last = self.last
        if last[0] != second:
            last = (second, iso_seconds(moment).encode("ascii"), {})
            self.last = last
        until = last[2].get(valid_for)
        if until is None:
            until = last[2][valid_for] = iso_seconds(moment + valid_for).encode("ascii")
        return last[1], until


class _Template:
    __slots__ = ("middle", "receipt", "reference", "valid_for")

    def __init__(
        self, decision: Decision, valid_for: timedelta, reference: bytes, receipts: ReceiptIssuer | None
    ) -> None:
        document = decision.to_json()
        # to_json's order: decision_id, benefit, outcome, criteria, policy_version, decided_at,
        # valid_until, receipt. Keep the four after the id as serialised bytes.
        middle = {key: document[key] for key in ("benefit", "outcome", "criteria", "policy_version")}
        self.middle = encode(middle)[1:-1]
        self.valid_for = valid_for
        # What each receipt of this answer is made from: the decision's fixed part, encoded
        # once (its id and times are the answer's), and the subject reference its binding hashes.
        self.receipt: ReceiptTemplate | None = receipts.template(decision) if receipts is not None else None
        self.reference = reference

    def render(
        self, decision_id: str, moment: datetime, clock: _Clock, receipts: ReceiptIssuer | None, device: str
    ) -> bytes:
        decided_at, valid_until = clock.texts_for(moment, self.valid_for)
        receipt = b"null"
        if receipts is not None and self.receipt is not None:
            # A fresh salt and signature for every answer: a receipt is one decision's.
            text = receipts.render(
                self.receipt, receipt_id=decision_id, decided_at=moment, valid_until=moment + self.valid_for,
                device=device, reference=self.reference,
            )
            if text is not None:
                receipt = b'"' + text.encode("ascii") + b'"'
        return b"".join(
            (
                b'{"decision_id":"', decision_id.encode("ascii"), b'",',
                self.middle,
                b',"decided_at":"', decided_at,
                b'","valid_until":"', valid_until,
                b'","receipt":', receipt,
                b"}",
            )
        )


class DecisionBodies:
    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, receipts: ReceiptIssuer | None = None) -> None:
        self.max_entries = max_entries
        self.receipts = receipts
        self._templates: OrderedDict[Hashable, _Template] = OrderedDict()
        self._clock = _Clock()

    def render(self, key: Hashable, moment: datetime, device: str = "") -> bytes | None:
        """The kept answer for `key`, with a fresh decision id and `moment`'s times (and a
        receipt for `device`); or None.

        `key` must name everything the answer depends on, including the UTC day of `moment`.
        """
        template = self._templates.get(key)
        if template is None:
            return None
        self._templates.move_to_end(key)
        return template.render(new_decision_id(), moment, self._clock, self.receipts, device)

    def keep(
        self, key: Hashable, decision: Decision, valid_for: timedelta, moment: datetime,
        reference: bytes = b"", device: str = "",
    ) -> bytes:
        """Keep `decision` (decided at `moment`) for `key` and return its body; `reference` is
        the subject reference its receipts bind to (binding.subject_reference)."""
        template = _Template(decision, valid_for, reference, self.receipts)
        self._templates[key] = template
        if len(self._templates) > self.max_entries:
            self._templates.popitem(last=False)
        return template.render(decision.decision_id, moment, self._clock, self.receipts, device)

    def clear(self) -> None:
        """Forget every kept answer (the records changed)."""
        self._templates.clear()

    def __len__(self) -> int:
        return len(self._templates)
