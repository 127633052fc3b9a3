"""decide() over the shipped catalog, from hand-written facts: every benefit, every criterion,
every outcome, in both languages; and decision documents that come back from the wire."""

from __future__ import annotations

import copy
import os
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.common.policy_folder import load_catalog
from kiosk.core.benefits import Benefit, Catalog
from kiosk.core.decision import decide, judge_criterion
from kiosk.core.decision_records import (
    Decision,
    DecisionFormatError,
    Mode,
    Outcome,
    Status,
    decision_from_json,
    outcome_of,
)
from kiosk.core.rules import RuleError
from kiosk.core.text import LOCALES, Locale

NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
CJK = re.compile(r"[\u4e00-\u9fff]")

# A subject for whom every criterion passes on TODAY (the same as FACTS.md's seeding example).
CLEAN_BUSINESS: dict[str, Any] = {
    "serious_dishonesty_listed": False,
    "dishonest_judgment_debtor": False,
    "last_penalty_date": "none",
    "abnormal_operations_listed": False,
    "credit_risk_class": "A",
    "established_on": "2015-03-02",
    "tax_credit_grade": "A",
    "credit_commitment_on_file": True,
    "last_tender_misconduct_date": "none",
    "tender_entity_registered": True,
    "is_sme": True,
    "sme_platform_registered": True,
    "social_insurance_arrears": False,
}
CLEAN_PERSON: dict[str, Any] = {
    "serious_dishonesty_listed": False,
    "dishonest_judgment_debtor": False,
    "date_of_birth": "1956-08-15",
    "public_rental_qualified": True,
    "rent_arrears_months": 0,
    "library_reader_registered": True,
    "library_overdue_items": 0,
    "volunteer_registered": True,
    "volunteer_service_hours": 240,
    "local_residence": True,
}

# (benefit, criterion) -> the facts that make exactly that criterion fail on TODAY, and a value
# the failed reason or remedy must show (None when the criterion may not show its value).
FAILING: dict[tuple[str, str], tuple[dict[str, Any], str | None]] = {
    ("expedited-permit", "not-seriously-dishonest"): ({"serious_dishonesty_listed": True}, None),
    ("expedited-permit", "not-abnormal-operations"): ({"abnormal_operations_listed": True}, None),
    ("expedited-permit", "no-penalty-12-months"): ({"last_penalty_date": "2025-06-02"}, "2025-06-02"),
    ("expedited-permit", "tax-credit-a-or-b"): ({"tax_credit_grade": "C"}, "C"),
    ("expedited-permit", "credit-commitment-on-file"): ({"credit_commitment_on_file": False}, None),
    ("fewer-inspections", "credit-risk-class-a"): ({"credit_risk_class": "B"}, "B"),
    ("fewer-inspections", "not-abnormal-operations"): ({"abnormal_operations_listed": True}, None),
    ("fewer-inspections", "not-seriously-dishonest"): ({"serious_dishonesty_listed": True}, None),
    ("fewer-inspections", "no-penalty-24-months"): ({"last_penalty_date": "2024-06-02"}, "2024-06-02"),
    ("fewer-inspections", "established-one-year"): ({"established_on": "2025-06-02"}, "2025-06-02"),
    ("bid-bond-waiver", "not-seriously-dishonest"): ({"serious_dishonesty_listed": True}, None),
    ("bid-bond-waiver", "not-dishonest-judgment-debtor"): ({"dishonest_judgment_debtor": True}, None),
    ("bid-bond-waiver", "no-tender-misconduct-3-years"): (
        {"last_tender_misconduct_date": "2023-06-02"}, "2023-06-02"),
    ("bid-bond-waiver", "tax-credit-a-or-b"): ({"tax_credit_grade": "M"}, "M"),
    ("bid-bond-waiver", "registered-with-trading-centre"): ({"tender_entity_registered": False}, None),
    ("sme-loan-referral", "is-sme"): ({"is_sme": False}, None),
    ("sme-loan-referral", "registered-on-platform"): ({"sme_platform_registered": False}, None),
    ("sme-loan-referral", "not-seriously-dishonest"): ({"serious_dishonesty_listed": True}, None),
    ("sme-loan-referral", "not-dishonest-judgment-debtor"): ({"dishonest_judgment_debtor": True}, None),
    ("sme-loan-referral", "tax-credit-a-b-or-m"): ({"tax_credit_grade": "D"}, "D"),
    ("sme-loan-referral", "no-social-insurance-arrears"): ({"social_insurance_arrears": True}, None),
    ("deposit-free-rental", "adult"): ({"date_of_birth": "2008-06-02"}, None),
    ("deposit-free-rental", "public-rental-qualified"): ({"public_rental_qualified": False}, None),
    ("deposit-free-rental", "no-rent-arrears"): ({"rent_arrears_months": 2}, "2"),
    ("deposit-free-rental", "not-dishonest-judgment-debtor"): ({"dishonest_judgment_debtor": True}, None),
    ("deposit-free-rental", "not-seriously-dishonest"): ({"serious_dishonesty_listed": True}, None),
    ("library-deposit-free", "reader-registered"): ({"library_reader_registered": False}, None),
    ("library-deposit-free", "adult"): ({"date_of_birth": "2012-01-20"}, None),
    ("library-deposit-free", "no-overdue-items"): ({"library_overdue_items": 3}, "3"),
    ("library-deposit-free", "not-seriously-dishonest"): ({"serious_dishonesty_listed": True}, None),
    ("volunteer-transit", "registered-volunteer"): ({"volunteer_registered": False}, None),
    ("volunteer-transit", "service-hours-100"): ({"volunteer_service_hours": 99}, "99"),
    ("volunteer-transit", "adult"): ({"date_of_birth": "2008-06-02"}, None),
    ("volunteer-transit", "lives-in-city"): ({"local_residence": False}, None),
    ("volunteer-transit", "not-seriously-dishonest"): ({"serious_dishonesty_listed": True}, None),
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _clean(benefit: Benefit) -> dict[str, Any]:
    return dict(CLEAN_BUSINESS if benefit.kind == "business" else CLEAN_PERSON)


def _decide(benefit: Benefit, facts: dict[str, Any], locale: Locale = "zh-CN", **extra: Any) -> Decision:
    return decide(benefit, facts, policy_version="test-1", locale=locale, now=NOW, **extra)


def _all_criteria(catalog: Catalog) -> list[tuple[str, str]]:
    return [(b.id, c.id) for b in catalog.benefits for c in b.criteria]


def test_the_failing_table_covers_every_criterion_of_the_catalog(catalog: Catalog) -> None:
    assert sorted(FAILING) == sorted(_all_criteria(catalog))


def test_the_clean_facts_hold_exactly_what_the_catalog_reads(catalog: Catalog) -> None:
    for kind, clean in (("business", CLEAN_BUSINESS), ("person", CLEAN_PERSON)):
        read = {f for b in catalog.benefits if b.kind == kind for c in b.criteria for f in c.facts}
        assert set(clean) == read, kind


@pytest.mark.parametrize("locale", LOCALES)
def test_all_passed_is_eligible_with_a_reason_for_each_criterion(catalog: Catalog, locale: Locale) -> None:
    for benefit in catalog.benefits:
        as_of = {c.source_id: "2026-05-31" for c in benefit.criteria}
        decision = _decide(benefit, _clean(benefit), locale, as_of=as_of)
        assert decision.outcome is Outcome.ELIGIBLE, benefit.id
        assert [c.id for c in decision.criteria] == [c.id for c in benefit.criteria]
        for result, criterion in zip(decision.criteria, benefit.criteria, strict=True):
            assert result.status is Status.PASSED
            assert result.remedy is None
            assert result.as_of == "2026-05-31"
            assert result.title == criterion.title.get(locale)
            assert result.source == criterion.source.get(locale)
            _assert_language(result.reason, locale)


@pytest.mark.parametrize(("benefit_id", "criterion_id"), sorted(FAILING))
def test_one_failed_criterion_makes_it_not_eligible(catalog: Catalog, benefit_id: str, criterion_id: str) -> None:
    benefit = catalog.get(benefit_id)
    assert benefit is not None
    change, shown = FAILING[(benefit_id, criterion_id)]
    texts: dict[Locale, tuple[str, str]] = {}
    for locale in LOCALES:
        decision = _decide(benefit, {**_clean(benefit), **change}, locale)
        assert decision.outcome is Outcome.NOT_ELIGIBLE
        statuses = {r.id: r.status for r in decision.criteria}
        assert statuses.pop(criterion_id) is Status.FAILED
        assert set(statuses.values()) == {Status.PASSED}
        result = next(r for r in decision.criteria if r.id == criterion_id)
        assert result.remedy
        _assert_language(result.reason, locale)
        _assert_language(result.remedy, locale)
        if shown is not None:
            assert shown in result.reason
        texts[locale] = (result.reason, result.remedy)
    assert texts["zh-CN"] != texts["en"]


def test_a_hidden_value_never_reaches_the_words(catalog: Catalog) -> None:
    for (benefit_id, criterion_id), (change, shown) in FAILING.items():
        if shown is not None:
            continue
        benefit = catalog.get(benefit_id)
        assert benefit is not None
        for locale in LOCALES:
            decision = _decide(benefit, {**_clean(benefit), **change}, locale)
            words = " ".join(f"{r.reason} {r.remedy}" for r in decision.criteria)
            for value in change.values():
                if isinstance(value, str):
                    assert value not in words, (benefit_id, criterion_id)
            assert CLEAN_PERSON["date_of_birth"] not in words


@pytest.mark.parametrize(("benefit_id", "criterion_id"), sorted(FAILING))
def test_a_missing_fact_makes_that_criterion_unknown_not_failed(
    catalog: Catalog, benefit_id: str, criterion_id: str
) -> None:
    benefit = catalog.get(benefit_id)
    assert benefit is not None
    criterion = next(c for c in benefit.criteria if c.id == criterion_id)
    for absent in ("missing", "null"):
        facts = _clean(benefit)
        for name in criterion.facts:
            if absent == "missing":
                del facts[name]
            else:
                facts[name] = None
        for locale in LOCALES:
            decision = _decide(benefit, facts, locale, as_of={criterion.source_id: "2026-05-31"})
            assert decision.outcome is Outcome.UNDETERMINED
            for result in decision.criteria:
                # Shared facts (say, date_of_birth) may make a sibling unknown too; none fails.
                expected = Status.UNKNOWN if set(criterion.facts) & set(_criterion(benefit, result.id).facts) \
                    else Status.PASSED
                assert result.status is expected, (result.id, absent)
            result = next(r for r in decision.criteria if r.id == criterion_id)
            assert result.reason == criterion.unknown.get(locale)
            assert result.remedy == criterion.unknown_remedy.get(locale)
            assert result.as_of is None
            assert "—" not in result.reason


def _criterion(benefit: Benefit, criterion_id: str) -> Any:
    return next(c for c in benefit.criteria if c.id == criterion_id)


def test_a_failure_outweighs_a_missing_fact(catalog: Catalog) -> None:
    benefit = catalog.get("sme-loan-referral")
    assert benefit is not None
    facts = {**CLEAN_BUSINESS, "tax_credit_grade": "D"}
    del facts["is_sme"]
    decision = _decide(benefit, facts)
    assert decision.outcome is Outcome.NOT_ELIGIBLE
    assert {r.id: r.status for r in decision.criteria}["is-sme"] is Status.UNKNOWN


def test_no_facts_at_all_is_undetermined_everywhere(catalog: Catalog) -> None:
    for benefit in catalog.benefits:
        decision = _decide(benefit, {})
        assert decision.outcome is Outcome.UNDETERMINED
        assert {r.status for r in decision.criteria} == {Status.UNKNOWN}


# --- the dates, to the day ------------------------------------------------------------------

def _status(catalog: Catalog, benefit_id: str, criterion_id: str, change: dict[str, Any], today: date) -> Status:
    benefit = catalog.get(benefit_id)
    assert benefit is not None
    moment = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    facts = {**_clean(benefit), **change}
    decision = decide(benefit, facts, policy_version="t", locale="en", now=moment)
    return next(r.status for r in decision.criteria if r.id == criterion_id)


@pytest.mark.parametrize("benefit_id", ["deposit-free-rental", "library-deposit-free", "volunteer-transit"])
def test_adult_from_the_eighteenth_birthday_on(catalog: Catalog, benefit_id: str) -> None:
    born = {"date_of_birth": "2008-06-01"}
    assert _status(catalog, benefit_id, "adult", born, date(2026, 5, 31)) is Status.FAILED
    assert _status(catalog, benefit_id, "adult", born, date(2026, 6, 1)) is Status.PASSED
    leap = {"date_of_birth": "2008-02-29"}
    assert _status(catalog, benefit_id, "adult", leap, date(2026, 2, 28)) is Status.FAILED
    assert _status(catalog, benefit_id, "adult", leap, date(2026, 3, 1)) is Status.PASSED


def test_penalty_windows_end_on_the_anniversary(catalog: Catalog) -> None:
    penalty = {"last_penalty_date": "2025-03-15"}
    assert _status(catalog, "expedited-permit", "no-penalty-12-months", penalty, date(2026, 3, 14)) is Status.FAILED
    assert _status(catalog, "expedited-permit", "no-penalty-12-months", penalty, date(2026, 3, 15)) is Status.PASSED
    assert _status(catalog, "fewer-inspections", "no-penalty-24-months", penalty, date(2027, 3, 14)) is Status.FAILED
    assert _status(catalog, "fewer-inspections", "no-penalty-24-months", penalty, date(2027, 3, 15)) is Status.PASSED
    misconduct = {"last_tender_misconduct_date": "2023-09-01"}
    rule = "no-tender-misconduct-3-years"
    assert _status(catalog, "bid-bond-waiver", rule, misconduct, date(2026, 8, 31)) is Status.FAILED
    assert _status(catalog, "bid-bond-waiver", rule, misconduct, date(2026, 9, 1)) is Status.PASSED


def test_none_means_no_such_event_and_passes(catalog: Catalog) -> None:
    for benefit_id, criterion_id, fact in (
        ("expedited-permit", "no-penalty-12-months", "last_penalty_date"),
        ("fewer-inspections", "no-penalty-24-months", "last_penalty_date"),
        ("bid-bond-waiver", "no-tender-misconduct-3-years", "last_tender_misconduct_date"),
    ):
        assert _status(catalog, benefit_id, criterion_id, {fact: "none"}, TODAY) is Status.PASSED


def test_the_failed_penalty_reason_names_the_date_to_wait_from(catalog: Catalog) -> None:
    benefit = catalog.get("fewer-inspections")
    assert benefit is not None
    decision = _decide(benefit, {**CLEAN_BUSINESS, "last_penalty_date": "2025-01-10"}, "en")
    result = next(r for r in decision.criteria if r.id == "no-penalty-24-months")
    assert result.status is Status.FAILED
    assert "2025-01-10" in result.reason and "two years after 2025-01-10" in (result.remedy or "")


# --- the decision document ------------------------------------------------------------------

def test_valid_until_follows_the_benefit(catalog: Catalog) -> None:
    for benefit in catalog.benefits:
        decision = _decide(benefit, _clean(benefit), decision_id="d-1")
        assert decision.decision_id == "d-1"
        assert decision.decided_at == "2026-06-01T09:30:00Z"
        until = datetime.fromisoformat(decision.valid_until.replace("Z", "+00:00"))
        assert until - NOW.replace(microsecond=0) == timedelta(hours=benefit.valid_hours)


def _one_of_each(catalog: Catalog) -> list[Decision]:
    rental = catalog.get("deposit-free-rental")
    assert rental is not None
    return [
        _decide(rental, CLEAN_PERSON, "en"),
        _decide(rental, {**CLEAN_PERSON, "rent_arrears_months": 1}, "zh-CN"),
        _decide(rental, {k: v for k, v in CLEAN_PERSON.items() if k != "public_rental_qualified"}, "en"),
    ]


def test_decision_from_json_accepts_what_to_json_gives(catalog: Catalog) -> None:
    decisions = _one_of_each(catalog)
    assert [d.outcome for d in decisions] == [Outcome.ELIGIBLE, Outcome.NOT_ELIGIBLE, Outcome.UNDETERMINED]
    for decision in decisions:
        again = decision_from_json(decision.to_json(), mode=Mode.OFFLINE)
        assert again.to_json() == decision.to_json()
        assert again.mode is Mode.OFFLINE


def _tampered(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    failed = next(i for i, c in enumerate(body["criteria"]) if c["status"] == "failed")

    def variant(name: str) -> dict[str, Any]:
        copied = copy.deepcopy(body)
        cases.append((name, copied))
        return copied

    variant("outcome claims eligible")["outcome"] = "eligible"
    variant("outcome not one of three")["outcome"] = "maybe"
    variant("extra field")["score"] = 712
    del variant("field missing")["valid_until"]
    variant("no criteria")["criteria"] = []
    variant("criterion status flipped")["criteria"][failed]["status"] = "passed"
    variant("criterion status unknown word")["criteria"][failed]["status"] = "ok"
    variant("failed criterion without remedy")["criteria"][failed]["remedy"] = None
    variant("criterion extra field")["criteria"][0]["raw"] = {"rent_arrears_months": 1}
    del variant("criterion field missing")["criteria"][0]["source"]
    variant("criterion not an object")["criteria"][0] = "passed"
    variant("reason empty")["criteria"][0]["reason"] = ""
    variant("reason absurdly long")["criteria"][0]["reason"] = "x" * 5000
    variant("decision id not a string")["decision_id"] = 7
    variant("as_of a number")["criteria"][0]["as_of"] = 20260531
    return cases


def test_decision_from_json_refuses_tampered_documents(catalog: Catalog) -> None:
    body = _one_of_each(catalog)[1].to_json()
    assert body["outcome"] == "not_eligible"
    for name, tampered in _tampered(body):
        with pytest.raises(DecisionFormatError) as caught:
            decision_from_json(tampered)
        assert caught.value.text.zh and caught.value.text.en, name
        assert "712" not in caught.value.detail and "rent_arrears" not in caught.value.detail, name


@pytest.mark.parametrize("body", [None, [], "eligible", 3, {"outcome": "eligible"}])
def test_decision_from_json_refuses_what_is_no_decision(body: object) -> None:
    with pytest.raises(DecisionFormatError):
        decision_from_json(body)


def test_the_kiosk_check_json_with_mode_is_not_an_api_document(catalog: Catalog) -> None:
    with pytest.raises(DecisionFormatError):
        decision_from_json(_one_of_each(catalog)[0].to_json(with_mode=True))


# --- any facts at all: a decision or a typed rule error, never a crash ----------------------

_fact_values = st.none() | st.booleans() | st.integers(-5, 500) | st.sampled_from(
    ["A", "B", "C", "D", "M", "none", "2026-06-01", "2008-02-29", "1956-08-15", "2026-13-01", "", "yes"]
)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_facts_give_a_decision_or_a_rule_error(catalog: Catalog, data: st.DataObject) -> None:
    benefit = data.draw(st.sampled_from(catalog.benefits))
    names = sorted({f for c in benefit.criteria for f in c.facts})
    facts = data.draw(st.fixed_dictionaries({}, optional={name: _fact_values for name in names}))
    locale = data.draw(st.sampled_from(LOCALES))
    try:
        decision = _decide(benefit, facts, locale)
    except RuleError as error:
        # A fact of the wrong type is the data source's mistake; the error names the criterion
        # and never quotes the value.
        assert error.criterion in {c.id for c in benefit.criteria}
        return
    statuses = [r.status for r in decision.criteria]
    if Status.FAILED in statuses:
        assert decision.outcome is Outcome.NOT_ELIGIBLE
    elif all(s is Status.PASSED for s in statuses):
        assert decision.outcome is Outcome.ELIGIBLE
    else:
        assert decision.outcome is Outcome.UNDETERMINED
    for result in decision.criteria:
        assert "{" not in result.reason and "{" not in (result.remedy or "")
        assert (result.remedy is None) == (result.status is Status.PASSED)
    assert decision_from_json(decision.to_json()).to_json() == decision.to_json()


def _assert_language(text: str | None, locale: Locale) -> None:
    assert text
    assert "{" not in text and "}" not in text
    if locale == "zh-CN":
        assert CJK.search(text), text
    else:
        assert len(CJK.findall(text)) <= 4, text


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_decide_agrees_with_judging_each_criterion(catalog: Catalog, data: st.DataObject) -> None:
    # decide() prepares texts once per benefit and locale; the answer must be the one-by-one one.
    benefit = data.draw(st.sampled_from(catalog.benefits))
    names = sorted({f for c in benefit.criteria for f in c.facts})
    facts = data.draw(st.fixed_dictionaries({}, optional={name: _fact_values for name in names}))
    locale = data.draw(st.sampled_from(LOCALES))
    as_of = {source: "2026-05-31" for source in catalog.authorities}
    decision = _decide(benefit, facts, locale, as_of=as_of, decision_id="fixed")
    rule_data = {"facts": dict(facts), "external": {"today": TODAY.isoformat()}}
    expected = tuple(
        judge_criterion(c, facts, data=rule_data, as_of=as_of.get(c.source_id), locale=locale)
        for c in benefit.criteria_on(TODAY)
    )
    assert decision.criteria == expected
    assert decision.outcome is outcome_of(r.status for r in expected)
    assert decision == Decision(
        "fixed", benefit.id, decision.outcome, expected, "test-1",
        NOW.isoformat().replace("+00:00", "Z"),
        (NOW + timedelta(hours=benefit.valid_hours)).isoformat().replace("+00:00", "Z"),
        Mode.ONLINE,
    )


def test_decision_ids_look_like_uuid4_hex(catalog: Catalog) -> None:
    benefit = catalog.benefits[0]
    ids = {_decide(benefit, _clean(benefit)).decision_id for _ in range(200)}
    assert len(ids) == 200
    for value in ids:
        assert uuid.UUID(hex=value).version == 4 and uuid.UUID(hex=value).variant == uuid.RFC_4122
        assert value == uuid.UUID(hex=value).hex


def test_a_forked_worker_never_repeats_its_parents_decision_ids(catalog: Catalog) -> None:
    # Ids come from a pool of random bits; a forked server worker must not inherit it.
    benefit = catalog.benefits[0]
    _decide(benefit, _clean(benefit))  # the parent's pool now holds ids not yet handed out
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        ids = " ".join(_decide(benefit, _clean(benefit)).decision_id for _ in range(100))
        os.write(write, ids.encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        in_child = set(pipe.read().split())
    in_parent = {_decide(benefit, _clean(benefit)).decision_id for _ in range(100)}
    assert len(in_child) == 100 and not in_child & in_parent
