"""Staff what-if: the form's fields from the policy, typed input, the same engine as the CLI."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.simulation import Simulator
from kiosk.adapters.backend_client import BackendClient, BackendUnavailable
from kiosk.common.facts_table import read_facts_table
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog
from kiosk.core.catalog import message
from kiosk.core.decision_records import Mode
from kiosk.core.errors import KioskError
from kiosk.session.what_if import MAX_NUMBER, FactField, WhatIf, WhatIfError, fields_for, parse_on, parse_typed

CATALOG = load_catalog()
SPECS = read_facts_table(DEFAULT_POLICY_DIR / "FACTS.md")
DAY = date(2026, 12, 1)
CLEAN = {
    "serious_dishonesty_listed": False,
    "abnormal_operations_listed": False,
    "last_penalty_date": "none",
    "last_penalty_class": "none",
    "tax_credit_grade": "A",
    "credit_commitment_on_file": True,
}


def test_the_form_asks_exactly_the_facts_the_criteria_read_with_their_types() -> None:
    benefit = CATALOG.get("expedited-permit")
    assert benefit is not None
    fields = {f.name: f for f in fields_for(benefit, SPECS, DAY)}
    read = {name for c in benefit.criteria_on(DAY) for name in (*c.facts, *c.date_facts)}
    assert set(fields) == read
    assert fields["serious_dishonesty_listed"].kind == "boolean"
    assert fields["last_penalty_date"].kind == "date_or_none" and fields["last_penalty_date"].typed
    assert fields["tax_credit_grade"].kind == "choice" and "A" in fields["tax_credit_grade"].choices
    assert all(f.read_by for f in fields.values())


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("integer", "3", 3),
        ("integer", "", None),
        ("date", " 2026-03-01 ", "2026-03-01"),
        ("date_or_none", "none", "none"),
        ("date_or_none", "无", "none"),
        ("date_or_none", "2025-12-31", "2025-12-31"),
    ],
)
def test_typed_values(kind: str, text: str, value: Any) -> None:
    assert parse_typed(FactField("f", kind, (), ()), text) == value


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("integer", "-1"),
        ("integer", "1.5"),
        # A resident ID or a USCC typed into a count is somebody's identifier: refused.
        ("integer", "990101195608151231"),
        ("integer", str(MAX_NUMBER + 1)),
        ("date", "2026-13-01"),
        ("date", "none"),
        ("date_or_none", "91995318858871544B"),
    ],
)
def test_bad_typed_values_name_the_field(kind: str, text: str) -> None:
    with pytest.raises(WhatIfError) as caught:
        parse_typed(FactField("rent_arrears_months", kind, (), ()), text)
    assert caught.value.field == "rent_arrears_months"
    assert "rent_arrears_months" in caught.value.message("zh-CN") and caught.value.message("en")


@given(st.text(max_size=40), st.sampled_from(["integer", "date", "date_or_none"]))
def test_any_text_is_a_value_or_a_clear_refusal(text: str, kind: str) -> None:
    try:
        value = parse_typed(FactField("f", kind, (), ()), text)
    except WhatIfError as error:
        assert error.message("en")
    else:
        assert SPECS["rent_arrears_months" if kind == "integer" else "last_penalty_date"].problem_with(value) is None


def test_a_bad_day_is_refused() -> None:
    assert parse_on("2026-12-01") == DAY
    with pytest.raises(WhatIfError):
        parse_on("12/01/2026")


def run(what_if: WhatIf, facts: dict[str, Any], benefit: str = "expedited-permit") -> Any:
    return asyncio.run(what_if.run(benefit, facts, DAY, "zh-CN"))


def test_offline_it_gives_what_policy_simulate_gives() -> None:
    what_if = WhatIf(lambda: CATALOG, lambda: SPECS)
    same_engine = Simulator(CATALOG, SPECS)
    for facts in (CLEAN, {**CLEAN, "tax_credit_grade": "C"}, {**CLEAN, "serious_dishonesty_listed": None}):
        answer = run(what_if, facts)
        expected = same_engine.run(
            "expedited-permit", {k: v for k, v in facts.items() if v is not None}, on=DAY, locale="zh-CN"
        )
        assert not answer.online and answer.decision.mode is Mode.OFFLINE
        assert answer.decision.outcome is expected.outcome
        assert [(c.id, c.status) for c in answer.decision.criteria] == [(c.id, c.status) for c in expected.criteria]
    assert run(what_if, CLEAN).decision.outcome.value == "eligible"
    assert run(what_if, {**CLEAN, "tax_credit_grade": "C"}).decision.outcome.value == "not_eligible"
    # Left "not known", a fact is not sent at all: the criterion is unknown, never failed.
    assert run(what_if, {**CLEAN, "serious_dishonesty_listed": None}).decision.outcome.value == "undetermined"


def test_an_unreachable_backend_falls_back_to_the_kiosks_policy() -> None:
    async def main() -> Any:
        # A real client against a closed loopback port: connection refused, twice.
        async with BackendClient("http://127.0.0.1:9", "token", "kiosk-0001") as client:
            with pytest.raises(BackendUnavailable):
                await client.simulate("expedited-permit", CLEAN, DAY, "zh-CN")
            return await WhatIf(lambda: CATALOG, lambda: SPECS, client.simulate).run(
                "expedited-permit", CLEAN, DAY, "zh-CN"
            )

    answer = asyncio.run(main())
    assert not answer.online and answer.decision.outcome.value == "eligible"


def test_a_refusal_that_is_not_unavailability_is_shown_not_hidden() -> None:
    class Refused(KioskError):
        pass

    async def refuse(*_: Any) -> Any:
        raise Refused("the backend answered 422", message("whatif.error.fact", field="facts"))

    with pytest.raises(Refused):
        run(WhatIf(lambda: CATALOG, lambda: SPECS, refuse), CLEAN)


def test_wrong_types_and_dates_out_of_force_are_refused_by_name() -> None:
    what_if = WhatIf(lambda: CATALOG, lambda: SPECS)
    with pytest.raises(WhatIfError) as caught:
        run(what_if, {**CLEAN, "tax_credit_grade": "Z"})
    assert caught.value.field == "facts.tax_credit_grade"
    with pytest.raises(WhatIfError) as caught:
        asyncio.run(what_if.run("expedited-permit", CLEAN, date(1999, 1, 1), "en"))
    assert caught.value.field == "on"
