"""POST /v1/heartbeat and GET /v1/fleet over loopback: what is kept, what is refused, and that a
refusal leaves the stored fleet view exactly as it was (issue #17, "Bad input"); on both fleet
stores, a SQLite file and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from backend.pg import schema
from tests.support.backend import assert_problem, loopback_client
from tests.support.deployment import STORES
from tests.support.fleet import DEVICE, KIOSK_TOKENS, OPERATOR, beat, fleet_server, today


@pytest.fixture(scope="module", params=STORES)
def http(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("fleet")
    if request.param == "sqlite":
        with fleet_server(folder, burst=1000) as url, loopback_client(url) as client:
            yield client
        return
    cluster = request.getfixturevalue("postgres_cluster")
    database = cluster.create_schema()
    try:
        with psycopg.connect(database, autocommit=True) as connection:
            schema.init(connection)
        with fleet_server(folder, burst=1000, db=None, db_url=database) as url, loopback_client(url) as client:
            yield client
    finally:
        cluster.drop(database)


def fleet(http: httpx.Client) -> dict[str, Any]:
    answer = http.get("/v1/fleet", headers=OPERATOR)
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    document.pop("generated_at")
    for device in document["devices"]:
        device.pop("seconds_since_heartbeat")
        device.pop("policy_expires_in_hours")
    return document


def test_a_heartbeat_is_kept_and_shown_with_its_counters(http: httpx.Client) -> None:
    answer = http.post("/v1/heartbeat", json=beat("1" * 32, eligible=3), headers=DEVICE)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": True, "batch": "1" * 32, "counted": True}
    assert "date" in answer.headers  # the kiosk measures its clock skew from it
    view = http.get("/v1/fleet", headers=OPERATOR).json()
    demo = next(d for d in view["devices"] if d["device"] == "kiosk-demo")
    assert demo["state"] == "live"
    assert demo["heartbeat"]["software_version"] == "0.1.0"
    assert "counters" not in demo["heartbeat"]
    assert view["totals"]["decisions_by_benefit"]["expedited-permit"]["eligible"] >= 3
    # Devices that hold a token and never sent a heartbeat are listed, silent.
    for device in KIOSK_TOKENS:
        row = next(d for d in view["devices"] if d["device"] == device)
        assert row["state"] == "silent" and row["heartbeat"] is None


def test_a_batch_sent_twice_is_acknowledged_twice_and_counted_once(http: httpx.Client) -> None:
    before = fleet(http)["totals"]["decisions"].get("eligible", 0)
    first = http.post("/v1/heartbeat", json=beat("2" * 32, eligible=5), headers=DEVICE).json()
    again = http.post("/v1/heartbeat", json=beat("2" * 32, eligible=5), headers=DEVICE).json()
    assert first == {"accepted": True, "batch": "2" * 32, "counted": True}
    assert again == {"accepted": True, "batch": "2" * 32, "counted": False}
    assert fleet(http)["totals"]["decisions"]["eligible"] == before + 5


def _mutations() -> list[tuple[str, Any, str]]:
    """(label, change to a valid beat, the field the problem names)."""

    def counters(**row: Any) -> dict[str, Any]:
        body = beat("3" * 32)
        body["counters"]["outcomes"][0].update(row)
        return body

    extra_row = beat("3" * 32)
    extra_row["counters"]["criteria"][0]["subject"] = "91350100M000100Y43"
    nested = beat()
    nested["devices"]["camera"] = "ready"
    return [
        ("unknown top-level field", {**beat(), "subject": "91350100M000100Y43"}, "subject"),
        ("unknown nested field", nested, "devices.camera"),
        ("unknown row field", extra_row, "counters.criteria[0].subject"),
        ("missing field", {k: v for k, v in beat().items() if k != "uptime_seconds"}, "uptime_seconds"),
        ("negative counter", counters(count=-1), "counters.outcomes[0].count"),
        ("zero counter", counters(count=0), "counters.outcomes[0].count"),
        ("huge counter", counters(count=10**12), "counters.outcomes[0].count"),
        ("counter as text", counters(count="5"), "counters.outcomes[0].count"),
        ("counter as true", counters(count=True), "counters.outcomes[0].count"),
        ("a day long ago", counters(day="2001-01-01"), "counters.outcomes[0].day"),
        ("not a day", counters(day="2026-02-30"), "counters.outcomes[0].day"),
        ("unknown outcome", counters(outcome="maybe"), "counters.outcomes[0].outcome"),
        ("benefit id with a name", counters(benefit="张三"), "counters.outcomes[0].benefit"),
        ("negative uptime", {**beat(), "uptime_seconds": -5}, "uptime_seconds"),
        ("absurd skew", {**beat(), "clock_skew_seconds": 1e12}, "clock_skew_seconds"),
        (
            "bad part status",
            {**beat(), "devices": {"scanner": "fine", "card_reader": "ready", "printer": "ready"}},
            "devices.scanner",
        ),
        (
            "bad batch id",
            {**beat("3" * 32), "counters": {**beat("3" * 32)["counters"], "batch": "x"}},
            "counters.batch",
        ),
        ("a list, not an object", [beat()], "(body)"),
    ]


@pytest.mark.parametrize(("label", "body", "field"), _mutations(), ids=[m[0] for m in _mutations()])
def test_a_malformed_heartbeat_is_422_naming_the_field_and_changes_nothing(
    http: httpx.Client, label: str, body: Any, field: str
) -> None:
    before = fleet(http)
    answer = http.post(
        "/v1/heartbeat",
        content=json.dumps(body, allow_nan=True),
        headers={**DEVICE, "Content-Type": "application/json"},
    )
    problem = assert_problem(answer, 422, field)
    assert "91350100M000100Y43" not in answer.text and "张三" not in answer.text, "never quotes a value"
    assert problem["title"]
    assert fleet(http) == before


def test_a_heartbeat_for_another_device_is_403_and_leaves_that_row_alone(http: httpx.Client) -> None:
    before = fleet(http)
    answer = http.post("/v1/heartbeat", json=beat("4" * 32, device="kiosk-0002"), headers=DEVICE)
    assert_problem(answer, 403, "device")
    assert fleet(http) == before


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{", "application/json", 400),
        (b'{"device": 1, "device": 2}', "application/json", 400),
        (json.dumps(beat()).encode(), "text/plain", 415),
        (b"x" * (1024 * 1024 + 10), "application/json", 413),
    ],
    ids=["broken JSON", "repeated key", "wrong media type", "too large"],
)
def test_a_body_that_is_not_one_json_heartbeat_is_refused(
    http: httpx.Client, content: bytes, content_type: str, status: int
) -> None:
    before = fleet(http)
    # Its own connection: past 1 MiB the connection guard answers and closes it (backend/http_guard.py).
    with loopback_client(str(http.base_url)) as sender:
        answer = sender.post("/v1/heartbeat", content=content, headers={**DEVICE, "Content-Type": content_type})
    assert_problem(answer, status)
    assert fleet(http) == before


def test_device_and_operator_tokens_open_only_their_own_routes(http: httpx.Client) -> None:
    assert_problem(http.get("/v1/fleet", headers=DEVICE), 401)
    assert_problem(http.get("/metrics", headers=DEVICE), 401)
    assert_problem(http.get("/v1/fleet"), 401)
    assert_problem(http.post("/v1/heartbeat", json=beat(), headers=OPERATOR), 401)
    # The dashboard's sign-in takes operator tokens only.
    refused = http.post("/fleet/login", data={"token": DEVICE["Authorization"].split()[1], "lang": "en"})
    assert refused.status_code == 401 and "set-cookie" not in refused.headers


def test_a_flood_of_heartbeats_is_429_and_the_last_kept_beat_stays(tmp_path: Path) -> None:
    with fleet_server(tmp_path, burst=3, per_hour=1) as url, loopback_client(url) as client:
        for uptime in (1, 2, 3):
            assert client.post("/v1/heartbeat", json=beat(uptime_seconds=uptime), headers=DEVICE).status_code == 200
        before = fleet(client)
        answer = client.post("/v1/heartbeat", json=beat("5" * 32, uptime_seconds=4), headers=DEVICE)
        assert_problem(answer, 429)
        assert int(answer.headers["retry-after"]) >= 1
        after = fleet(client)
        assert after == before
        demo = next(d for d in after["devices"] if d["device"] == "kiosk-demo")
        assert demo["heartbeat"]["uptime_seconds"] == 3 and after["totals"]["decisions"] == {}


def test_another_kiosk_counts_into_its_own_row(http: httpx.Client) -> None:
    token = KIOSK_TOKENS["kiosk-0003"]
    answer = http.post(
        "/v1/heartbeat",
        json=beat("6" * 32, device="kiosk-0003", unknown=2),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    view = fleet(http)
    row = next(d for d in view["devices"] if d["device"] == "kiosk-0003")
    assert row["state"] == "live" and row["heartbeat"]["device"] == "kiosk-0003"
    assert view["totals"]["live"] >= 2
    assert today() >= view["totals"]["decisions_since"]


def test_the_documented_schema_takes_what_a_kiosk_sends_and_describes_the_answer(http: httpx.Client) -> None:
    import jsonschema_rs

    from backend.openapi import openapi_document

    document = openapi_document()

    def schema(name: str) -> Any:
        return jsonschema_rs.validator_for(
            {"components": document["components"], "$ref": f"#/components/schemas/{name}"}
        )

    body = beat("7" * 32, unknown=1)
    schema("Heartbeat").validate(body)
    assert not schema("Heartbeat").is_valid({**body, "subject": "x"})
    answer = http.post("/v1/heartbeat", json=body, headers=DEVICE)
    schema("HeartbeatAnswer").validate(answer.json())
