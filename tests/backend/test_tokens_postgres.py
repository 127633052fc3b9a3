"""Device and operator tokens in PostgreSQL (``device_tokens`` / ``operator_tokens`` naming a URL):
the commands on the table, a revocation that reaches every node within seconds with nothing to
copy, and a service that keeps the tokens it knows while the database is away."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import psycopg

from backend.settings import load_settings
from tests.support.backend import loopback_client, running_server
from tests.support.deployment import BUSINESS, FIXTURES, Deployment, make_deployment
from tests.support.postgres import Cluster, free_port


def _site(folder: Path, url: str) -> Deployment:
    return make_deployment(folder, db=url, tokens=url, feeds=False)


def _check(http: httpx.Client, site: Deployment, token: str, device: str | None = None) -> int:
    body = {"benefit": "fewer-inspections", "subject": {"scheme": "uscc", "value": BUSINESS},
            "locale": "en", "device": device or site.device}
    return http.post("/v1/eligibility", json=body, headers={"Authorization": f"Bearer {token}"}).status_code


def _until(status: int, probe: object, what: str) -> None:
    deadline = time.monotonic() + 10
    while probe() != status:  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_issue_list_revoke_on_the_table_keep_only_hashes(tmp_path: Path, postgres_url: str) -> None:
    site = _site(tmp_path / "site", postgres_url)  # issues kiosk-0001's token through the config
    config = str(site.config)
    code, second, err = site.backend("device-token", "issue", "--config", config, "--device", "kiosk-0002")
    assert code == 0, err
    code, listed, _ = site.backend("device-token", "list", "--config", config)
    assert code == 0 and [line.split("\t")[0] for line in listed.splitlines()] == ["kiosk-0001", "kiosk-0002"]
    with psycopg.connect(postgres_url) as connection:
        rows = repr(connection.execute("SELECT * FROM tokens").fetchall())
    assert site.token not in rows and second.strip() not in rows and "kiosk-0002" in rows
    assert site.backend("device-token", "revoke", "--config", config, "--device", "kiosk-0002")[0] == 0
    code, _, err = site.backend("device-token", "revoke", "--config", config, "--device", "kiosk-0002")
    assert code == 3 and "no device 'kiosk-0002' holds a token" in err and err.count("\n") == 1
    assert "(device_tokens)" in err
    code, listed, _ = site.backend("device-token", "list", "--config", config)
    assert listed.splitlines()[0].startswith("kiosk-0001") and len(listed.splitlines()) == 1


def test_a_revocation_reaches_every_node(tmp_path: Path, postgres_url: str) -> None:
    site = _site(tmp_path / "site", postgres_url)
    settings = load_settings(site.config)
    with (
        running_server(settings) as first,
        running_server(settings) as second,
        loopback_client(first) as a,
        loopback_client(second) as b,
    ):
        assert _check(a, site, site.token) == 200 and _check(b, site, site.token) == 200
        code, issued, _ = site.backend("device-token", "issue", "--config", str(site.config), "--device", "kiosk-0002")
        assert code == 0
        for http in (a, b):  # issued on neither node, accepted by both
            _until(200, lambda http=http: _check(http, site, issued.strip(), "kiosk-0002"), "new token not accepted")
        assert site.backend("device-token", "revoke", "--config", str(site.config), "--device", "kiosk-0001")[0] == 0
        for http in (a, b):
            _until(401, lambda http=http: _check(http, site, site.token), "revoked token still accepted")
        assert _check(a, site, issued.strip(), "kiosk-0002") == 200


def test_operator_tokens_on_the_table_open_the_fleet_view(tmp_path: Path, postgres_url: str) -> None:
    site = _site(tmp_path / "site", postgres_url)
    extra = f'fleet_db = "{postgres_url}"\noperator_tokens = "{postgres_url}"\n'
    site.config.write_text(site.config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    with running_server(load_settings(site.config)) as url, loopback_client(url) as http:
        assert http.get("/v1/fleet", headers={"Authorization": "Bearer nobody"}).status_code == 401
        code, token, err = site.backend("operator-token", "issue", "--config", str(site.config), "--operator", "ops")
        assert code == 0, err
        operator = {"Authorization": f"Bearer {token.strip()}"}
        _until(200, lambda: http.get("/v1/fleet", headers=operator).status_code, "operator token not accepted")
        # A device token does not open the fleet view, nor an operator token speak for a kiosk.
        assert http.get("/v1/fleet", headers={"Authorization": f"Bearer {site.token}"}).status_code == 401
        assert _check(http, site, token.strip()) == 401


def test_while_the_tokens_database_is_down_the_last_tokens_hold(tmp_path: Path) -> None:
    cluster = Cluster()
    try:
        cluster.start()
        url = cluster.create_database("site")
        site = make_deployment(tmp_path / "site", tokens=url, db=url, feeds=False)
        # The records in a file, so that only the tokens depend on the stopped database.
        text = site.config.read_text(encoding="utf-8").replace(f'db = "{url}"', 'db = "records.sqlite3"', 1)
        site.config.write_text(text, encoding="utf-8")
        for source, feed in (("credit-china", "credit-china.csv"), ("market-regulation", "market-regulation.jsonl")):
            assert site.records_import(source, FIXTURES / feed)[0] == 0
        with running_server(load_settings(site.config)) as served, loopback_client(served) as http:
            assert _check(http, site, site.token) == 200
            cluster.stop()
            time.sleep(1.5)  # past the registry's next look at the table
            assert [_check(http, site, site.token) for _ in range(3)] == [200] * 3
            assert _check(http, site, "guess-" + "x" * 40) == 401
            cluster.start()
            code, _, err = site.backend("device-token", "revoke", "--config", str(site.config), "--device", site.device)
            assert code == 0, err
            _until(401, lambda: _check(http, site, site.token), "revocation not applied after the database came back")
    finally:
        cluster.remove()


def test_an_unreachable_tokens_database_at_start_is_one_line(tmp_path: Path, postgres_url: str) -> None:
    site = _site(tmp_path / "site", postgres_url)
    text = site.config.read_text(encoding="utf-8")
    site.config.write_text(
        text.replace(f'device_tokens = "{postgres_url}"', f'device_tokens = "postgresql://k:s3cret@127.0.0.1:{free_port()}/x"'),
        encoding="utf-8",
    )
    for argv in (("serve",), ("device-token", "list")):
        code, _, err = site.backend(*argv, "--config", str(site.config))
        assert code == 2 and err.count("\n") == 1 and "device_tokens" in err and "s3cret" not in err, err
