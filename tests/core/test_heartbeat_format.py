"""The heartbeat wire format (kiosk/core/heartbeat.py): what it accepts, and that nothing else
gets through as anything but a HeartbeatFormatError naming a field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.heartbeat import (
    HEARTBEAT_FIELDS,
    CounterBatch,
    CriterionCount,
    Heartbeat,
    HeartbeatFormatError,
    OutcomeCount,
    heartbeat_from_json,
)

TODAY = date(2026, 12, 1)
BEAT = Heartbeat(
    device="kiosk-0001",
    software_version="0.1.0",
    policy_version="1764576000",
    policy_age_seconds=60,
    last_sync_outcome="unchanged",
    last_sync_at="2026-12-01T08:00:00Z",
    devices={"scanner": "ready", "card_reader": "disconnected", "printer": "not_configured"},
    last_frame_at="2026-12-01T08:00:01+08:00",
    uptime_seconds=5,
    clock_skew_seconds=-2.0,
    counters=CounterBatch(
        "ab" * 16,
        (OutcomeCount("2026-12-01", "expedited-permit", "not_eligible", 2),),
        (CriterionCount("2026-11-30", "adult", "unknown", 1),),
    ),
)


def test_a_heartbeat_survives_the_wire_unchanged() -> None:
    document = BEAT.to_json()
    assert tuple(document) == HEARTBEAT_FIELDS
    assert heartbeat_from_json(document, today=TODAY) == BEAT


def test_no_counters_is_null() -> None:
    document = {**BEAT.to_json(), "counters": None}
    assert heartbeat_from_json(document, today=TODAY).counters is None


def test_a_row_counted_twice_in_one_batch_is_refused() -> None:
    document = BEAT.to_json()
    document["counters"]["outcomes"] *= 2
    with pytest.raises(HeartbeatFormatError) as refused:
        heartbeat_from_json(document, today=TODAY)
    assert refused.value.field == "counters.outcomes[1]"


def test_tomorrow_is_allowed_and_the_day_after_is_not() -> None:
    document = BEAT.to_json()
    document["counters"]["criteria"][0]["day"] = "2026-12-02"
    heartbeat_from_json(document, today=TODAY)
    document["counters"]["criteria"][0]["day"] = "2026-12-03"
    with pytest.raises(HeartbeatFormatError, match="400 days"):
        heartbeat_from_json(document, today=TODAY)


def test_an_unknown_field_name_is_named_only_if_it_looks_like_a_name() -> None:
    with pytest.raises(HeartbeatFormatError) as refused:
        heartbeat_from_json({**BEAT.to_json(), "91350100M000100Y43 张三": 1}, today=TODAY)
    assert "张三" not in refused.value.field and "91350100M000100Y43" not in refused.value.field


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)


@given(json_values)
def test_any_json_value_is_a_heartbeat_or_a_format_error(value: Any) -> None:
    try:
        heartbeat_from_json(value, today=TODAY)
    except HeartbeatFormatError as error:
        assert error.field and error.problem


@given(st.sampled_from(HEARTBEAT_FIELDS), json_values)
def test_any_field_replaced_by_any_value_is_accepted_or_refused_by_name(name: str, value: Any) -> None:
    document = {**BEAT.to_json(), name: value}
    try:
        heartbeat_from_json(document, today=TODAY)
    except HeartbeatFormatError as error:
        assert error.field.startswith(name) or error.field == "(body)"
