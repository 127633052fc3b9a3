"""Kept answers (backend/decision_bodies.py) are byte for byte what a fresh decide() gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.db import SubjectStore
from backend.decision_bodies import DecisionBodies, encode
from backend.eligibility import EligibilityRequest, EligibilityService
from backend.problems import ProblemError
from demo.records import demo_subjects, write_demo_database
from kiosk.common.policy_folder import load_catalog
from kiosk.core.decision import decide
from kiosk.core.decision_records import decision_from_json

CATALOG = load_catalog()
SUBJECTS = demo_subjects(CATALOG)
NOON = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> tuple[EligibilityService, EligibilityService]:
    path = Path(tmp_path_factory.mktemp("bodies")) / "demo.sqlite3"
    write_demo_database(path, CATALOG)
    kept = EligibilityService(CATALOG, SubjectStore(path, preload=True), DecisionBodies())
    fresh = EligibilityService(CATALOG, SubjectStore(path, preload=False))
    return kept, fresh


def _requests() -> list[EligibilityRequest]:
    return [
        EligibilityRequest(benefit, s.scheme, s.value, locale, "kiosk-demo")
        for s in SUBJECTS
        for benefit in sorted(s.expected)
        for locale in ("zh-CN", "en")
    ]


def _same_bytes_as_fresh(body: bytes, fresh: EligibilityService, request: EligibilityRequest,
                         moment: datetime) -> None:
    document = json.loads(body)
    expected = fresh.answer(request, now=moment).to_json()
    expected["decision_id"] = document["decision_id"]
    assert body == encode(expected)
    decision_from_json(document)


def test_every_kept_answer_is_what_decide_gives(
    services: tuple[EligibilityService, EligibilityService],
) -> None:
    kept, fresh = services
    ids: set[str] = set()
    for request in _requests():
        first = kept.answer_body(request, now=NOON)
        later = kept.answer_body(request, now=NOON + timedelta(minutes=7, seconds=3))
        _same_bytes_as_fresh(first, fresh, request, NOON)
        _same_bytes_as_fresh(later, fresh, request, NOON + timedelta(minutes=7, seconds=3))
        ids.update(json.loads(b)["decision_id"] for b in (first, later))
    assert len(ids) == 2 * len(_requests()), "every answer has its own decision id"


def test_a_new_day_decides_again(services: tuple[EligibilityService, EligibilityService]) -> None:
    kept, fresh = services
    request = _requests()[0]
    for days in (1, 400, 800):
        moment = NOON + timedelta(days=days)
        _same_bytes_as_fresh(kept.answer_body(request, now=moment), fresh, request, moment)


def test_without_kept_answers_the_body_is_a_fresh_decision(
    services: tuple[EligibilityService, EligibilityService],
) -> None:
    _, fresh = services
    request = _requests()[0]
    _same_bytes_as_fresh(fresh.answer_body(request, now=NOON), fresh, request, NOON)


def test_kept_answers_are_bounded() -> None:
    bodies = DecisionBodies(max_entries=3)
    benefit = CATALOG.benefits[0]
    for key in range(5):
        decision = decide(benefit, {}, policy_version="v", locale="en", now=NOON)
        bodies.keep(key, decision, timedelta(hours=benefit.valid_hours), NOON)
    assert len(bodies) == 3
    assert bodies.render(0, NOON) is None and bodies.render(4, NOON) is not None


def test_a_kept_answer_never_lets_a_broken_request_through(
    services: tuple[EligibilityService, EligibilityService],
) -> None:
    kept, _ = services
    subject = next(s for s in SUBJECTS if s.scheme == "uscc" and s.expected)
    benefit = sorted(subject.expected)[0]
    good = EligibilityRequest(benefit, "uscc", subject.value, "en", "kiosk-demo")
    kept.answer_body(good, now=NOON)
    wrong_digit = subject.value[:-1] + ("0" if subject.value[-1] != "0" else "1")
    for broken in (
        EligibilityRequest(benefit, "uscc", wrong_digit, "en", "kiosk-demo"),
        EligibilityRequest("no-such-benefit", "uscc", subject.value, "en", "kiosk-demo"),
        EligibilityRequest(benefit, "credential", subject.value, "en", "kiosk-demo"),
    ):
        with pytest.raises(ProblemError):
            kept.answer_body(broken, now=NOON)
