"""Every outcome of every benefit, over real HTTP to the real backend on loopback."""

from __future__ import annotations

import httpx
import pytest

from demo.records import DemoSubject, demo_subjects
from kiosk.common.policy_folder import load_catalog
from kiosk.core.decision_records import Outcome, decision_from_json
from tests.support.backend import AUTH, assert_security_headers, check_body, client, demo

__all__ = ["client", "demo"]  # fixtures

CATALOG = load_catalog()
SUBJECTS = demo_subjects(CATALOG)
CASES = [(s, benefit) for s in SUBJECTS for benefit in sorted(s.expected)]


def _case_id(case: tuple[DemoSubject, str]) -> str:
    subject, benefit = case
    return f"{benefit}-{subject.scheme}-{subject.expected[benefit]}"


def test_the_demo_cases_cover_every_outcome_of_every_benefit() -> None:
    shown = {(benefit, subject.expected[benefit]) for subject, benefit in CASES}
    wanted = {(b.id, o.value) for b in CATALOG.benefits for o in Outcome}
    assert wanted <= shown


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_each_demo_subject_gets_its_expected_outcome(client: httpx.Client, case: tuple[DemoSubject, str]) -> None:
    subject, benefit_id = case
    response = client.post("/v1/eligibility", json=check_body(subject, benefit_id), headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert_security_headers(response)
    decision = decision_from_json(response.json())  # exactly the API's fields, consistent
    assert decision.benefit == benefit_id
    assert decision.outcome.value == subject.expected[benefit_id]
    benefit = CATALOG.get(benefit_id)
    assert benefit is not None
    assert [c.id for c in decision.criteria] == [c.id for c in benefit.criteria]
    assert decision.policy_version == CATALOG.version


def _first(kind: str, outcome: str, scheme: str | None = None) -> tuple[DemoSubject, str]:
    for subject, benefit in CASES:
        if (
            subject.kind == kind
            and subject.expected[benefit] == outcome
            and subject.on_record
            and (scheme is None or subject.scheme == scheme)
        ):
            return subject, benefit
    raise AssertionError(f"no demo subject for {kind} {outcome}")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_failed_criterion_explains_itself_in_the_asked_language(client: httpx.Client, locale: str) -> None:
    subject, benefit_id = _first("business", "not_eligible")
    response = client.post("/v1/eligibility", json=check_body(subject, benefit_id, locale), headers=AUTH)
    body = response.json()
    failed = [c for c in body["criteria"] if c["status"] == "failed"]
    assert failed
    benefit = CATALOG.get(benefit_id)
    assert benefit is not None
    titles = {c.id: c.title.get(locale) for c in benefit.criteria}
    for criterion in failed:
        assert criterion["remedy"], "a criterion that did not pass must say what to do"
        assert criterion["title"] == titles[criterion["id"]]
        assert (
            criterion["as_of"] == subject.as_of[next(c.source_id for c in benefit.criteria if c.id == criterion["id"])]
        )
    passed = [c for c in body["criteria"] if c["status"] == "passed"]
    assert all(c["remedy"] is None for c in passed)


def test_the_answer_carries_nothing_but_the_decision(client: httpx.Client) -> None:
    subject, benefit_id = _first("person", "eligible")
    response = client.post("/v1/eligibility", json=check_body(subject, benefit_id), headers=AUTH)
    text = response.text
    assert subject.value not in text
    assert subject.label.split(" / ")[0] not in text and "Demo" not in text
    assert set(response.json()) == {
        "decision_id",
        "benefit",
        "outcome",
        "criteria",
        "policy_version",
        "decided_at",
        "valid_until",
        "receipt",
    }


@pytest.mark.parametrize("kind", ["business", "person"])
def test_a_valid_reference_on_no_record_is_undetermined_with_a_route_to_correct_it(
    client: httpx.Client, kind: str
) -> None:
    subject = next(s for s in SUBJECTS if not s.on_record and s.kind == kind)
    for benefit_id in subject.expected:
        for locale, words in (("en", "correct its records"), ("zh-CN", "更正")):
            response = client.post("/v1/eligibility", json=check_body(subject, benefit_id, locale), headers=AUTH)
            assert response.status_code == 200
            body = response.json()
            assert body["outcome"] == "undetermined"
            assert {c["status"] for c in body["criteria"]} == {"unknown"}
            assert all(words in c["remedy"] for c in body["criteria"])
            assert all(c["as_of"] is None for c in body["criteria"])


def test_a_token_of_the_other_kind_reveals_nothing(client: httpx.Client) -> None:
    person_token = next(s for s in SUBJECTS if s.scheme == "token" and s.kind == "person")
    business_benefit = next(b for b in CATALOG.benefits if b.kind == "business" and "token" in b.schemes)
    body = check_body(person_token, business_benefit.id)
    response = client.post("/v1/eligibility", json=body, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["outcome"] == "undetermined"
    unknown = next(s for s in SUBJECTS if not s.on_record and s.kind == "business")
    baseline = client.post("/v1/eligibility", json=check_body(unknown, business_benefit.id), headers=AUTH).json()
    strip = ("decision_id", "decided_at", "valid_until", "receipt")  # receipt: salted, per answer
    assert {k: v for k, v in response.json().items() if k not in strip} == {
        k: v for k, v in baseline.items() if k not in strip
    }


def test_identifiers_are_accepted_in_the_forms_people_type(client: httpx.Client) -> None:
    subject, benefit_id = _first("business", "eligible", scheme="uscc")
    spaced = subject.value[:2] + " " + subject.value[2:8] + " " + subject.value[8:].lower()
    body = check_body(subject, benefit_id)
    body["subject"]["value"] = spaced
    response = client.post("/v1/eligibility", json=body, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["outcome"] == "eligible"
