"""Staff mode behind the PIN: health, counts, sync, picking a benefit; never a list of people."""

from __future__ import annotations

import pytest

from demo.world import DemoWorld
from kiosk.i18n import translate
from kiosk.session.flow_view import FlowState
from kiosk.session.staff_pin import MAX_FAILURES, StaffPin, hash_pin
from kiosk.ui.driver import ScreenDriver
from tests.ui.steps import open_present, present

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]


def type_pin(ui: ScreenDriver, pin: str) -> None:
    for digit in pin:
        ui.tap_text(digit)
    ui.tap_key("pin.ok")


async def test_the_pin_pad_is_a_phone_pad_showing_a_dot_per_press(ui: ScreenDriver, world: DemoWorld) -> None:
    ui.tap_key("idle.staff")
    assert ui.screen.name == "staff_pin"
    keys = [w.text for w in reversed(ui.by_id("keypad").children)]
    assert keys == ["1", "2", "3", "4", "5", "6", "7", "8", "9",
                    translate("pin.clear", "zh-CN"), "0", translate("pin.ok", "zh-CN")]
    for count, digit in enumerate("13579", start=1):
        ui.tap_text(digit)
        assert ui.by_id("dots").text == "●" * count  # never the digits themselves
    ui.tap_key("pin.clear")
    assert ui.by_id("dots").text == ""
    for digit in "9753":
        ui.tap_text(digit)
    ui.tap_key("pin.ok")
    assert ui.screen.name == "staff_pin" and ui.shows(translate("pin.wrong", "zh-CN"))
    assert ui.by_id("dots").text == ""


async def test_staff_see_health_and_counts_sync_and_pick_a_benefit(ui: ScreenDriver, world: DemoWorld) -> None:
    await open_present(ui)
    await present(ui, world, "eligible")
    decision = ui.app.flow.view.decision
    assert decision is not None
    ui.tap_key("result.done")
    ui.tap_key("idle.staff")
    type_pin(ui, world.staff_pin)
    assert ui.screen.name == "staff"
    await ui.wait_for(lambda: ui.screen.health is not None)
    health = ui.screen.ids.health.text
    assert translate("staff.device.scanner", "zh-CN") + "：" + translate("device.ready", "zh-CN") in health
    assert translate("staff.device.card_reader", "zh-CN") + "：" + translate("device.ready", "zh-CN") in health
    assert translate("staff.reachable", "zh-CN") in health
    counts = ui.screen.ids.counters.text
    assert translate("outcome.eligible", "zh-CN") in counts
    assert decision.decision_id not in " ".join(ui.texts())  # counts only, nothing about anyone
    ui.tap_key("staff.sync")
    await ui.wait_for(lambda: ui.shows(translate("staff.sync_ok", "zh-CN")), timeout=15)
    benefit = ui.app.flow.catalog.benefits[-1]
    ui.tap_text(benefit.title.get("zh-CN"))
    assert ui.screen.name == "criteria" and ui.app.flow.view.benefit == benefit
    assert ui.app.flow.view.state is FlowState.CRITERIA


async def test_five_wrong_pins_lock_staff_mode(ui: ScreenDriver, world: DemoWorld) -> None:
    runtime = world.station.runtime
    kept = runtime.staff_pin
    runtime.staff_pin = StaffPin(hash_pin("8642", n=2**10))
    try:
        ui.tap_key("idle.staff")
        for _ in range(MAX_FAILURES):
            type_pin(ui, "1111")
        assert ui.shows(translate("pin.locked", "zh-CN"))
        type_pin(ui, "8642")
        assert ui.screen.name == "staff_pin" and ui.shows(translate("pin.locked", "zh-CN"))
        ui.tap_key("action.cancel")
        assert ui.screen.name == "idle"
    finally:
        runtime.staff_pin = kept
