"""Remedies with a date: the earliest repair request under Order No. 36's minimum publication
periods (from the decision or listing date), where to apply, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.common.policy_folder import load_catalog
from kiosk.core.decision import decide
from kiosk.core.decision_records import Status

NOW = datetime(2026, 6, 1, 4, tzinfo=UTC)
BUSINESS = {
    "serious_dishonesty_listed": False, "abnormal_operations_listed": False, "tax_credit_grade": "A",
    "credit_commitment_on_file": True, "last_penalty_date": "none", "last_penalty_class": "none",
}


def _remedy(benefit_id: str, criterion_id: str, facts: dict[str, object], locale: str) -> str:
    benefit = load_catalog().get(benefit_id)
    assert benefit is not None
    decision = decide(benefit, facts, policy_version="t", locale=locale, now=NOW)  # type: ignore[arg-type]
    result = next(c for c in decision.criteria if c.id == criterion_id)
    assert result.status is Status.FAILED
    return result.remedy or ""


@pytest.mark.parametrize(
    ("penalty_class", "decided", "earliest"),
    [("一般", "2026-01-15", "2026-04-15"), ("严重", "2026-01-15", "2027-01-15")],
)
def test_the_penalty_class_sets_the_earliest_repair_date(penalty_class: str, decided: str, earliest: str) -> None:
    facts = {**BUSINESS, "last_penalty_date": decided, "last_penalty_class": penalty_class}
    zh = _remedy("expedited-permit", "no-penalty-12-months", facts, "zh-CN")
    en = _remedy("expedited-permit", "no-penalty-12-months", facts, "en")
    assert earliest in zh and earliest in en
    assert "信用中国" in zh and "Credit China" in en
    assert "第36号" in zh and "Order No. 36" in en and "10个工作日" in zh and "10 working days" in en


def test_without_a_class_the_remedy_gives_no_date_it_cannot_know() -> None:
    facts = {**BUSINESS, "last_penalty_date": "2026-01-15"}
    del facts["last_penalty_class"]
    en = _remedy("expedited-permit", "no-penalty-12-months", facts, "en")
    assert "2026-04-15" not in en and "Credit China" in en and "{" not in en


def test_the_list_remedy_sends_to_the_listing_authority_a_year_after_listing() -> None:
    facts = {**BUSINESS, "serious_dishonesty_listed": True, "serious_dishonesty_listed_on": "2026-02-01"}
    zh = _remedy("expedited-permit", "not-seriously-dishonest", facts, "zh-CN")
    en = _remedy("expedited-permit", "not-seriously-dishonest", facts, "en")
    assert "2027-02-01" in zh and "2027-02-01" in en
    assert "谁认定、谁修复" in zh and "authority that made the listing" in en


def test_the_age_remedy_says_the_eighteenth_birthday() -> None:
    facts = {"date_of_birth": "2010-07-20"}
    assert "2028-07-20" in _remedy("deposit-free-rental", "adult", facts, "zh-CN")
    assert "You turn 18 on 2028-07-20" in _remedy("deposit-free-rental", "adult", facts, "en")
