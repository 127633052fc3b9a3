"""The heartbeat sender against the real backend on loopback: counters reach the fleet once,
a failed send keeps them for the next beat, and a lost acknowledgement never counts twice."""

from __future__ import annotations

from pathlib import Path

import httpx

from kiosk.adapters.heartbeat_ledger import HeartbeatLedger
from kiosk.adapters.heartbeat_sender import HeartbeatSender, KioskStatus
from tests.privacy.harness import dead_url
from tests.support.backend import loopback_client
from tests.support.fleet import DEVICE, OPERATOR, fleet_server, today

STATUS = KioskStatus(
    software_version="0.1.0",
    policy_version="1764576000",
    policy_age_seconds=10,
    last_sync_outcome="updated",
    last_sync_at="2026-12-01T08:00:00Z",
    devices={"scanner": "ready", "card_reader": "ready", "printer": "ready"},
    last_frame_at=None,
    uptime_seconds=3,
)


def sender(url: str, ledger: HeartbeatLedger, token: str = DEVICE["Authorization"].split()[1]) -> HeartbeatSender:
    return HeartbeatSender(
        ledger, lambda: STATUS, base_url=url, token=token, device_id="kiosk-demo", interval_seconds=60
    )


def eligible_total(url: str) -> int:
    with loopback_client(url) as client:
        return int(client.get("/v1/fleet", headers=OPERATOR).json()["totals"]["decisions"].get("eligible", 0))


async def test_counters_reach_the_fleet_once_and_leave_the_kiosk(tmp_path: Path) -> None:
    ledger = HeartbeatLedger(tmp_path / "data")
    for _ in range(4):
        ledger.count("expedited-permit", "eligible", [("tax-credit-a-or-b", "passed")], today())
    with fleet_server(tmp_path) as url:
        beats = sender(url, ledger)
        try:
            result = await beats.beat()
            assert result.outcome == "acknowledged", result
            assert result.clock_skew_seconds is not None and abs(result.clock_skew_seconds) < 5
            assert (await beats.beat()).outcome == "delivered"  # nothing new to count
        finally:
            await beats.stop()
        assert eligible_total(url) == 4
    assert ledger.batch_to_send() is None


async def test_a_failed_send_keeps_the_counters_for_the_next_beat(tmp_path: Path) -> None:
    ledger = HeartbeatLedger(tmp_path / "data")
    ledger.count("expedited-permit", "eligible", [], today())
    down = sender(dead_url(), ledger)
    try:
        failed = await down.beat()
    finally:
        await down.stop()
    assert failed.outcome == "unreachable" and not failed.ok
    kept = ledger.batch_to_send()
    assert kept is not None and kept.batch == failed.sent["counters"]["batch"]
    ledger.count("expedited-permit", "eligible", [], today())  # a restart and one more check later
    with fleet_server(tmp_path) as url:
        beats = sender(url, HeartbeatLedger(tmp_path / "data"))
        try:
            assert (await beats.beat()).outcome == "acknowledged"
            assert (await beats.beat()).outcome == "acknowledged"  # the count that waited behind it
        finally:
            await beats.stop()
        assert eligible_total(url) == 2


async def test_a_batch_whose_answer_was_lost_is_counted_once(tmp_path: Path) -> None:
    ledger = HeartbeatLedger(tmp_path / "data")
    for _ in range(3):
        ledger.count("expedited-permit", "eligible", [], today())
    with fleet_server(tmp_path) as url:
        beats = sender(url, ledger)
        # The first send arrives and is counted, but its answer never reaches the kiosk.
        with httpx.Client(base_url=url) as client:
            lost = client.post("/v1/heartbeat", json=beats.heartbeat().to_json(), headers=DEVICE)
        assert lost.json()["counted"] is True
        try:
            again = await beats.beat()
        finally:
            await beats.stop()
        assert again.outcome == "acknowledged" and again.sent["counters"]["batch"] == lost.json()["batch"]
        assert eligible_total(url) == 3
    assert ledger.batch_to_send() is None


async def test_a_wrong_token_is_rejected_and_the_counters_stay(tmp_path: Path) -> None:
    ledger = HeartbeatLedger(tmp_path / "data")
    ledger.count("expedited-permit", "eligible", [], today())
    with fleet_server(tmp_path) as url:
        beats = sender(url, ledger, token="not-a-token")
        try:
            result = await beats.beat()
        finally:
            await beats.stop()
    assert result.outcome == "rejected" and result.status == 401
    assert ledger.batch_to_send() is not None
