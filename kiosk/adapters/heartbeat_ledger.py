"""What the heartbeat must remember between beats, in ``heartbeat.json`` in the data folder.

* ``pending``: counters not yet handed to a heartbeat (benefit x outcome x day and criterion x
  status x day; ids, statuses and days only, nothing else has a place here);
* ``sealed``: the one batch on its way, under a random batch id, until the backend names that
  id in an answer (kept across a restart; sent again, unchanged, with every beat until then,
  and the backend counts a batch id once);
* ``clock_skew_seconds``: what the last answer's ``Date`` said about this kiosk's clock;
* ``last_frame_at``: when the running kiosk last drew a frame, as of its last beat (so the
  field tool `kiosk heartbeat` reports it too).

Written whole and atomically (kiosk/adapters/atomic_file.py) under the store's lock, so the
kiosk app and `kiosk heartbeat` may both use it; a file that is not exactly this shape is
moved aside and the ledger starts clean, as the store does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kiosk.adapters.atomic_file import MAX_STORE_FILE_BYTES, remove_stale_temps, write_atomic
from kiosk.adapters.data_lock import data_folder_lock
from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.core.decision_records import Outcome, Status
from kiosk.core.heartbeat import MAX_COUNT, OLDEST_DAY, CounterBatch, CriterionCount, OutcomeCount

log = logging.getLogger("kiosk.adapters.heartbeat_ledger")

LEDGER_FILE = "heartbeat.json"
_KEYS = {"pending", "sealed", "clock_skew_seconds", "last_frame_at"}
_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_DIGIT_RUN = re.compile(r"[0-9]{5}")  # an id never holds a number that could be part of an identifier
_BATCH = re.compile(r"[0-9a-f]{32}")
_OUTCOMES = frozenset(o.value for o in Outcome)
_STATUSES = frozenset(s.value for s in Status)

Row = list[Any]  # [day, id, outcome-or-status, count]


def _key_ok(identifier: object) -> bool:
    return (
        isinstance(identifier, str)
        and len(identifier) <= 64
        and bool(_ID.fullmatch(identifier))
        and not _DIGIT_RUN.search(identifier)
    )


def _day_ok(value: object) -> bool:
    try:
        return isinstance(value, str) and date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _rows_ok(rows: object, kinds: frozenset[str]) -> bool:
    return isinstance(rows, list) and all(
        isinstance(row, list)
        and len(row) == 4
        and _day_ok(row[0])
        and _key_ok(row[1])
        and row[2] in kinds
        and isinstance(row[3], int)
        and not isinstance(row[3], bool)
        and 1 <= row[3] <= MAX_COUNT
        for row in rows
    )


def _tables_ok(value: object) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"outcomes", "criteria"}
        and _rows_ok(value["outcomes"], _OUTCOMES)
        and _rows_ok(value["criteria"], _STATUSES)
    )


def _valid(document: object) -> bool:
    if not isinstance(document, dict) or set(document) != _KEYS or not _tables_ok(document["pending"]):
        return False
    sealed = document["sealed"]
    if sealed is not None and not (
        isinstance(sealed, dict)
        and isinstance(sealed.get("batch"), str)
        and bool(_BATCH.fullmatch(sealed["batch"]))
        and _tables_ok({k: v for k, v in sealed.items() if k != "batch"})
    ):
        return False
    skew = document["clock_skew_seconds"]
    if skew is not None and (isinstance(skew, bool) or not isinstance(skew, int | float) or not math.isfinite(skew)):
        return False
    frame = document["last_frame_at"]
    return frame is None or (isinstance(frame, str) and len(frame) <= 40 and _aware(frame))


def _aware(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _empty() -> dict[str, Any]:
    return {
        "pending": {"outcomes": [], "criteria": []},
        "sealed": None,
        "clock_skew_seconds": None,
        "last_frame_at": None,
    }


def _add(rows: list[Row], day: str, identifier: str, kind: str) -> None:
    for row in rows:
        if row[0] == day and row[1] == identifier and row[2] == kind:
            row[3] = min(MAX_COUNT, row[3] + 1)
            return
    rows.append([day, identifier, kind, 1])


class HeartbeatLedger:
    """Typed access to heartbeat.json; see the module docstring for what it may hold."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LEDGER_FILE
        self._clock = clock or (lambda: datetime.now(UTC))
        self.moved_aside: list[Path] = []
        self.problems: list[str] = []
        # Without a usable file the ledger keeps its counts here: lost at a restart, said so.
        self._memory: dict[str, Any] | None = None
        with contextlib.suppress(OSError):
            self.data_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(self.data_dir, f".{LEDGER_FILE}.*.tmp")
        with self._locked():
            self._read()

    @property
    def persistent(self) -> bool:
        return self._memory is None

    # -- what the kiosk counts ------------------------------------------------------------
    def count(self, benefit: str, outcome: str, criteria: Iterable[tuple[str, str]], day: date | str) -> bool:
        """One decision: benefit x outcome and each criterion x status, on ``day``.

        Ids that are not policy ids (or could hold part of an identifier) are not counted.
        """
        day_text = day.isoformat() if isinstance(day, date) else day
        if not _day_ok(day_text) or not _key_ok(benefit) or outcome not in _OUTCOMES:
            log.warning("a decision was not counted for the heartbeat: not a policy id, outcome and day")
            return False
        kept = [(c, s) for c, s in criteria if _key_ok(c) and s in _STATUSES]

        # Days the backend would refuse (older than the counters a kiosk keeps) wait no longer.
        oldest = (date.fromisoformat(day_text) - OLDEST_DAY).isoformat()

        def change(document: dict[str, Any]) -> None:
            pending = document["pending"]
            for table in ("outcomes", "criteria"):
                pending[table] = [row for row in pending[table] if row[0] >= oldest]
            _add(pending["outcomes"], day_text, benefit, outcome)
            for criterion, status in kept:
                _add(pending["criteria"], day_text, criterion, status)

        return self._mutate(change)

    # -- what the heartbeat sends ---------------------------------------------------------
    def batch_to_send(self) -> CounterBatch | None:
        """The batch on its way; if there is none, the pending counters sealed as a new one."""
        sealed: dict[str, Any] | None = None

        def change(document: dict[str, Any]) -> None:
            nonlocal sealed
            if document["sealed"] is None:
                pending = document["pending"]
                if not pending["outcomes"] and not pending["criteria"]:
                    return
                document["sealed"] = {"batch": secrets.token_hex(16), **pending}
                document["pending"] = {"outcomes": [], "criteria": []}
            sealed = document["sealed"]

        if not self._mutate(change) or sealed is None:
            return None
        return CounterBatch(
            sealed["batch"],
            tuple(OutcomeCount(*row) for row in sealed["outcomes"]),
            tuple(CriterionCount(*row) for row in sealed["criteria"]),
        )

    def acknowledge(self, batch: str) -> bool:
        """The backend named ``batch`` in its answer: it is counted there, so drop it here."""
        dropped = False

        def change(document: dict[str, Any]) -> None:
            nonlocal dropped
            if document["sealed"] is not None and document["sealed"]["batch"] == batch:
                document["sealed"] = None
                dropped = True

        return self._mutate(change) and dropped

    def note_beat(self, *, clock_skew_seconds: float | None, last_frame_at: str | None) -> None:
        def change(document: dict[str, Any]) -> None:
            if clock_skew_seconds is not None:
                document["clock_skew_seconds"] = round(clock_skew_seconds, 1)
            if last_frame_at is not None:
                document["last_frame_at"] = last_frame_at

        self._mutate(change)

    def snapshot(self) -> dict[str, Any]:
        """A copy of what the file holds (for `kiosk heartbeat` and the tests)."""
        with self._locked():
            copy: dict[str, Any] = json.loads(json.dumps(self._read()))
        return copy

    @property
    def clock_skew_seconds(self) -> float | None:
        value = self.snapshot()["clock_skew_seconds"]
        return float(value) if value is not None else None

    @property
    def last_frame_at(self) -> str | None:
        value = self.snapshot()["last_frame_at"]
        return str(value) if value is not None else None

    # -- machinery ------------------------------------------------------------------------
    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return data_folder_lock(self.data_dir)

    def _read(self) -> dict[str, Any]:
        if self._memory is not None:
            return self._memory
        try:
            raw = read_bounded(self.path, MAX_STORE_FILE_BYTES)
        except FileReadError as error:
            if not self.path.exists() and not self.path.is_symlink():
                return _empty()
            return self._set_aside(str(error))
        try:
            document = json.loads(raw.decode("utf-8")) if raw else _empty()
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self._set_aside("not JSON")
        return document if _valid(document) else self._set_aside("unexpected content")

    def _set_aside(self, why: str) -> dict[str, Any]:
        stamp = self._clock().astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path.with_name(f"{LEDGER_FILE}.corrupt-{stamp}")
        try:
            os.rename(self.path, aside)
        except OSError as error:
            self.problems.append(f"{LEDGER_FILE}: {why}, and it cannot be moved aside ({error.strerror})")
            log.error("heartbeat ledger unusable (%s); counting in memory only", why)
            self._memory = _empty()
            return self._memory
        self.moved_aside.append(aside)
        log.warning("heartbeat ledger was unusable (%s); moved aside, starting clean", why)
        return _empty()

    def _mutate(self, change: Callable[[dict[str, Any]], None]) -> bool:
        with self._locked():
            document = self._read()
            change(document)
            if self._memory is not None:
                return True
            try:
                write_atomic(self.path, json.dumps(document, separators=(",", ":")).encode("utf-8"))
            except OSError as error:
                self.problems.append(f"{LEDGER_FILE}: write failed ({error.strerror})")
                log.error("heartbeat ledger write failed (%s)", error.strerror)
                return False
            return True
