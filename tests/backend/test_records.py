"""`kiosk-backend records import | export`: strict feeds, all or nothing, and a running
service that sees an import on its very next request (no kept answer outlives its data)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.records.facts import facts_of, read_fact_table
from backend.records.feed import FeedError, read_feed
from backend.settings import load_settings
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR
from tests.support.backend import loopback_client, running_server
from tests.support.deployment import (
    BUSINESS,
    FIXTURES,
    PENALISED,
    PERSON,
    Deployment,
    make_deployment,
    records_db,
)

TABLE = read_fact_table(DEFAULT_POLICY_DIR)


__all__ = ["records_db"]  # fixture


@pytest.fixture
def deployed(tmp_path: Path, records_db: str) -> Deployment:
    """A site with the two fixture feeds imported: on SQLite and on PostgreSQL."""
    return make_deployment(tmp_path / "site", db=records_db)


def snapshot(deployment: Deployment) -> list[tuple[object, ...]]:
    return deployment.snapshot()


def facts(deployment: Deployment, value: str) -> dict[str, object]:
    code, out, err = deployment.backend("records", "export", "--config", str(deployment.config),
                                        "--subject", f"uscc:{value}", "--show", "--json")
    assert code == 0, err
    document = json.loads(out)
    return {name: v for entry in document["sources"].values() for name, v in entry["facts"].items()}


def test_two_feeds_fill_the_records_and_export_masks_by_default(deployed: Deployment) -> None:
    assert facts(deployed, BUSINESS) == {
        "serious_dishonesty_listed": True, "last_penalty_date": "none",
        "abnormal_operations_listed": False, "credit_risk_class": "A", "established_on": "2015-03-02",
    }
    export = ("records", "export", "--config", str(deployed.config), "--subject")
    code, out, _ = deployed.backend(*export, f"uscc:{BUSINESS}")
    assert code == 0 and BUSINESS not in out and "true" not in out and "credit-china as of 2026-11-30" in out
    code, out, err = deployed.backend(*export, f"ric:{PERSON}")
    assert code == 0 and PERSON not in out, err


def test_counts_dry_run_and_an_empty_cell_removing_a_fact(deployed: Deployment, tmp_path: Path) -> None:
    feed = tmp_path / "update.csv"
    feed.write_text(
        "scheme,value,serious_dishonesty_listed,last_penalty_date\n"
        f"uscc,{BUSINESS},true,none\n"          # unchanged
        f"uscc,{PENALISED},false,\n"            # changed: the penalty date removed
        "uscc,91990000MA01DEPL22,false,none\n",  # new
        encoding="utf-8",
    )
    before = snapshot(deployed)
    code, out, _ = deployed.records_import("credit-china", feed, "--dry-run")
    assert code == 0 and "new=1 changed=1 unchanged=1 removed=1" in out and "nothing written" in out
    assert snapshot(deployed) == before
    code, out, _ = deployed.records_import("credit-china", feed, as_of="2026-12-01")
    assert code == 0 and "new=1 changed=1 unchanged=1 removed=1" in out
    assert "last_penalty_date" not in facts(deployed, PENALISED)
    assert facts(deployed, PENALISED)["credit_risk_class"] == "B"  # another authority's: untouched


BAD_FEEDS = [
    ("unknown column", "scheme,value,colour\nuscc,{b},red\n", "row 1, column colour"),
    ("another authority's fact", "scheme,value,tax_credit_grade\nuscc,{b},A\n", "is a fact of tax"),
    ("wrong type", "scheme,value,serious_dishonesty_listed\nuscc,{b},yes\n", "row 2, column serious_dishonesty_listed"),
    ("bad date", "scheme,value,last_penalty_date\nuscc,{b},2026-02-30\n", "row 2, column last_penalty_date"),
    ("bad check digit", "scheme,value,serious_dishonesty_listed\nuscc,{b_bad},true\n", "row 2, column value"),
    ("duplicate row", "scheme,value,serious_dishonesty_listed\nuscc,{b},true\nuscc,{b},false\n",
     "same subject as row 2"),
    ("bad last row", "scheme,value,serious_dishonesty_listed\nuscc,{b},false\nuscc,{p},maybe\n", "row 3"),
    ("cell count", "scheme,value,serious_dishonesty_listed\nuscc,{b}\n", "row 2"),
    ("no fact column", "scheme,value\nuscc,{b}\n", "names no fact column"),
    ("header", "value,scheme,serious_dishonesty_listed\n{b},uscc,true\n", "scheme,value"),
    ("unknown scheme", "scheme,value,serious_dishonesty_listed\ntoken,XKT:abc,true\n", "column scheme"),
    ("json type", '{{"scheme": "uscc", "value": "{b}", "serious_dishonesty_listed": "false"}}\n', "row 1"),
    ("json nested", '{{"scheme": "uscc", "value": "{b}", "serious_dishonesty_listed": {{"a": 1}}}}\n', "row 1"),
    ("json duplicate key", '{{"scheme": "uscc", "value": "{b}", "value": "{p}", "is_sme": true}}\n', "row 1"),
    ("json not an object", '{{"scheme": "uscc"}}\n[1, 2]\n', "row 1"),
    ("json huge integer", '{{"scheme": "uscc", "value": "{b}", "x": ' + "9" * 5000 + "}}\n", "row 1"),
    ("empty", "", "is empty"),
]


@pytest.mark.parametrize(("name", "content", "says"), BAD_FEEDS, ids=[b[0] for b in BAD_FEEDS])
def test_a_bad_feed_is_refused_with_one_line_and_nothing_applied(
    deployed: Deployment, tmp_path: Path, name: str, content: str, says: str
) -> None:
    feed = tmp_path / "feed.txt"
    feed.write_text(content.format(b=BUSINESS, b_bad=BUSINESS[:-1] + "X", p=PENALISED), encoding="utf-8")
    before = snapshot(deployed)
    code, out, err = deployed.records_import("credit-china", feed)
    assert code == 3, (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err and str(feed) in err and says in err, err
    assert BUSINESS not in err and "nothing was imported" in err
    assert snapshot(deployed) == before


def test_bytes_that_are_not_a_feed(deployed: Deployment, tmp_path: Path) -> None:
    before = snapshot(deployed)
    for content in (b"\xff\xfe\x00bad", b"scheme,value,is_sme\n" + b"x" * 70_000 + b"\n", b'"unterminated\n'):
        feed = tmp_path / "feed.csv"
        feed.write_bytes(content)
        code, _, err = deployed.records_import("sme-finance", feed)
        assert code == 3 and err.count("\n") == 1 and "Traceback" not in err, err
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        code, _, err = deployed.records_import("sme-finance", path)
        assert code == 3 and err.count("\n") == 1 and "not a regular file" in err, err
    assert snapshot(deployed) == before


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--source", "nobody", "--as-of", "2026-11-30"], "--source"),
        (["--source", "transport", "--as-of", "2026-11-30"], "holds no fact"),
        (["--source", "credit-china", "--as-of", "30/11/2026"], "--as-of"),
        (["--source", "credit-china", "--as-of", "2999-01-01"], "future"),
    ],
)
def test_usage_errors_exit_2(deployed: Deployment, argv: list[str], says: str) -> None:
    code, _, err = deployed.backend("records", "import", "--config", str(deployed.config), *argv,
                                    str(FIXTURES / "credit-china.csv"))
    assert code == 2 and says in err and err.count("\n") == 1


def test_a_database_that_is_not_sqlite_or_a_missing_config_exit_2(tmp_path: Path) -> None:
    site = make_deployment(tmp_path / "site", feeds=False)
    (site.folder / "records.sqlite3").write_bytes(b"not a database at all" * 100)
    code, _, err = site.records_import("credit-china", FIXTURES / "credit-china.csv")
    assert code == 2 and "not a SQLite file" in err and err.count("\n") == 1
    code, _, err = site.backend("records", "import", "--config", str(tmp_path / "none.toml"), "--source",
                                "credit-china", "--as-of", "2026-11-30", str(FIXTURES / "credit-china.csv"))
    assert code == 2 and "cannot be read" in err


def test_a_dry_run_on_a_new_site_creates_no_database(tmp_path: Path) -> None:
    site = make_deployment(tmp_path / "site", feeds=False)
    code, out, _ = site.records_import("credit-china", FIXTURES / "credit-china.csv", "--dry-run")
    assert code == 0 and "new=3" in out
    assert not (site.folder / "records.sqlite3").exists()


@given(st.binary(max_size=400))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_bytes_give_rows_or_a_feed_error(tmp_path: Path, content: bytes) -> None:
    feed = tmp_path / "random.feed"
    feed.write_bytes(content)
    try:
        read_feed(feed, "credit-china", facts_of(TABLE, "credit-china"), TABLE)
    except FeedError as error:
        assert str(feed) in error.detail and error.text.en


def test_every_fact_the_rules_read_has_a_type_and_one_authority() -> None:
    from kiosk.common.policy_folder import load_catalog

    catalog = load_catalog(DEFAULT_POLICY_DIR)
    read = {name for benefit in catalog.benefits for criterion in benefit.criteria for name in criterion.facts}
    assert read <= set(TABLE)
    for spec in TABLE.values():
        assert spec.source in catalog.authorities


@pytest.mark.parametrize("preload", [True, False], ids=["preloaded", "per-request"])
def test_a_running_service_sees_an_import_on_its_next_request(
    tmp_path: Path, preload: bool, records_db: str
) -> None:
    site = make_deployment(tmp_path / "site", f"preload_records = {str(preload).lower()}\n", db=records_db)
    body = {"benefit": "fewer-inspections", "subject": {"scheme": "uscc", "value": BUSINESS},
            "locale": "en", "device": site.device}
    headers = {"Authorization": f"Bearer {site.token}"}
    with running_server(load_settings(site.config)) as url, loopback_client(url) as http:
        def outcome() -> str:
            answer = http.post("/v1/eligibility", json=body, headers=headers)
            assert answer.status_code == 200, answer.text
            return str(answer.json()["outcome"])

        assert [outcome() for _ in range(3)] == ["not_eligible"] * 3  # the answer is now kept
        assert site.records_import("credit-china", FIXTURES / "credit-china-repair.csv", as_of="2026-12-01")[0] == 0
        assert outcome() == "eligible"
        answer = http.post("/v1/eligibility", json=body, headers=headers).json()
        dishonest = next(c for c in answer["criteria"] if c["id"] == "not-seriously-dishonest")
        assert dishonest["as_of"] == "2026-12-01"
