"""The fleet store on PostgreSQL (``fleet_db = "postgresql://..."``): one fleet for every worker
and node behind a load balancer, where a SQLite file would give each node its own.

The tables are part of the versioned schema (backend/pg/schema.py, `kiosk-backend db init`),
so the service only checks that they are there. Each heartbeat is one transaction that first
takes a lock on its device (`pg_advisory_xact_lock`), so two beats of one device reaching two
nodes spend one allowance and never interleave their counters, while different devices never
wait for each other. The allowance runs on the service's clock, as on SQLite; the nodes of one
site keep their clocks by NTP.

While the database is down, every call raises `FleetUnavailable` (503 problem+json) at once
(backend/pg/connect.py); a kiosk keeps its counters and sends them with its next beat.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg

from backend.fleet.store import (
    BATCHES_KEPT,
    BeatAllowance,
    DeviceBeat,
    FleetUnavailable,
    Flooded,
    OperatorSession,
    Recorded,
    device_row,
    secret_digest,
    spend_allowance,
)
from backend.pg.connect import open_checked
from kiosk.core.heartbeat import CriterionCount, Heartbeat, OutcomeCount

Connection = psycopg.Connection[Any]


class PostgresFleetStore:
    def __init__(self, url: str, *, origin: str = "(settings)", wall_clock: Callable[[], float] = time.time) -> None:
        self._clock = wall_clock
        self.database = open_checked(url, "fleet_db", origin=origin, unavailable=FleetUnavailable)

    # -- heartbeats -----------------------------------------------------------------------
    def record(self, heartbeat: Heartbeat, received_at: datetime, allowance: BeatAllowance) -> Recorded | Flooded:
        now = self._clock()

        def in_transaction(db: Connection) -> Recorded | Flooded:
            with db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 17))", (heartbeat.device,))
                return _record(db, heartbeat, received_at, allowance, now)

        return self.database.run(in_transaction)

    def devices(self) -> list[DeviceBeat]:
        query = "SELECT device, received_at, status_json FROM fleet_devices ORDER BY device"
        rows = self.database.run(lambda db: db.execute(query).fetchall())
        return [DeviceBeat(device, datetime.fromisoformat(at), json.loads(status)) for device, at, status in rows]

    def outcome_totals(self, first_day: str) -> list[OutcomeCount]:
        rows = self.database.run(
            lambda db: db.execute(
                "SELECT day, benefit, outcome, SUM(count)::bigint FROM fleet_outcome_counts WHERE day >= %s "
                "GROUP BY day, benefit, outcome ORDER BY day, benefit, outcome",
                (first_day,),
            ).fetchall()
        )
        return [OutcomeCount(*row) for row in rows]

    def criterion_totals(self, first_day: str) -> list[CriterionCount]:
        rows = self.database.run(
            lambda db: db.execute(
                "SELECT day, criterion, status, SUM(count)::bigint FROM fleet_criterion_counts WHERE day >= %s "
                "GROUP BY day, criterion, status ORDER BY day, criterion, status",
                (first_day,),
            ).fetchall()
        )
        return [CriterionCount(*row) for row in rows]

    # -- operator sessions ----------------------------------------------------------------
    def open_session(self, session: OperatorSession, expires_at: datetime) -> str:
        secret = secrets.token_urlsafe(32)

        def insert(db: Connection) -> None:
            with db.transaction():
                db.execute("DELETE FROM fleet_operator_sessions WHERE expires_at < %s", (self._clock(),))
                db.execute(
                    "INSERT INTO fleet_operator_sessions VALUES (%s, %s, %s, %s)",
                    (secret_digest(secret), session.operator, session.token_id, expires_at.timestamp()),
                )

        self.database.run(insert)
        return secret

    def session(self, secret: str, now: datetime) -> OperatorSession | None:
        if not secret.isascii() or len(secret) > 128:
            return None
        row = self.database.run(
            lambda db: db.execute(
                "SELECT operator, token_id, expires_at FROM fleet_operator_sessions WHERE secret_sha256 = %s",
                (secret_digest(secret),),
            ).fetchone()
        )
        if row is None or row[2] <= now.timestamp():
            return None
        return OperatorSession(row[0], row[1])

    def close_session(self, secret: str) -> None:
        if secret.isascii() and len(secret) <= 128:
            self.database.run(
                lambda db: db.execute(
                    "DELETE FROM fleet_operator_sessions WHERE secret_sha256 = %s", (secret_digest(secret),)
                )
            )

    def close(self) -> None:
        self.database.close()


def _record(
    db: Connection, heartbeat: Heartbeat, received_at: datetime, allowance: BeatAllowance, now: float
) -> Recorded | Flooded:
    """The body of one heartbeat's transaction, with the device's lock held."""
    device = heartbeat.device
    row = db.execute("SELECT allowance, allowance_at FROM fleet_devices WHERE device = %s", (device,)).fetchone()
    left = spend_allowance(row, allowance, now)
    if isinstance(left, Flooded):
        return left
    db.execute(
        "INSERT INTO fleet_devices VALUES (%s, %s, %s, %s, %s) ON CONFLICT (device) DO UPDATE SET "
        "received_at = excluded.received_at, status_json = excluded.status_json, "
        "allowance = excluded.allowance, allowance_at = excluded.allowance_at",
        device_row(heartbeat, received_at, left, now),
    )
    batch = heartbeat.counters
    if batch is None:
        return Recorded(counted=False)
    fresh = db.execute(
        "INSERT INTO fleet_applied_batches (device, batch) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (device, batch.batch),
    ).rowcount
    if fresh != 1:
        return Recorded(counted=False)
    db.execute(
        "DELETE FROM fleet_applied_batches WHERE device = %(device)s AND seq NOT IN "
        "(SELECT seq FROM fleet_applied_batches WHERE device = %(device)s ORDER BY seq DESC LIMIT %(kept)s)",
        {"device": device, "kept": BATCHES_KEPT},
    )
    with db.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO fleet_outcome_counts VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (device, day, benefit, outcome) "
            "DO UPDATE SET count = fleet_outcome_counts.count + excluded.count",
            [(device, r.day, r.benefit, r.outcome, r.count) for r in batch.outcomes],
        )
        cursor.executemany(
            "INSERT INTO fleet_criterion_counts VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (device, day, criterion, status) "
            "DO UPDATE SET count = fleet_criterion_counts.count + excluded.count",
            [(device, r.day, r.criterion, r.status, r.count) for r in batch.criteria],
        )
    return Recorded(counted=True)
