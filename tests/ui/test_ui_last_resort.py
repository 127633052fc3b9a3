"""No exception from a screen's handler ends the kiosk (issue #18 item 7): Kivy's loop hands it to
the app's last-resort handler, which shows the error screen, from where the kiosk goes to idle."""

from __future__ import annotations

import dataclasses

import pytest
from kivy.base import ExceptionManager

from demo.world import DemoWorld
from kiosk.session.flow_view import FlowState
from kiosk.session.staff_pin import StaffPin, hash_pin
from kiosk.ui.driver import ScreenDriver

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]


async def test_a_staff_pin_check_that_raises_shows_the_error_screen_and_goes_on(
    ui: ScreenDriver, world: DemoWorld
) -> None:
    runtime = world.station.runtime
    kept = runtime.staff_pin
    # A hash validation let through by mistake: OpenSSL refuses n=65536, r=8 in 64 MiB.
    broken = StaffPin(hash_pin("2468", n=2**10))
    broken._parsed = dataclasses.replace(broken._parsed, n=65536, r=8)  # type: ignore[arg-type]
    runtime.staff_pin = broken
    try:
        ui.tap_key("idle.staff")
        for digit in "2468":
            ui.tap_text(digit)
        with pytest.raises(ValueError) as caught:  # what Kivy's loop would have caught
            ui.tap_key("pin.ok")
        assert ExceptionManager.handle_exception(caught.value) == ExceptionManager.PASS
        await ui.settle()
        assert ui.screen.name == "error" and ui.app.staff_mode == ""
        assert ui.app.flow.view.state is FlowState.ERROR and ui.app.flow.view.seconds_left
        ui.tap_key("error.finish")
        await ui.wait_state(FlowState.IDLE)
        assert ui.screen.name == "idle"
    finally:
        runtime.staff_pin = kept


async def test_only_an_interrupt_still_ends_the_app(ui: ScreenDriver) -> None:
    assert ExceptionManager.handle_exception(KeyboardInterrupt()) == ExceptionManager.RAISE
    assert ui.app.flow.view.state is FlowState.IDLE
