"""Whole sessions on the real window: tap through, present a code, read the result."""

from __future__ import annotations

import pytest

from kiosk.demo_world import DemoWorld
from kiosk.flow import FlowState
from kiosk.i18n import translate
from kiosk.ui.driver import ScreenDriver

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]

BUSINESS = "expedited-permit"


async def open_present(ui: ScreenDriver, benefit_id: str) -> None:
    app = ui.app
    benefit = app.flow.catalog.get(benefit_id)
    assert benefit is not None
    ui.tap_key("idle.start")
    assert ui.screen.name == "benefits"
    ui.tap_text(benefit.title.get(app.locale))
    assert ui.screen.name == "criteria"
    assert ui.shows(benefit.legal_basis.get(app.locale))
    ui.tap_key("criteria.ready")
    assert ui.screen.name == "present"


def code_for(world: DemoWorld, ui: ScreenDriver, benefit_id: str, expect: str) -> str:
    benefit = ui.app.flow.catalog.get(benefit_id)
    assert benefit is not None
    code = next(c for c in world.codes_for(benefit) if c.expect == expect)
    return translate("demo.present", ui.app.locale, label=code.label.get(ui.app.locale))


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("outcome", ["eligible", "not_eligible", "undetermined"])
async def test_a_session_for_each_outcome(ui: ScreenDriver, world: DemoWorld, locale: str, outcome: str) -> None:
    if locale == "en":
        ui.tap_key("bar.language")
    assert ui.app.locale == locale
    await open_present(ui, BUSINESS)
    ui.tap_text(code_for(world, ui, BUSINESS, outcome))
    await ui.wait_state(FlowState.RESULT)
    assert ui.screen.name == "result"
    decision = ui.app.flow.view.decision
    assert decision is not None and decision.outcome.value == outcome
    assert ui.shows(translate(f"outcome.{outcome}", locale))
    for criterion in decision.criteria:
        assert ui.shows(criterion.title) and ui.shows(criterion.reason)
        if criterion.remedy:
            assert ui.shows(translate("result.remedy", locale, remedy=criterion.remedy))
    assert ui.shows(decision.decision_id)
    ui.tap_key("result.done")
    assert ui.screen.name == "idle" and ui.shows(translate("idle.wiped", locale))
    assert not ui.app.flow.holds_personal_data
