"""The heartbeat a kiosk sends its backend (DESIGN §4.6): device health and counters, no people.

One wire format for both ends: the kiosk builds a :class:`Heartbeat` and sends ``to_json()``;
the backend reads the body with :func:`heartbeat_from_json`, which accepts exactly these fields
and nothing else (an unknown field, a negative or huge counter, a malformed day is refused,
naming the field and never quoting the value). What it may carry is the issue's list:

* software version, policy version and age, last sync outcome and time;
* status of scanner, card reader and printer; when the UI last drew a frame; uptime;
* clock skew against the server's ``Date`` header (kiosk/adapters/clock_skew.py);
* counters since the last acknowledged heartbeat: benefit x outcome x day and criterion x
  status x day, under a random batch id so a batch the backend already applied (the answer
  was lost on the way back) is acknowledged again and never counted twice.

No reference, no payload, no timing of a session finer than the day.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kiosk.core.catalog import message
from kiosk.core.decision_records import Outcome, Status
from kiosk.core.errors import KioskError

HEARTBEAT_FIELDS: tuple[str, ...] = (
    "device",
    "software_version",
    "policy_version",
    "policy_age_seconds",
    "last_sync_outcome",
    "last_sync_at",
    "devices",
    "last_frame_at",
    "uptime_seconds",
    "clock_skew_seconds",
    "counters",
)
DEVICE_PARTS: tuple[str, ...] = ("scanner", "card_reader", "printer")
# hardware.base.DeviceStatus values, and "not_configured" for a part the kiosk has no port for.
PART_STATUSES: tuple[str, ...] = ("ready", "no_device", "disconnected", "error", "not_configured")
SYNC_OUTCOMES: tuple[str, ...] = ("updated", "unchanged", "refused", "unreachable", "rejected", "not_saved")
COUNTER_FIELDS = ("batch", "outcomes", "criteria")
# One kiosk, one day, one benefit and outcome: a busy hall checks a few hundred people a day.
MAX_COUNT = 100_000
MAX_ROWS = 4096
# The kiosk keeps counters 400 days (kiosk/adapters/store.py); a day after tomorrow is a wrong clock.
OLDEST_DAY = timedelta(days=400)
MAX_SECONDS = 10**9  # ~31 years: uptime, ages and skews beyond are nonsense
_DEVICE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}")
_KEY_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_BATCH = re.compile(r"[0-9a-f]{32}")
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")
_OUTCOMES = frozenset(o.value for o in Outcome)
_STATUSES = frozenset(s.value for s in Status)


class HeartbeatFormatError(KioskError):
    """A heartbeat body that is not exactly the format above; ``field`` names where."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}", message("core.heartbeat.text"))
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    day: str
    benefit: str
    outcome: str
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day, "benefit": self.benefit, "outcome": self.outcome, "count": self.count}


@dataclass(frozen=True, slots=True)
class CriterionCount:
    day: str
    criterion: str
    status: str
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day, "criterion": self.criterion, "status": self.status, "count": self.count}


@dataclass(frozen=True, slots=True)
class CounterBatch:
    batch: str
    outcomes: tuple[OutcomeCount, ...]
    criteria: tuple[CriterionCount, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "outcomes": [row.to_json() for row in self.outcomes],
            "criteria": [row.to_json() for row in self.criteria],
        }


@dataclass(frozen=True, slots=True)
class Heartbeat:
    device: str
    software_version: str
    policy_version: str | None
    policy_age_seconds: int | None
    last_sync_outcome: str | None
    last_sync_at: str | None
    devices: Mapping[str, str]
    last_frame_at: str | None
    uptime_seconds: int
    clock_skew_seconds: float | None
    counters: CounterBatch | None

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "software_version": self.software_version,
            "policy_version": self.policy_version,
            "policy_age_seconds": self.policy_age_seconds,
            "last_sync_outcome": self.last_sync_outcome,
            "last_sync_at": self.last_sync_at,
            "devices": {part: self.devices[part] for part in DEVICE_PARTS},
            "last_frame_at": self.last_frame_at,
            "uptime_seconds": self.uptime_seconds,
            "clock_skew_seconds": self.clock_skew_seconds,
            "counters": self.counters.to_json() if self.counters is not None else None,
        }

    def status_json(self) -> dict[str, Any]:
        """Everything but the counters: what the fleet view shows as the device's last beat."""
        document = self.to_json()
        del document["counters"]
        return document


def heartbeat_from_json(document: object, *, today: date) -> Heartbeat:
    """The heartbeat in ``document``, or HeartbeatFormatError naming the first wrong field.

    ``today`` (the receiver's UTC day) bounds the counters' days: none older than the kiosk
    keeps, none after tomorrow.
    """
    body = _object(document, "(body)", HEARTBEAT_FIELDS)
    devices = _object(body["devices"], "devices", DEVICE_PARTS)
    for part in DEVICE_PARTS:
        if devices[part] not in PART_STATUSES:
            raise HeartbeatFormatError(f"devices.{part}", f"must be one of {', '.join(PART_STATUSES)}")
    outcome = body["last_sync_outcome"]
    if outcome is not None and outcome not in SYNC_OUTCOMES:
        raise HeartbeatFormatError("last_sync_outcome", f"must be null or one of {', '.join(SYNC_OUTCOMES)}")
    return Heartbeat(
        device=_text(body["device"], "device", _DEVICE_ID),
        software_version=_text(body["software_version"], "software_version", _VERSION),
        policy_version=_printable_or_none(body["policy_version"], "policy_version"),
        policy_age_seconds=_whole_or_none(body["policy_age_seconds"], "policy_age_seconds"),
        last_sync_outcome=outcome,
        last_sync_at=_timestamp_or_none(body["last_sync_at"], "last_sync_at"),
        devices={part: devices[part] for part in DEVICE_PARTS},
        last_frame_at=_timestamp_or_none(body["last_frame_at"], "last_frame_at"),
        uptime_seconds=_whole(body["uptime_seconds"], "uptime_seconds", MAX_SECONDS),
        clock_skew_seconds=_skew(body["clock_skew_seconds"]),
        counters=_counters(body["counters"], today),
    )


def _object(value: object, field: str, keys: Sequence[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise HeartbeatFormatError(field, "must be an object")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        # The first unknown name is the field if it looks like one: it is the client's own text.
        name = str(unknown[0])
        shown = name if _FIELD_NAME.fullmatch(name) else "(a field)"
        raise HeartbeatFormatError(_field(field, shown), "is not a heartbeat field")
    missing = [key for key in keys if key not in value]
    if missing:
        raise HeartbeatFormatError(_field(field, missing[0]), "is missing")
    return value


def _field(parent: str, name: str) -> str:
    return name if parent == "(body)" else f"{parent}.{name}"


def _text(value: object, field: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise HeartbeatFormatError(field, f"must match {pattern.pattern}")
    return value


def _printable_or_none(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not value.isprintable():
        raise HeartbeatFormatError(field, "must be null or 1 to 64 printable characters")
    return value


def _whole(value: object, field: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise HeartbeatFormatError(field, f"must be a whole number from 0 to {high}")
    return value


def _whole_or_none(value: object, field: str) -> int | None:
    return None if value is None else _whole(value, field, MAX_SECONDS)


def _skew(value: object) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or abs(value) > MAX_SECONDS
    ):
        raise HeartbeatFormatError("clock_skew_seconds", f"must be null or a number within ±{MAX_SECONDS}")
    return float(value)


def _timestamp_or_none(value: object, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return value
    raise HeartbeatFormatError(field, "must be null or an ISO 8601 time with its zone")


def _counters(value: object, today: date) -> CounterBatch | None:
    if value is None:
        return None
    body = _object(value, "counters", COUNTER_FIELDS)
    batch = _text(body["batch"], "counters.batch", _BATCH)
    outcomes = _rows(body["outcomes"], "counters.outcomes", ("day", "benefit", "outcome", "count"), today)
    criteria = _rows(body["criteria"], "counters.criteria", ("day", "criterion", "status", "count"), today)
    return CounterBatch(
        batch,
        tuple(OutcomeCount(r["day"], r["benefit"], r["outcome"], r["count"]) for r in outcomes),
        tuple(CriterionCount(r["day"], r["criterion"], r["status"], r["count"]) for r in criteria),
    )


def _rows(value: object, field: str, keys: tuple[str, str, str, str], today: date) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > MAX_ROWS:
        raise HeartbeatFormatError(field, f"must be a list of at most {MAX_ROWS} rows")
    day_key, id_key, kind_key, count_key = keys
    kinds = _OUTCOMES if kind_key == "outcome" else _STATUSES
    seen: set[tuple[str, str, str]] = set()
    for index, row in enumerate(value):
        where = f"{field}[{index}]"
        _object(row, where, keys)
        row_day = _day(row[day_key], f"{where}.day", today)
        _text(row[id_key], f"{where}.{id_key}", _KEY_ID)
        if len(row[id_key]) > 64:
            raise HeartbeatFormatError(f"{where}.{id_key}", "must be at most 64 characters")
        if row[kind_key] not in kinds:
            raise HeartbeatFormatError(f"{where}.{kind_key}", f"must be one of {', '.join(sorted(kinds))}")
        count = row[count_key]
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
            raise HeartbeatFormatError(f"{where}.count", f"must be a whole number from 1 to {MAX_COUNT}")
        key = (row_day, row[id_key], row[kind_key])
        if key in seen:
            raise HeartbeatFormatError(where, "repeats a day, id and outcome already counted")
        seen.add(key)
    return value


def _day(value: object, field: str, today: date) -> str:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise HeartbeatFormatError(field, "must be a day, YYYY-MM-DD")
    if not today - OLDEST_DAY <= day <= today + timedelta(days=1):
        raise HeartbeatFormatError(field, "is not within the 400 days a kiosk keeps counters")
    return day.isoformat()
