"""Whole sessions on the real window: tap through, present a code, read the result."""

from __future__ import annotations

import pytest

from demo.world import DemoWorld
from kiosk.core.decision_records import Status
from kiosk.i18n import translate
from kiosk.session.flow_view import FlowState
from kiosk.session.readout import local_time, short_reference, summary
from kiosk.ui.driver import ScreenDriver
from tests.ui.steps import BUSINESS, code_text, open_present

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]

@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("outcome", ["eligible", "not_eligible", "undetermined"])
async def test_a_session_for_each_outcome(ui: ScreenDriver, world: DemoWorld, locale: str, outcome: str) -> None:
    if locale == "en":
        ui.tap_key("bar.language")
    assert ui.app.locale == locale
    await open_present(ui, BUSINESS)
    ui.tap_text(code_text(world, ui, outcome))
    await ui.wait_state(FlowState.RESULT)
    assert ui.screen.name == "result"
    decision = ui.app.flow.view.decision
    assert decision is not None and decision.outcome.value == outcome
    assert ui.shows(translate(f"outcome.{outcome}", locale))
    assert ui.shows(summary(decision, locale, ui.app.site))
    for criterion in decision.criteria:
        assert ui.shows(criterion.title)
        if criterion.status is Status.PASSED:
            continue  # one line each: the reasons that matter are the ones that did not pass
        assert ui.shows(criterion.reason)
        if criterion.remedy:
            assert ui.shows(translate("result.remedy", locale, remedy=criterion.remedy))
    # The short reference, not the 32-digit id; times in the kiosk's zone, not UTC.
    assert ui.shows(short_reference(decision.decision_id)) and not ui.shows(decision.decision_id)
    assert ui.shows(local_time(decision.decided_at, ui.app.site.zone(), locale))
    ui.tap_key("result.done")
    # The next person meets the site's language (zh-CN here), whatever this one chose.
    assert ui.screen.name == "idle" and ui.shows(translate("idle.wiped", "zh-CN"))
    assert not ui.app.flow.holds_personal_data


async def test_a_signed_credential_is_decided_offline_when_the_network_is_cut(
    ui: ScreenDriver, world: DemoWorld
) -> None:
    await open_present(ui)
    ui.tap_text(code_text(world, ui, "offline"))
    await ui.wait_state(FlowState.RESULT)
    decision = ui.app.flow.view.decision
    assert decision is not None and decision.mode.value == "offline"
    assert ui.shows(translate("result.offline", "zh-CN"))
    assert ui.shows(translate("outcome.eligible", "zh-CN"))


async def test_an_id_card_on_the_reader_checks_a_personal_benefit(ui: ScreenDriver, world: DemoWorld) -> None:
    person = next(b for b in ui.app.flow.catalog.benefits if b.kind == "person")
    await open_present(ui, person.id)
    assert ui.shows(translate("present.how_person", "zh-CN"))
    ui.tap_text(code_text(world, ui, "not_eligible", person.id))
    await ui.wait_state(FlowState.RESULT, timeout=15)
    decision = ui.app.flow.view.decision
    assert decision is not None and decision.outcome.value == "not_eligible"
    assert ui.shows(translate("result.review", "zh-CN")[:20])


async def test_checking_shows_progress_and_cancel_drops_the_answer(ui: ScreenDriver, world: DemoWorld) -> None:
    await open_present(ui)
    world.network.hold()
    ui.tap_text(code_text(world, ui, "eligible"))
    await ui.wait_state(FlowState.CHECKING)
    assert ui.screen.name == "checking" and ui.shows(translate("checking.title", "zh-CN"))
    ui.tap_key("action.cancel")
    world.network.release()
    await ui.settle(10)
    assert ui.app.flow.view.state is FlowState.IDLE and ui.app.flow.view.decision is None
    assert not ui.app.flow.holds_personal_data


async def test_the_language_switches_on_any_screen_and_keeps_the_step(ui: ScreenDriver) -> None:
    await open_present(ui)
    ui.tap_key("bar.language")
    assert ui.screen.name == "present" and ui.shows(translate("present.title", "en"))
    ui.tap_key("action.back")
    assert ui.screen.name == "criteria" and ui.shows(translate("criteria.title", "en"))
    ui.tap_key("bar.language")
    assert ui.shows(translate("criteria.title", "zh-CN"))


async def test_the_countdown_is_shown_and_a_touch_extends_it(ui: ScreenDriver) -> None:
    await open_present(ui)
    assert ui.shows(translate("bar.seconds", "zh-CN", seconds=60))
    flow = ui.app.flow
    await ui.wait_for(lambda: (flow.view.seconds_left or 60) < 60, timeout=5)
    assert ui.shows(translate("bar.seconds", "zh-CN", seconds=int(flow.view.seconds_left or 0)))
    ui.tap(ui.by_id("title"))
    assert ui.shows(translate("bar.seconds", "zh-CN", seconds=60))


async def test_the_criteria_screen_says_since_when_each_rule_is_in_force(ui: ScreenDriver) -> None:
    await open_present(ui)
    ui.tap_key("action.back")
    assert ui.screen.name == "criteria"
    benefit = ui.app.flow.view.benefit
    assert benefit is not None
    since = benefit.criteria[0].validity.valid_from
    assert since is not None and ui.shows(translate("policy.in_force_since", "zh-CN", date=since.isoformat()))
