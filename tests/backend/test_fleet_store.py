"""The SQLite fleet store shared by several worker processes (WAL, one BEGIN IMMEDIATE per beat):
counters add up exactly and a device's allowance is one allowance, whichever worker it reaches."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from backend.fleet.sqlite_store import SQLiteFleetStore
from backend.fleet.store import BeatAllowance, Flooded
from kiosk.core.heartbeat import heartbeat_from_json
from tests.support.fleet import beat, today

WORKER = """
import json, sys, secrets
from datetime import UTC, datetime
from backend.fleet.sqlite_store import SQLiteFleetStore
from backend.fleet.store import BeatAllowance, Recorded
from kiosk.core.heartbeat import heartbeat_from_json
from tests.support.fleet import beat
store = SQLiteFleetStore(sys.argv[1])
allowance = BeatAllowance(per_second=1e-9, burst=int(sys.argv[3]))
recorded = 0
for n in range(int(sys.argv[2])):
    body = beat(secrets.token_hex(16), eligible=1)
    outcome = store.record(heartbeat_from_json(body, today=datetime.now(UTC).date()), datetime.now(UTC), allowance)
    recorded += isinstance(outcome, Recorded)
print(json.dumps(recorded))
"""


def test_two_worker_processes_share_counts_and_one_allowance(tmp_path: Path) -> None:
    path = tmp_path / "fleet.sqlite3"
    SQLiteFleetStore(path).close()
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(path), "150", "200"], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    recorded = [json.loads(worker.communicate(timeout=120)[0]) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert sum(recorded) == 200, "one allowance of 200 for the device, over both workers"
    store = SQLiteFleetStore(path)
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
    assert store._connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sessions_keep_only_a_hash_and_end_on_time(tmp_path: Path) -> None:
    from datetime import timedelta

    from backend.fleet.store import OperatorSession

    store = SQLiteFleetStore(tmp_path / "fleet.sqlite3")
    now = datetime.now(UTC)
    secret = store.open_session(OperatorSession("ops-wang", "0123456789abcdef"), now + timedelta(hours=1))
    assert store.session(secret, now) == OperatorSession("ops-wang", "0123456789abcdef")
    assert store.session(secret, now + timedelta(hours=2)) is None
    assert store.session("x" * 500, now) is None and store.session("不是", now) is None
    assert secret.encode() not in (tmp_path / "fleet.sqlite3").read_bytes()
    store.close_session(secret)
    assert store.session(secret, now) is None
