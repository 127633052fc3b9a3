"""The fleet store in one SQLite file the service writes (``fleet_db`` in the backend config).

WAL journal, so readers (the dashboard, /metrics) never wait for a heartbeat being written and
several uvicorn worker processes can share the file; every heartbeat is one ``BEGIN
IMMEDIATE`` transaction, so two workers never interleave a device's allowance and counters.
One connection per thread (sqlite3 connections are not shared across threads).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from backend.fleet.store import (
    BATCHES_KEPT,
    BeatAllowance,
    DeviceBeat,
    Flooded,
    OperatorSession,
    Recorded,
    device_row,
    secret_digest,
    spend_allowance,
)
from backend.settings import BackendConfigError
from kiosk.core.heartbeat import CriterionCount, Heartbeat, OutcomeCount

SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    device TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    status_json TEXT NOT NULL,
    allowance REAL NOT NULL,
    allowance_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outcome_counts (
    device TEXT NOT NULL, day TEXT NOT NULL, benefit TEXT NOT NULL, outcome TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (device, day, benefit, outcome)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS criterion_counts (
    device TEXT NOT NULL, day TEXT NOT NULL, criterion TEXT NOT NULL, status TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (device, day, criterion, status)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applied_batches (
    device TEXT NOT NULL, batch TEXT NOT NULL, UNIQUE (device, batch)
);
CREATE TABLE IF NOT EXISTS operator_sessions (
    secret_sha256 TEXT PRIMARY KEY, operator TEXT NOT NULL, token_id TEXT NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outcome_counts_day ON outcome_counts (day);
CREATE INDEX IF NOT EXISTS criterion_counts_day ON criterion_counts (day);
"""
BUSY_TIMEOUT_MS = 5000


class SQLiteFleetStore:
    def __init__(self, path: Path, *, wall_clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = wall_clock
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            # Every statement is IF NOT EXISTS: workers starting together may all run it.
            self._connection().executescript(SCHEMA)
        except sqlite3.Error as error:
            raise BackendConfigError(str(self.path), "fleet_db", f"cannot be used: {error}") from None

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    # -- heartbeats -----------------------------------------------------------------------
    def record(self, heartbeat: Heartbeat, received_at: datetime, allowance: BeatAllowance) -> Recorded | Flooded:
        now = self._clock()
        with self._transaction() as db:
            row = db.execute(
                "SELECT allowance, allowance_at FROM devices WHERE device = ?", (heartbeat.device,)
            ).fetchone()
            left = spend_allowance(row, allowance, now)
            if isinstance(left, Flooded):
                return left
            db.execute(
                "INSERT INTO devices VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (device) DO UPDATE SET "
                "received_at = ?2, status_json = ?3, allowance = ?4, allowance_at = ?5",
                device_row(heartbeat, received_at, left, now),
            )
            batch = heartbeat.counters
            if batch is None:
                return Recorded(counted=False)
            fresh = (
                db.execute(
                    "INSERT OR IGNORE INTO applied_batches VALUES (?, ?)", (heartbeat.device, batch.batch)
                ).rowcount
                == 1
            )
            if not fresh:
                return Recorded(counted=False)
            db.execute(
                "DELETE FROM applied_batches WHERE device = ?1 AND rowid NOT IN "
                "(SELECT rowid FROM applied_batches WHERE device = ?1 ORDER BY rowid DESC LIMIT ?2)",
                (heartbeat.device, BATCHES_KEPT),
            )
            db.executemany(
                "INSERT INTO outcome_counts VALUES (?, ?, ?, ?, ?) ON CONFLICT (device, day, benefit, outcome) "
                "DO UPDATE SET count = count + excluded.count",
                [(heartbeat.device, r.day, r.benefit, r.outcome, r.count) for r in batch.outcomes],
            )
            db.executemany(
                "INSERT INTO criterion_counts VALUES (?, ?, ?, ?, ?) ON CONFLICT (device, day, criterion, status) "
                "DO UPDATE SET count = count + excluded.count",
                [(heartbeat.device, r.day, r.criterion, r.status, r.count) for r in batch.criteria],
            )
            return Recorded(counted=True)

    def devices(self) -> list[DeviceBeat]:
        rows = (
            self._connection()
            .execute("SELECT device, received_at, status_json FROM devices ORDER BY device")
            .fetchall()
        )
        return [DeviceBeat(device, datetime.fromisoformat(at), json.loads(status)) for device, at, status in rows]

    def outcome_totals(self, first_day: str) -> list[OutcomeCount]:
        rows = (
            self._connection()
            .execute(
                "SELECT day, benefit, outcome, SUM(count) FROM outcome_counts WHERE day >= ? "
                "GROUP BY day, benefit, outcome ORDER BY day, benefit, outcome",
                (first_day,),
            )
            .fetchall()
        )
        return [OutcomeCount(*row) for row in rows]

    def criterion_totals(self, first_day: str) -> list[CriterionCount]:
        rows = (
            self._connection()
            .execute(
                "SELECT day, criterion, status, SUM(count) FROM criterion_counts WHERE day >= ? "
                "GROUP BY day, criterion, status ORDER BY day, criterion, status",
                (first_day,),
            )
            .fetchall()
        )
        return [CriterionCount(*row) for row in rows]

    # -- operator sessions ----------------------------------------------------------------
    def open_session(self, session: OperatorSession, expires_at: datetime) -> str:
        secret = secrets.token_urlsafe(32)
        with self._transaction() as db:
            db.execute("DELETE FROM operator_sessions WHERE expires_at < ?", (self._clock(),))
            db.execute(
                "INSERT INTO operator_sessions VALUES (?, ?, ?, ?)",
                (secret_digest(secret), session.operator, session.token_id, expires_at.timestamp()),
            )
        return secret

    def session(self, secret: str, now: datetime) -> OperatorSession | None:
        if not secret.isascii() or len(secret) > 128:
            return None
        row = (
            self._connection()
            .execute(
                "SELECT operator, token_id, expires_at FROM operator_sessions WHERE secret_sha256 = ?",
                (secret_digest(secret),),
            )
            .fetchone()
        )
        if row is None or row[2] <= now.timestamp():
            return None
        return OperatorSession(row[0], row[1])

    def close_session(self, secret: str) -> None:
        if secret.isascii() and len(secret) <= 128:
            with self._transaction() as db:
                db.execute("DELETE FROM operator_sessions WHERE secret_sha256 = ?", (secret_digest(secret),))

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()
