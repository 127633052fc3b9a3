"""Every error a person can meet, on the real window, in both languages, with a way on."""

from __future__ import annotations

import pytest

from demo.world import DemoWorld
from kiosk.i18n import translate
from kiosk.session.flow_view import EndReason, FlowState
from kiosk.ui.driver import ScreenDriver
from tests.ui.steps import BUSINESS, open_present, present

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]


def assert_error_screen(ui: ScreenDriver, category: str, locale: str) -> None:
    view = ui.app.flow.view
    assert view.state is FlowState.ERROR and view.error_category is not None
    assert view.error_category.value == category
    assert ui.screen.name == "error"
    assert ui.shows(translate(f"error.{category}", locale))
    assert view.error is not None and ui.shows(view.error.get(locale))
    assert not ui.app.flow.holds_personal_data


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize(("expect", "category"), [("expired", "expired"), ("unreadable", "unreadable")])
async def test_bad_codes_explain_themselves_and_allow_a_retry(
    ui: ScreenDriver, world: DemoWorld, locale: str, expect: str, category: str
) -> None:
    if locale == "en":
        ui.tap_key("bar.language")
    await open_present(ui)
    await present(ui, world, expect)
    assert_error_screen(ui, category, locale)
    # An expired credential will not pass on a second try: the button asks for another one.
    ui.tap_key("error.retry_other" if category == "expired" else "error.retry")
    assert ui.screen.name == "present"
    await present(ui, world, "eligible")
    assert ui.screen.name == "result"


async def test_a_personal_id_card_for_a_business_benefit_says_it_does_not_fit(
    ui: ScreenDriver, world: DemoWorld
) -> None:
    from hardware.simulators import SyntheticCard

    person = next(s for s in world.subjects if s.kind == "person" and s.scheme == "ric" and s.on_record)
    await open_present(ui, BUSINESS)
    world.card_reader.remove_card()
    world.card_reader.insert_card(SyntheticCard(name="演示居民", id_number=person.value))
    await ui.wait_state(FlowState.ERROR, timeout=15)
    assert_error_screen(ui, "wrong_kind", "zh-CN")
    ui.tap_key("error.finish")
    assert ui.screen.name == "idle"


async def test_a_refusal_from_the_service_is_a_cannot_check_now_message(ui: ScreenDriver, world: DemoWorld) -> None:
    await open_present(ui)
    world.network.refuse_next()
    await present(ui, world, "eligible")
    assert_error_screen(ui, "unavailable", "zh-CN")


async def test_no_working_device_is_said_plainly_and_unplugging_ends_the_session(
    ui: ScreenDriver, world: DemoWorld
) -> None:
    runtime = world.station.runtime
    await open_present(ui)
    world.scanner.unplug()
    await ui.wait_for(lambda: runtime.device_statuses()["scanner"] != "ready", timeout=10)
    assert ui.app.flow.view.state is FlowState.IDLE
    assert ui.app.flow.view.last_end is EndReason.DEVICE_LOST
    world.card_reader.unplug()
    await ui.wait_for(lambda: "ready" not in runtime.device_statuses().values(), timeout=10)
    try:
        ui.tap_key("idle.start")
        ui.tap_text(ui.app.flow.catalog.benefits[0].title.get("zh-CN"))
        ui.tap_key("criteria.ready")
        assert_error_screen(ui, "device", "zh-CN")
    finally:
        world.scanner.replug()
        world.card_reader.replug()
    await ui.wait_for(lambda: set(runtime.device_statuses().values()) == {"ready"}, timeout=15)
