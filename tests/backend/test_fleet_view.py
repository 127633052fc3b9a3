"""The fleet view and the dashboard's figures as pure functions of what the store holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.fleet.insights import CHART_HEIGHT, criteria_ranking, days_until, freshness, uptake
from backend.fleet.store import DeviceBeat
from backend.fleet.view import Thresholds, device_views, state_of
from kiosk.common.policy_folder import load_catalog
from kiosk.core.heartbeat import CriterionCount, OutcomeCount

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIMITS = Thresholds(late_seconds=900, silent_seconds=3600, policy_warning_hours=12, bundle_valid_hours=48)


def beat(device: str, ago: float, **status: object) -> DeviceBeat:
    return DeviceBeat(device, NOW - timedelta(seconds=ago), {"policy_version": "1", **status})


def test_states_follow_the_thresholds() -> None:
    assert [state_of(s, LIMITS) for s in (0, 899, 900, 3599, 3600, None)] == [
        "live",
        "live",
        "late",
        "late",
        "silent",
        "silent",
    ]


def test_every_token_holder_is_listed_live_first_and_a_device_never_heard_from_is_silent() -> None:
    views = device_views(["k-new", "k-live", "k-late"], [beat("k-live", 10), beat("k-late", 1000)], NOW, LIMITS)
    assert [(v.device, v.state) for v in views] == [("k-live", "live"), ("k-late", "late"), ("k-new", "silent")]
    assert views[2].received_at is None and not views[2].status


def test_a_bundle_near_its_end_is_warned_about_and_its_age_grows_with_the_silence() -> None:
    fresh, old, stale = device_views(
        [],
        [
            beat("a", 0, policy_age_seconds=3600),
            beat("b", 0, policy_age_seconds=40 * 3600),
            beat("c", 6 * 3600, policy_age_seconds=30 * 3600),
        ],
        NOW,
        LIMITS,
    )
    assert not fresh.policy_warning and round(fresh.policy_expires_in_hours or 0) == 47
    assert old.policy_warning and round(old.policy_expires_in_hours or 0) == 8
    assert stale.policy_warning and round(stale.policy_expires_in_hours or 0) == 12


def test_a_clock_off_by_more_than_five_minutes_and_a_missing_scanner_are_flagged() -> None:
    (view,) = device_views(
        [],
        [
            beat(
                "a",
                0,
                clock_skew_seconds=-301.0,
                devices={"scanner": "no_device", "card_reader": "ready", "printer": "ready"},
            )
        ],
        NOW,
        LIMITS,
    )
    assert view.clock_warning and not view.parts_ok


def test_uptake_bars_scale_to_the_busiest_day_and_count_eligible_apart() -> None:
    days = days_until(NOW.date(), 3)
    rows = [
        OutcomeCount(days[2], "expedited-permit", "eligible", 3),
        OutcomeCount(days[2], "expedited-permit", "not_eligible", 1),
        OutcomeCount(days[1], "bid-bond-waiver", "undetermined", 2),
        OutcomeCount(days[1], "retired-benefit", "eligible", 1),
    ]
    catalog = load_catalog()
    table = uptake(rows, catalog, days, "en")
    in_policy = [b.id for b in catalog.benefits if b.id in ("expedited-permit", "bid-bond-waiver")]
    assert [r.benefit for r in table] == [*in_policy, "retired-benefit"], "policy order, then the rest"
    permit = next(r for r in table if r.benefit == "expedited-permit")
    assert (permit.total, permit.eligible) == (4, 3)
    assert permit.bars[2].height == CHART_HEIGHT and permit.bars[2].eligible_height == CHART_HEIGHT * 3 / 4
    assert table[2].title == "retired-benefit", "an id the policy no longer has is shown as it is"


def test_freshness_ranks_authorities_by_their_share_of_unknown() -> None:
    day = NOW.date().isoformat()
    counts = [
        CriterionCount(day, "tax-credit-a-or-b", "unknown", 3),
        CriterionCount(day, "tax-credit-a-or-b", "passed", 1),
        CriterionCount(day, "not-seriously-dishonest", "unknown", 1),
        CriterionCount(day, "not-seriously-dishonest", "passed", 9),
        CriterionCount(day, "no-such", "unknown", 5),
    ]
    catalog = load_catalog()
    table = freshness(counts, catalog, "zh-CN")
    assert [(r.authority, r.unknown, r.total) for r in table] == [("tax", 3, 4), ("credit-china", 1, 10)]
    assert table[0].name == "税务局" and table[0].unknown_share == 0.75
    ranked = criteria_ranking(counts, catalog, "en")
    assert [r.criterion for r in ranked][:2] == ["no-such", "tax-credit-a-or-b"]
