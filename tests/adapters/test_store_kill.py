"""kill -9 a process in the middle of writing the store, many times: the files always load and
hold the old or the new state (research KIVY.md §5: TinyDB's default storage corrupted 9/36)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tinydb import TinyDB
from tinydb.storages import JSONStorage

from kiosk.adapters.store import BUNDLE_FILE, STATE_FILE, Store
from kiosk.core.bundle_signing import verify_bundle
from tests.support.bundle import authorities, fake_revocations, signed

KILLS = 30
WRITER = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from tests.support.bundle import authorities
from kiosk.core.bundle_signing import verify_bundle
from kiosk.adapters.store import Store

keys = authorities()
big = verify_bundle(Path(sys.argv[2]).read_bytes(), keys)
small = verify_bundle(Path(sys.argv[3]).read_bytes(), keys)
store = Store(Path(sys.argv[1]))
print("ready", flush=True)
turn = 0
while True:
    bundle = big if turn % 2 == 0 else small
    store.save_bundle(bundle, None)
    print("bundle", bundle.version, flush=True)
    store.bump_counter("expedited-permit", "eligible", "2026-11-25")
    print("counted", flush=True)
    turn += 1
"""


@pytest.mark.slow
def test_kill_9_while_writing_never_leaves_a_broken_or_mixed_file(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    big_path, small_path = tmp_path / "big.json", tmp_path / "small.json"
    big_path.write_bytes(signed(version=2, issued_at=now, revoked=fake_revocations(15_000)))
    small_path.write_bytes(signed(version=1, issued_at=now))
    big = verify_bundle(big_path.read_bytes(), authorities())
    small = verify_bundle(small_path.read_bytes(), authorities())
    writer = tmp_path / "writer.py"
    writer.write_text(WRITER, encoding="utf-8")
    data = tmp_path / "data"
    tests_dir = str(Path(__file__).resolve().parents[2])
    rng = random.Random(6)
    counted_total = 0
    for _ in range(KILLS):
        process = subprocess.Popen(
            [sys.executable, str(writer), str(data), str(big_path), str(small_path), tests_dir],
            stdout=subprocess.PIPE, text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.02, 0.4))
        os.kill(process.pid, signal.SIGKILL)
        lines = process.stdout.read().splitlines()
        process.wait()
        assert process.returncode == -signal.SIGKILL
        counted_total += lines.count("counted")

        # Both files parse with TinyDB's own reader, and our store opens them untouched.
        for name in (BUNDLE_FILE, STATE_FILE):
            if (data / name).exists():
                TinyDB(str(data / name), storage=JSONStorage, access_mode="r").close()
        store = Store(data)
        assert not store.moved_aside, "a kill left a file that had to be moved aside"
        stored = store.load_bundle()
        assert stored is not None
        assert stored.digest in (big.digest, small.digest)
        assert stored.raw in (big.raw, small.raw)
        count = store.counters("2026-11-25").get(("expedited-permit", "eligible"), 0)
        # Old or new: every confirmed write is there, plus at most the one in flight.
        assert count in (counted_total, counted_total + 1)
        if count == counted_total + 1:
            counted_total += 1
        assert not list(data.glob(".*.tmp")), "stale temp files are cleaned on open"
    assert counted_total >= KILLS  # the writer really was writing between kills
