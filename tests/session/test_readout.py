"""What a person is told: summary first, failed before passed, a short unambiguous reference,
times in the kiosk's zone, and a readout that leads with the summary and ends with the reference."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.catalog import translate
from kiosk.core.decision import decide
from kiosk.core.decision_records import Decision, Outcome, Status
from kiosk.core.text import LocalText
from kiosk.session.readout import (
    REFERENCE_ALPHABET,
    first_step,
    local_time,
    ordered,
    reference_prefix,
    short_reference,
    spoken,
    summary,
)
from kiosk.session.site import Site
from tests.support import flow as fs

BENEFIT = "expedited-permit"


def decision(facts: dict[str, object], locale: str = "zh-CN") -> Decision:
    benefit = fs.catalog().get(BENEFIT)
    assert benefit is not None
    return decide(benefit, facts, policy_version="test", locale=locale,  # type: ignore[arg-type]
                  now=datetime(2026, 12, 1, 7, 8, tzinfo=UTC))


@given(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))
def test_the_reference_is_eight_unambiguous_symbols_that_lead_back_to_the_id(decision_id: str) -> None:
    reference = short_reference(decision_id)
    assert len(reference) == 9 and reference[4] == "-"
    assert set(reference.replace("-", "")) <= set(REFERENCE_ALPHABET)
    assert not set(reference) & set("01OI")
    assert decision_id.startswith(reference_prefix(reference))


def test_times_are_local_and_human() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    assert local_time("2026-12-01T07:08:00Z", zone, "zh-CN") == "2026年12月1日 15:08"
    assert local_time("2026-12-01T07:08:00+00:00", zone, "en") == "1 Dec 2026, 15:08"
    assert local_time("not a time", zone, "en") == "not a time"


def test_failed_and_unknown_come_before_passed() -> None:
    made = decision({**fs.FACTS_NOT_ELIGIBLE, "tax_credit_grade": None})
    statuses = [c.status for c in ordered(made.criteria)]
    assert statuses == sorted(statuses, key=[Status.FAILED, Status.UNKNOWN, Status.PASSED].index)
    assert statuses[0] is Status.FAILED and statuses[-1] is Status.PASSED


def test_the_summary_names_what_failed_and_the_first_step() -> None:
    made = decision(fs.FACTS_NOT_ELIGIBLE)
    assert made.outcome is Outcome.NOT_ELIGIBLE
    failed = [c for c in made.criteria if c.status is Status.FAILED]
    text = summary(made, "zh-CN", Site())
    assert all(c.title in text for c in failed[:2])
    first_remedy = next(c.remedy for c in failed if c.remedy)
    assert first_step(first_remedy) in text
    assert "（" not in first_step("甲（《某办法》第1条）；乙。") and first_step("甲（注）；乙。") == "甲"


def test_an_eligible_summary_names_the_counter_from_the_site() -> None:
    made = decision(fs.FACTS_ELIGIBLE, "en")
    site = Site(counter=LocalText("3号窗口", "Counter 3"))
    assert "Counter 3" in summary(made, "en", site)
    assert translate("site.counter_default", "zh-CN") in summary(made, "zh-CN", Site())


def test_the_readout_leads_with_the_summary_and_ends_with_the_reference() -> None:
    made = decision(fs.FACTS_NOT_ELIGIBLE)
    lines = spoken(made, "zh-CN", Site(), holder="张*").splitlines()
    assert lines[0] == translate("outcome.not_eligible", "zh-CN")
    assert lines[2] == summary(made, "zh-CN", Site())
    assert "张*" in lines[1]
    assert " ".join(short_reference(made.decision_id).replace("-", "")) in lines[-1]
    passed = [c for c in made.criteria if c.status is Status.PASSED]
    assert all(c.reason not in "\n".join(lines) for c in passed), "passed criteria get one short line"
