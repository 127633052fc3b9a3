"""The heartbeat carries only the fields issue #17 lists, and nothing of anyone who was checked.

Whole sessions with canary businesses, people, cards, tokens and signed credentials go through
the real station; a recording proxy between the kiosk and a backend with its fleet on keeps
every heartbeat byte for byte. Each must be exactly the listed fields (status, the counters by
benefit x outcome x day and criterion x status x day under a batch id), every id a policy id,
every day a whole day, and no canary in any form anywhere in it; the ledger file the heartbeat
leaves in the data folder holds the same and no more.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.settings import FleetSettings
from kiosk.common.policy_folder import load_catalog
from kiosk.core.heartbeat import COUNTER_FIELDS, DEVICE_PARTS, HEARTBEAT_FIELDS, PART_STATUSES, SYNC_OUTCOMES
from tests.adapters.test_wire_contract import ALLOWED_HEADERS, RawRequest, RecordingProxy
from tests.privacy.canaries import BUSINESS_TOKEN, OUTCOMES, PERSON_TOKEN, RIC, USCC, search
from tests.privacy.harness import (
    BUSINESS_BENEFIT,
    PERSON_BENEFIT,
    canary_backend_settings,
    canary_card,
    canary_facts,
    mint,
    start_kiosk,
)
from tests.privacy.scene import PrivacyScene
from tests.support.backend import running_server

pytestmark = pytest.mark.slow

TIMESTAMP_FIELDS = {"last_sync_at", "last_frame_at"}
WHOLE_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordingProxy]:
    folder = tmp_path_factory.mktemp("fleet-backend")
    settings = canary_backend_settings(
        folder, fleet=FleetSettings(db=folder / "fleet.sqlite3", per_hour=36_000, burst=1000)
    )
    with running_server(settings) as url:
        server = RecordingProxy(url)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server
        finally:
            server.shutdown()
            server.server_close()


def heartbeats(records: list[RawRequest]) -> list[RawRequest]:
    return [r for r in records if r.method_and_path == ("POST", "/v1/heartbeat")]


def assert_only_the_listed_fields(body: dict[str, Any], policy_ids: set[str]) -> None:
    assert tuple(body) == HEARTBEAT_FIELDS, list(body)
    assert set(body["devices"]) == set(DEVICE_PARTS) and set(body["devices"].values()) <= set(PART_STATUSES)
    assert body["last_sync_outcome"] in (None, *SYNC_OUTCOMES)
    for name in TIMESTAMP_FIELDS:
        assert body[name] is None or isinstance(body[name], str)
    for name in ("policy_age_seconds", "uptime_seconds"):
        assert body[name] is None or isinstance(body[name], int)
    counters = body["counters"]
    if counters is None:
        return
    assert tuple(counters) == COUNTER_FIELDS and re.fullmatch(r"[0-9a-f]{32}", counters["batch"])
    for row in counters["outcomes"]:
        assert tuple(row) == ("day", "benefit", "outcome", "count")
        assert WHOLE_DAY.fullmatch(row["day"]) and row["benefit"] in policy_ids and row["outcome"] in OUTCOMES
    for row in counters["criteria"]:
        assert tuple(row) == ("day", "criterion", "status", "count")
        assert WHOLE_DAY.fullmatch(row["day"]) and row["criterion"] in policy_ids
        assert row["status"] in ("passed", "failed", "unknown")


async def test_heartbeats_carry_only_the_listed_fields_and_no_canary(
    proxy: RecordingProxy, scene: PrivacyScene
) -> None:
    catalog = load_catalog()
    policy_ids = {b.id for b in catalog.benefits} | {c.id for b in catalog.benefits for c in b.criteria}
    kiosk = await start_kiosk(proxy.url, scene.data_dir)
    assert kiosk.station.heartbeat is not None
    try:
        for outcome in OUTCOMES:
            await kiosk.scan(BUSINESS_BENEFIT, USCC[outcome])
            await kiosk.card(PERSON_BENEFIT, canary_card(RIC[outcome]))
            await kiosk.scan(BUSINESS_BENEFIT, BUSINESS_TOKEN[outcome])
            await kiosk.scan(PERSON_BENEFIT, PERSON_TOKEN[outcome])
            credential = mint(
                scene.canaries,
                "business",
                USCC[outcome],
                canary_facts("business", outcome),
                label=f"heartbeat-{outcome}",
            )
            await kiosk.scan(BUSINESS_BENEFIT, credential)
        ledger_before = json.loads((scene.data_dir / "heartbeat.json").read_text(encoding="utf-8"))
        first = await kiosk.station.heartbeat.beat()
        second = await kiosk.station.heartbeat.beat()
    finally:
        await kiosk.aclose()
    assert first.outcome == "acknowledged", first
    assert second.outcome == "delivered", "nothing was left to count"
    sent = heartbeats(proxy.records)
    assert len(sent) >= 2
    counted = 0
    for record in sent:
        names = {name.decode("ascii").lower() for name, _ in record.headers}
        assert names <= ALLOWED_HEADERS, names - ALLOWED_HEADERS
        body = json.loads(record.body)
        assert_only_the_listed_fields(body, policy_ids)
        if body["counters"] is not None:
            counted += sum(row["count"] for row in body["counters"]["outcomes"])
        assert not search(scene.canaries, texts={"heartbeat": record.raw()})
    assert counted >= 15, "every session was counted once"
    # The ledger held the counters and nothing more; once acknowledged, nothing is left.
    assert set(ledger_before) == {"pending", "sealed", "clock_skew_seconds", "last_frame_at"}
    ledger_after = json.loads((scene.data_dir / "heartbeat.json").read_text(encoding="utf-8"))
    assert ledger_after["sealed"] is None and ledger_after["pending"] == {"outcomes": [], "criteria": []}
    scene.assert_clean(heartbeats="\n".join(r.raw().decode("utf-8", "replace") for r in sent))


def test_the_ledger_rows_are_ids_outcomes_days_and_counts(scene: PrivacyScene, tmp_path: Path) -> None:
    """What `heartbeat.json` may hold, read as the file it is (after the sessions above)."""
    document = json.loads((scene.data_dir / "heartbeat.json").read_text(encoding="utf-8"))
    for table in ("outcomes", "criteria"):
        for row in document["pending"][table]:
            assert len(row) == 4 and WHOLE_DAY.fullmatch(row[0]) and isinstance(row[3], int), row
    scene.assert_clean()
