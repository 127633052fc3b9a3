"""The heartbeat ledger on a real data folder: counts wait, a batch is sealed once, stays until
acknowledged (also across a restart), and a damaged file is set aside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.adapters.heartbeat_ledger import LEDGER_FILE, HeartbeatLedger

DAY = "2026-12-01"
CRITERIA = [("tax-credit-a-or-b", "passed"), ("not-abnormal-operations", "unknown")]


def test_counts_add_up_per_day_benefit_and_outcome(tmp_path: Path) -> None:
    ledger = HeartbeatLedger(tmp_path)
    for _ in range(3):
        assert ledger.count("expedited-permit", "undetermined", CRITERIA, DAY)
    assert ledger.count("expedited-permit", "eligible", [("tax-credit-a-or-b", "passed")], "2026-12-02")
    pending = HeartbeatLedger(tmp_path).snapshot()["pending"]
    assert sorted(pending["outcomes"]) == [
        [DAY, "expedited-permit", "undetermined", 3],
        ["2026-12-02", "expedited-permit", "eligible", 1],
    ]
    assert [DAY, "not-abnormal-operations", "unknown", 3] in pending["criteria"]


def test_a_sealed_batch_is_sent_again_unchanged_until_acknowledged_even_after_a_restart(tmp_path: Path) -> None:
    ledger = HeartbeatLedger(tmp_path)
    ledger.count("expedited-permit", "eligible", CRITERIA, DAY)
    first = ledger.batch_to_send()
    assert first is not None and len(first.outcomes) == 1
    ledger.count("expedited-permit", "not_eligible", CRITERIA, DAY)  # arrives while the batch travels
    restarted = HeartbeatLedger(tmp_path)
    assert restarted.batch_to_send() == first, "the same batch, not the one after it"
    assert not restarted.acknowledge("f" * 32), "another batch's id drops nothing"
    assert restarted.acknowledge(first.batch)
    second = restarted.batch_to_send()
    assert second is not None and second.batch != first.batch
    assert [(r.outcome, r.count) for r in second.outcomes] == [("not_eligible", 1)]
    assert restarted.acknowledge(second.batch)
    assert restarted.batch_to_send() is None


def test_what_is_not_a_policy_id_is_never_counted(tmp_path: Path) -> None:
    ledger = HeartbeatLedger(tmp_path)
    assert not ledger.count("91350100M000100Y43", "eligible", [], DAY)
    assert not ledger.count("expedited-permit", "probably", [], DAY)
    assert not ledger.count("expedited-permit", "eligible", [], "1 Dec")
    assert ledger.count("expedited-permit", "eligible", [("张三", "passed"), ("id-350102199001011234", "failed")], DAY)
    text = (tmp_path / LEDGER_FILE).read_text(encoding="utf-8")
    assert "张三" not in text and "1990" not in text and "91350100" not in text


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"garbage",
        b"[]",
        b'{"pending": 1}',
        json.dumps(
            {
                "pending": {"outcomes": [["2026-12-01", "x", "eligible", -1]], "criteria": []},
                "sealed": None,
                "clock_skew_seconds": None,
                "last_frame_at": None,
            }
        ).encode(),
    ],
    ids=["empty", "garbage", "a list", "wrong shape", "negative count"],
)
def test_a_damaged_file_is_set_aside_and_the_ledger_starts_clean(tmp_path: Path, content: bytes) -> None:
    (tmp_path / LEDGER_FILE).write_bytes(content)
    ledger = HeartbeatLedger(tmp_path)
    assert ledger.batch_to_send() is None
    assert ledger.count("expedited-permit", "eligible", CRITERIA, DAY)
    assert ledger.persistent
    if content:
        assert ledger.moved_aside and ledger.moved_aside[0].name.startswith(f"{LEDGER_FILE}.corrupt-")


def test_the_last_skew_and_frame_are_kept_for_the_next_beat(tmp_path: Path) -> None:
    HeartbeatLedger(tmp_path).note_beat(clock_skew_seconds=412.34, last_frame_at="2026-12-01T08:00:00Z")
    again = HeartbeatLedger(tmp_path)
    assert again.clock_skew_seconds == 412.3
    assert again.last_frame_at == "2026-12-01T08:00:00Z"


def test_a_folder_in_place_of_the_file_is_set_aside_and_counting_goes_on(tmp_path: Path) -> None:
    (tmp_path / LEDGER_FILE).mkdir()
    ledger = HeartbeatLedger(tmp_path)
    assert ledger.moved_aside and ledger.persistent
    assert ledger.count("expedited-permit", "eligible", CRITERIA, DAY)
    batch = HeartbeatLedger(tmp_path).batch_to_send()
    assert batch is not None and batch.outcomes[0].count == 1


def test_days_older_than_a_kiosk_keeps_stop_waiting(tmp_path: Path) -> None:
    ledger = HeartbeatLedger(tmp_path)
    ledger.count("expedited-permit", "eligible", CRITERIA, "2025-01-01")
    ledger.count("expedited-permit", "eligible", CRITERIA, "2026-12-01")  # 699 days later
    pending = ledger.snapshot()["pending"]
    assert [row[0] for row in pending["outcomes"]] == ["2026-12-01"]
    assert {row[0] for row in pending["criteria"]} == {"2026-12-01"}
