"""The kiosk dates the age remedy from the resident ID in front of it, never from a sent date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from kiosk.common.policy_folder import load_catalog
from kiosk.core.credentials import Presentation, Scheme, SubjectRef, ric
from kiosk.core.decision import decide
from kiosk.core.decision_records import Decision, Status
from kiosk.core.kiosk_dates import with_birth_dates

NOW = datetime(2026, 6, 1, 4, tzinfo=UTC)
BORN_2010 = "11010120100720" + "123"
MINOR_RIC = BORN_2010 + ric.calc_check_digit(BORN_2010 + "0")
PERSON = {"serious_dishonesty_listed": False, "library_reader_registered": True, "library_overdue_items": 0}


def _as_the_backend_answers(benefit_id: str) -> Decision:
    """An online answer whose age criterion failed with the undated remedy (no birth date sent)."""
    benefit = load_catalog().get(benefit_id)
    assert benefit is not None
    decision = decide(benefit, {**PERSON, "date_of_birth": "2010-07-20"}, policy_version="t", locale="en", now=NOW)
    adult = next(c for c in benefit.criteria if c.id == "adult")
    criteria = tuple(
        replace(r, remedy=adult.remedy.get("en")) if r.id == "adult" else r for r in decision.criteria
    )
    return replace(decision, criteria=criteria)


def test_a_resident_id_dates_the_age_remedy_on_the_kiosk() -> None:
    benefit = load_catalog().get("library-deposit-free")
    assert benefit is not None
    answer = _as_the_backend_answers("library-deposit-free")
    assert "2028-07-20" not in (next(c for c in answer.criteria if c.id == "adult").remedy or "")
    presented = Presentation(Scheme.RIC, SubjectRef(Scheme.RIC, MINOR_RIC), "person")
    for locale in ("en", "zh-CN"):
        shown = with_birth_dates(answer, benefit, presented, locale)  # type: ignore[arg-type]
        adult = next(c for c in shown.criteria if c.id == "adult")
        assert adult.status is Status.FAILED and "2028-07-20" in (adult.remedy or "")
        # Nothing else changes, and the decision names no birth date anywhere else.
        assert [c for c in shown.criteria if c.id != "adult"] == [c for c in answer.criteria if c.id != "adult"]
        assert "2010-07-20" not in str(shown.to_json())


def test_other_schemes_are_left_as_answered() -> None:
    benefit = load_catalog().get("library-deposit-free")
    assert benefit is not None
    answer = _as_the_backend_answers("library-deposit-free")
    token = Presentation(Scheme.TOKEN, SubjectRef(Scheme.TOKEN, "XKT:abcdefghijkl"), None)
    assert with_birth_dates(answer, benefit, token, "en") is answer


def test_an_adult_keeps_a_passed_criterion_without_remedy() -> None:
    benefit = load_catalog().get("volunteer-transit")
    assert benefit is not None
    decision = decide(benefit, {"date_of_birth": "1990-01-01"}, policy_version="t", locale="en", now=NOW)
    presented = Presentation(Scheme.RIC, SubjectRef(Scheme.RIC, "110101199001011237"), "person")
    assert with_birth_dates(decision, benefit, presented, "en") is decision
