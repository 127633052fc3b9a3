"""The fleet on PostgreSQL (``fleet_db = "postgresql://..."``), where it differs from SQLite: one
fleet for several nodes, the schema from `db init` (and its migration from version 1), and
the database lost while kiosks send heartbeats. (What a heartbeat keeps and refuses is the same
test on both stores: tests/backend/test_fleet_heartbeat.py.)"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import psycopg

from backend.commands.serve import DEMO_OPERATOR_TOKEN
from backend.pg import schema
from backend.settings import FleetSettings, load_settings
from tests.support.backend import assert_problem, loopback_client, running_server
from tests.support.deployment import make_deployment
from tests.support.fleet import DEVICE, OPERATOR, beat, fleet_settings, today
from tests.support.postgres import Cluster


def _on_postgres(tmp: Path, url: str) -> FleetSettings:
    return replace(fleet_settings(tmp).fleet, db=None, db_url=url)


def test_two_nodes_share_one_fleet_and_one_operator_session(tmp_path: Path, postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        schema.init(connection)
    node = replace(fleet_settings(tmp_path), fleet=_on_postgres(tmp_path, postgres_url))
    with (
        running_server(node) as first,
        running_server(node) as second,
        loopback_client(first) as a,
        loopback_client(second) as b,
    ):
        sent = a.post("/v1/heartbeat", json=beat("2" * 32, eligible=4), headers=DEVICE)
        assert sent.json() == {"accepted": True, "batch": "2" * 32, "counted": True}
        # The same batch again, through the other node (its acknowledgement was lost).
        again = b.post("/v1/heartbeat", json=beat("2" * 32, eligible=4), headers=DEVICE)
        assert again.json()["counted"] is False
        view = b.get("/v1/fleet", headers=OPERATOR).json()
        demo = next(d for d in view["devices"] if d["device"] == "kiosk-demo")
        assert demo["state"] == "live"
        assert view["totals"]["decisions_by_benefit"]["expedited-permit"]["eligible"] == 4
        # Signed in on one node, the dashboard's next request may reach the other.
        page = a.post("/fleet/login", data={"token": DEMO_OPERATOR_TOKEN, "lang": "en"})
        assert page.status_code == 200, page.text
        b.cookies = a.cookies
        assert 'id="states"' in b.get("/fleet?lang=en").text
    with psycopg.connect(postgres_url) as connection:
        kept = connection.execute("SELECT sum(count) FROM fleet_outcome_counts WHERE day = %s", (today(),)).fetchone()
    assert kept == (4,)


def test_db_init_migrates_a_version_1_database_to_hold_the_fleet_and_tokens(
    tmp_path: Path, postgres_url: str
) -> None:
    site = make_deployment(tmp_path / "site", db=postgres_url)  # runs db init and imports two feeds
    records = site.snapshot()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        # What a release before the fleet moved into PostgreSQL left behind.
        for table in ("devices", "outcome_counts", "criterion_counts", "applied_batches", "operator_sessions"):
            connection.execute(f"DROP TABLE fleet_{table}")
        connection.execute("DROP TABLE tokens")
        connection.execute("DELETE FROM meta WHERE key LIKE 'tokens:%'")
        connection.execute("UPDATE meta SET value = 1 WHERE key = 'schema_version'")
    fleet_lines = f'fleet_db = "{postgres_url}"\noperator_tokens = "operators.json"\n'
    site.config.write_text(site.config.read_text(encoding="utf-8") + fleet_lines, encoding="utf-8")
    code, _, err = site.backend("serve", "--config", str(site.config))
    assert code == 2 and "db init" in err and err.count("\n") == 1, err
    code, out, err = site.backend("db", "init", "--config", str(site.config))
    assert code == 0 and "migrated the records schema from version 1 to 2" in out, err
    assert site.snapshot() == records and records
    code, token, err = site.backend("operator-token", "issue", "--config", str(site.config), "--operator", "ops")
    assert code == 0, err
    with running_server(load_settings(site.config)) as url, loopback_client(url) as http:
        headers = {"Authorization": f"Bearer {site.token}"}
        assert http.post("/v1/heartbeat", json=beat(device=site.device), headers=headers).status_code == 200
        metrics = http.get("/metrics", headers={"Authorization": f"Bearer {token.strip()}"})
        assert metrics.status_code == 200, metrics.text
    # The import above wrote when it ran into the database; /metrics reads it from there.
    age = next(line for line in metrics.text.splitlines() if line.startswith("xinyi_records_import_age_seconds "))
    assert 0 <= float(age.split()[1]) < 600


def test_a_fleet_db_of_its_own_gets_the_schema_from_db_init(tmp_path: Path, postgres_cluster: Cluster) -> None:
    records, fleet = postgres_cluster.create_schema(), postgres_cluster.create_schema()
    try:
        site = make_deployment(tmp_path / "site", feeds=False, db=records)
        site.config.write_text(site.config.read_text(encoding="utf-8") + f'fleet_db = "{fleet}"\n', encoding="utf-8")
        code, out, err = site.backend("db", "init", "--config", str(site.config))
        assert code == 0 and out.splitlines()[0].endswith("already at version 2; nothing to do"), err
        assert out.splitlines()[1].endswith("created the records schema, version 2"), out
    finally:
        postgres_cluster.drop(records)
        postgres_cluster.drop(fleet)


def test_heartbeats_while_the_fleet_database_is_down_get_503_and_then_count(tmp_path: Path) -> None:
    cluster = Cluster()
    try:
        cluster.start()
        url = cluster.create_database("fleet")
        with psycopg.connect(url, autocommit=True) as connection:
            schema.init(connection)
        node = replace(fleet_settings(tmp_path), fleet=_on_postgres(tmp_path, url))
        with running_server(node) as served, loopback_client(served) as http:
            assert http.post("/v1/heartbeat", json=beat("3" * 32), headers=DEVICE).status_code == 200
            cluster.stop()
            started = time.monotonic()
            down = http.post("/v1/heartbeat", json=beat("4" * 32), headers=DEVICE, timeout=5)
            detail = assert_problem(down, 503)
            assert detail["type"].endswith("fleet-unavailable") and down.headers["retry-after"] == "1"
            assert time.monotonic() - started < 5
            view = http.get("/v1/fleet", headers=OPERATOR, timeout=5)
            assert assert_problem(view, 503)["type"].endswith("fleet-unavailable")
            cluster.start()
            deadline = time.monotonic() + 30
            answer = down
            while answer.status_code != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
                answer = http.post("/v1/heartbeat", json=beat("4" * 32), headers=DEVICE, timeout=5)
            # The kiosk kept batch 4 and sent it again: counted once, now.
            assert answer.status_code == 200 and answer.json()["counted"] is True, answer.text
            totals = http.get("/v1/fleet", headers=OPERATOR).json()["totals"]["decisions_by_benefit"]
            assert totals["expedited-permit"]["eligible"] == 2
    finally:
        cluster.remove()
