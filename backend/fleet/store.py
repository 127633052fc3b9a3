"""What the fleet keeps, as an interface, with two implementations the routes cannot tell apart:
the SQLite file (sqlite_store.py, one machine) and PostgreSQL (backend/pg/fleet_store.py, any
number of nodes).

A store keeps, per device, its last heartbeat (everything but the counters) and when it
arrived; the counters summed per device, day and key; the counter batches already applied (so
a batch sent again is acknowledged and not counted twice); each device's heartbeat allowance
(a token bucket, kept with the data so that every worker process sees the same one); and the
dashboard's operator sessions (only a hash of each session's secret).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from backend.problems import FLEET_UNAVAILABLE, ProblemError
from kiosk.core.heartbeat import CriterionCount, Heartbeat, OutcomeCount

RETRY_AFTER_SECONDS = 1
# Batches remembered per device: a kiosk resends only its one unacknowledged batch.
BATCHES_KEPT = 64


def secret_digest(secret: str) -> str:
    """What a store keeps of an operator session's secret."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


class FleetUnavailable(ProblemError):
    """The fleet's database cannot be reached now: 503, and the kiosk keeps its counters."""

    def __init__(self, detail: str = "the fleet store cannot be reached just now; retry shortly") -> None:
        super().__init__(FLEET_UNAVAILABLE, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@dataclass(frozen=True, slots=True)
class BeatAllowance:
    """A device may send ``burst`` heartbeats at once, refilled at ``per_second``."""

    per_second: float
    burst: int


@dataclass(frozen=True, slots=True)
class Recorded:
    counted: bool  # False: the batch was applied before (its acknowledgement was lost)


@dataclass(frozen=True, slots=True)
class Flooded:
    retry_after: int  # whole seconds until the device may send again


@dataclass(frozen=True, slots=True)
class DeviceBeat:
    device: str
    received_at: datetime
    status: Mapping[str, Any]  # Heartbeat.status_json() as it arrived


@dataclass(frozen=True, slots=True)
class OperatorSession:
    operator: str
    token_id: str


class FleetStore(Protocol):
    def record(self, heartbeat: Heartbeat, received_at: datetime, allowance: BeatAllowance) -> Recorded | Flooded:
        """In one transaction: spend one of the device's allowance, keep its status, add its
        counters unless their batch was applied before. Flooded changes nothing."""
        ...

    def devices(self) -> list[DeviceBeat]: ...

    def outcome_totals(self, first_day: str) -> list[OutcomeCount]:
        """Counts from ``first_day`` on, summed over the devices."""
        ...

    def criterion_totals(self, first_day: str) -> list[CriterionCount]: ...

    def open_session(self, session: OperatorSession, expires_at: datetime) -> str:
        """A new session's secret (for the cookie); the store keeps only its hash."""
        ...

    def session(self, secret: str, now: datetime) -> OperatorSession | None: ...

    def close_session(self, secret: str) -> None: ...

    def close(self) -> None: ...


def spend_allowance(stored: Sequence[float] | None, allowance: BeatAllowance, now: float) -> float | Flooded:
    """What is left of a device's allowance after one more beat, or Flooded; ``stored`` is its
    (tokens, when) row, None for a device not seen before."""
    tokens = float(allowance.burst)
    if stored is not None:
        tokens = min(tokens, stored[0] + max(0.0, now - stored[1]) * allowance.per_second)
    if tokens < 1.0:
        return Flooded(max(1, math.ceil((1.0 - tokens) / allowance.per_second)))
    return tokens - 1.0


def device_row(heartbeat: Heartbeat, received_at: datetime, left: float, now: float) -> tuple[Any, ...]:
    """A device's stored row: its last status (no counters) and what is left of its allowance."""
    status = json.dumps(heartbeat.status_json(), separators=(",", ":"))
    return (heartbeat.device, received_at.astimezone(UTC).isoformat(), status, left, now)
