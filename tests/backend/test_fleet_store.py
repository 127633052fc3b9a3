"""The fleet store shared by several worker processes, on both stores (SQLite: WAL, one BEGIN
IMMEDIATE per beat; PostgreSQL: one transaction per beat under the device's lock): counters
add up exactly and a device's allowance is one allowance, whichever worker it reaches."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from backend.fleet.service import open_fleet_store
from backend.fleet.sqlite_store import SQLiteFleetStore
from backend.fleet.store import BeatAllowance, FleetStore, Flooded
from backend.settings import FleetSettings
from kiosk.core.heartbeat import heartbeat_from_json
from tests.support.fleet import beat, fleet_db, today

__all__ = ["fleet_db"]  # fixture

WORKER = """
import json, sys, secrets
from datetime import UTC, datetime
from backend.fleet.service import open_fleet_store
from backend.fleet.store import BeatAllowance, Recorded
from backend.settings import FleetSettings
from kiosk.core.heartbeat import heartbeat_from_json
from tests.support.fleet import beat
options = json.loads(sys.argv[1])
store = open_fleet_store(FleetSettings(**options), "(worker)")
allowance = BeatAllowance(per_second=1e-9, burst=int(sys.argv[3]))
recorded = 0
for n in range(int(sys.argv[2])):
    body = beat(secrets.token_hex(16), eligible=1)
    outcome = store.record(heartbeat_from_json(body, today=datetime.now(UTC).date()), datetime.now(UTC), allowance)
    recorded += isinstance(outcome, Recorded)
print(json.dumps(recorded))
"""


def _open(options: dict[str, Any]) -> FleetStore:
    store = open_fleet_store(FleetSettings(**options), "(test)")
    assert store is not None
    return store


def test_two_worker_processes_share_counts_and_one_allowance(fleet_db: dict[str, Any]) -> None:
    _open(fleet_db).close()  # the SQLite file made before both workers start
    options = json.dumps({key: str(value) if value is not None else None for key, value in fleet_db.items()})
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, options, "150", "200"], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    recorded = [json.loads(worker.communicate(timeout=120)[0]) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert sum(recorded) == 200, "one allowance of 200 for the device, over both workers"
    store = _open(fleet_db)
    assert sum(row.count for row in store.outcome_totals(today())) == 200
    assert sum(row.count for row in store.criterion_totals(today())) == 200
    assert (
        store.record(
            heartbeat_from_json(beat(), today=datetime.now(UTC).date()),
            datetime.now(UTC),
            BeatAllowance(per_second=1e-9, burst=200),
        ).__class__
        is Flooded
    )
    if isinstance(store, SQLiteFleetStore):
        assert store._connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def _stored_text(options: dict[str, Any]) -> bytes:
    """Everything the store holds, as bytes to search."""
    if options.get("db_url") is None:
        files = [Path(options["db"]), Path(f"{options['db']}-wal")]  # WAL: new rows sit in the -wal file first
        return b"".join(path.read_bytes() for path in files if path.exists())
    with psycopg.connect(options["db_url"]) as connection:
        rows = connection.execute("SELECT * FROM fleet_operator_sessions").fetchall()
    return repr(rows).encode()


def test_sessions_keep_only_a_hash_and_end_on_time(fleet_db: dict[str, Any]) -> None:
    from datetime import timedelta

    from backend.fleet.store import OperatorSession

    store = _open(fleet_db)
    now = datetime.now(UTC)
    secret = store.open_session(OperatorSession("ops-wang", "0123456789abcdef"), now + timedelta(hours=1))
    assert store.session(secret, now) == OperatorSession("ops-wang", "0123456789abcdef")
    assert store.session(secret, now + timedelta(hours=2)) is None
    assert store.session("x" * 500, now) is None and store.session("不是", now) is None
    assert b"ops-wang" in _stored_text(fleet_db)  # the row is there, its secret is not
    assert secret.encode() not in _stored_text(fleet_db)
    store.close_session(secret)
    assert store.session(secret, now) is None
    store.close()
