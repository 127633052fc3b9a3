"""PostgreSQL as the records store, where it differs from SQLite: its schema (`db init`), the
database unreachable at start or lost while serving, and imports cut short by kill -9.
(The answers themselves are the same tests as SQLite's: the `demo` and `records_db` fixtures
run them on both stores.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.records.pg_importer import _copy
from backend.settings import BackendConfigError, load_settings
from tests.support.backend import assert_problem, loopback_client, running_server
from tests.support.deployment import BUSINESS, FIXTURES, HAMMER_RATE, Deployment, make_deployment, records_db
from tests.support.postgres import Cluster, free_port
from tests.support.serving import ROOT, business_ids, write_credit_feed

__all__ = ["records_db"]  # fixture


def _config(tmp_path: Path, db: str, extra: str = "") -> Path:
    site = make_deployment(tmp_path / "site", feeds=False)
    text = site.config.read_text(encoding="utf-8").replace('db = "records.sqlite3"', f'db = "{db}"')
    site.config.write_text(text + extra, encoding="utf-8")
    return site.config


def _backend(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_db_init_creates_the_schema_once_and_refuses_a_newer_one(tmp_path: Path, postgres_url: str) -> None:
    site = make_deployment(tmp_path / "site", feeds=False, db=postgres_url)  # runs db init
    code, out, err = site.backend("db", "init", "--config", str(site.config))
    assert code == 0 and "already at version 2" in out, err
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("UPDATE meta SET value = 99 WHERE key = 'schema_version'")
    code, _, err = site.backend("db", "init", "--config", str(site.config))
    assert code == 2 and "version 99" in err and err.count("\n") == 1
    code, _, err = site.records_import("credit-china", FIXTURES / "credit-china.csv")
    assert code == 2 and "upgrade the backend" in err and err.count("\n") == 1


def test_serving_an_empty_database_says_to_run_db_init(tmp_path: Path, postgres_url: str) -> None:
    done = _backend("serve", "--config", str(_config(tmp_path, postgres_url)))
    assert done.returncode == 2 and "db init" in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["serve"], ["db", "init"], ["records", "export", "--subject", f"uscc:{BUSINESS}"]])
def test_an_unreachable_database_at_start_is_one_line_and_exit_2(tmp_path: Path, command: list[str]) -> None:
    url = f"postgresql://kiosk:s3cret-pass@127.0.0.1:{free_port()}/records"
    config = _config(tmp_path, url)
    done = _backend(*command, "--config", str(config))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "cannot reach PostgreSQL records on 127.0.0.1" in done.stderr
    assert "s3cret" not in done.stderr  # a password in the URL is never shown


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ('db = "postgresql://h/x?nonsense=1"\n', "is not a PostgreSQL URL"),
        ('db = "records.sqlite3"\ndb_read = "postgresql://replica/x"\n', "needs db to be a PostgreSQL URL"),
        ('db = "postgresql://h/x"\ndb_read = 5\n', "must be a non-empty string"),
    ],
)
def test_bad_database_settings_are_named(tmp_path: Path, lines: str, says: str) -> None:
    config = tmp_path / "backend.toml"
    config.write_text(lines + 'device_tokens = "devices.json"\n', encoding="utf-8")
    with pytest.raises(BackendConfigError) as caught:
        load_settings(config, serving=False)
    assert says in caught.value.detail


def test_decisions_read_the_replica_named_by_db_read(tmp_path: Path, postgres_cluster: Cluster) -> None:
    # The "replica" is a second database holding a different answer: the decision must come from it.
    primary, replica = postgres_cluster.create_schema(), postgres_cluster.create_schema()
    try:
        site = make_deployment(tmp_path / "site", db=primary)
        copy = make_deployment(tmp_path / "copy", db=replica)
        assert copy.records_import("credit-china", FIXTURES / "credit-china-repair.csv", as_of="2026-12-01")[0] == 0
        with site.config.open("a", encoding="utf-8") as out:
            out.write(f'db_read = "{replica}"\n')
        body = {
            "benefit": "fewer-inspections",
            "subject": {"scheme": "uscc", "value": BUSINESS},
            "locale": "en",
            "device": site.device,
        }
        with running_server(load_settings(site.config)) as url, loopback_client(url) as http:
            answer = http.post("/v1/eligibility", json=body, headers={"Authorization": f"Bearer {site.token}"})
        assert answer.status_code == 200 and answer.json()["outcome"] == "eligible"
        with psycopg.connect(primary) as connection:  # the rate limit was written to db, not the replica
            assert connection.execute("SELECT count(*) FROM rate_buckets").fetchone() == (1,)
    finally:
        postgres_cluster.drop(primary)
        postgres_cluster.drop(replica)


@pytest.mark.slow
def test_losing_the_database_while_serving_answers_503_and_recovers(tmp_path: Path) -> None:
    cluster = Cluster()  # its own: this test stops it
    try:
        cluster.start()
        site = make_deployment(tmp_path / "site", db=cluster.create_database("records"), rate=HAMMER_RATE)
        body = {
            "benefit": "fewer-inspections",
            "subject": {"scheme": "uscc", "value": BUSINESS},
            "locale": "en",
            "device": site.device,
        }
        headers = {"Authorization": f"Bearer {site.token}"}
        statuses: Counter[int] = Counter()
        slowest = [0.0]
        stop = threading.Event()
        problems: list[httpx.Response] = []

        def load(url: str) -> None:
            # Bounded: stops when told, or after 2 minutes whatever happens.
            deadline = time.monotonic() + 120
            with loopback_client(url) as http:
                while not stop.is_set() and time.monotonic() < deadline:
                    started = time.monotonic()
                    answer = http.post("/v1/eligibility", json=body, headers=headers, timeout=5)
                    slowest[0] = max(slowest[0], time.monotonic() - started)
                    statuses[answer.status_code] += 1
                    if answer.status_code != 200 and len(problems) < 5:
                        problems.append(answer)

        with running_server(load_settings(site.config)) as url:
            workers = [threading.Thread(target=load, args=(url,)) for _ in range(3)]
            for worker in workers:
                worker.start()
            try:
                time.sleep(0.5)
                assert statuses[200] > 0
                cluster.stop()
                time.sleep(2.0)
                down = statuses.copy()
                cluster.start()
                deadline = time.monotonic() + 30
                before = statuses[200]
                while statuses[200] < before + 20 and time.monotonic() < deadline:
                    time.sleep(0.1)
            finally:
                stop.set()
                for worker in workers:
                    worker.join(timeout=30)
        assert down[503] > 0, down
        assert set(statuses) <= {200, 503}, statuses  # never a 500
        assert statuses[200] >= before + 20, "no recovery after the database came back"
        assert slowest[0] < 5, slowest  # no answer waited out the client's timeout
        for answer in problems:
            detail = assert_problem(answer, 503)
            assert detail["type"].endswith("records-unavailable") and answer.headers["retry-after"] == "1"
    finally:
        cluster.remove()


def _importing(site: Deployment, feed: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backend.cli",
            "records",
            "import",
            "--config",
            str(site.config),
            "--source",
            "credit-china",
            "--as-of",
            "2026-12-01",
            str(feed),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _wait_for_writes(site: Deployment, process: subprocess.Popen[str]) -> None:
    """Until the import is writing (past reading the feed), so that kill -9 cuts a transaction."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the import ended before it could be killed; make the feed bigger"
        if site.db.startswith("postgresql://"):
            with psycopg.connect(site.db, autocommit=True) as watcher:
                busy = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'xinyi-backend' "
                    "AND state = 'active' AND query LIKE 'COPY%%'"
                ).fetchone()
            if busy and busy[0]:
                return
        elif (site.folder / "records.sqlite3-journal").exists():
            return
        time.sleep(0.02)
    raise AssertionError("the import never started writing")


@pytest.mark.slow
def test_an_import_killed_midway_leaves_the_previous_records(tmp_path: Path, records_db: str) -> None:
    site = make_deployment(tmp_path / "site", db=records_db)
    before = site.snapshot()
    feed = tmp_path / "big.csv"
    write_credit_feed(feed, business_ids(150_000))
    process = _importing(site, feed)
    try:
        _wait_for_writes(site, process)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    if records_db.startswith("postgresql://"):
        # The server notices the client is gone and rolls back; it may take a moment.
        deadline = time.monotonic() + 30
        while site.snapshot() != before and time.monotonic() < deadline:
            time.sleep(0.2)
    assert site.snapshot() == before
    # And the records still serve, and take the next import.
    code, out, err = site.records_import("credit-china", FIXTURES / "credit-china-repair.csv", as_of="2026-12-01")
    assert code == 0 and "changed=1" in out, err


@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_copy_text_carries_any_string_unchanged(postgres_url: str, texts: list[str]) -> None:
    # The importer writes COPY's text format itself; JSON text holds backslashes (\\uXXXX).
    texts = [t.replace("\x00", "") for t in texts]  # PostgreSQL text cannot hold NUL
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("CREATE TEMP TABLE copied (n integer, t text)")
        _copy(connection, "copied", ("n", "t"), list(enumerate(texts)))
        assert [t for _, t in connection.execute("SELECT n, t FROM copied ORDER BY n")] == texts
