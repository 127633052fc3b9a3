"""What the fleet keeps, as an interface: the SQLite file (sqlite_store.py) is one implementation,
and a PostgreSQL one can follow without the routes noticing.

A store keeps, per device, its last heartbeat (everything but the counters) and when it
arrived; the counters summed per device, day and key; the counter batches already applied (so
a batch sent again is acknowledged and not counted twice); each device's heartbeat allowance
(a token bucket, kept with the data so that every worker process sees the same one); and the
dashboard's operator sessions (only a hash of each session's secret).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from kiosk.core.heartbeat import CriterionCount, Heartbeat, OutcomeCount


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
