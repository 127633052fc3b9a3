"""Steps the UI tests share: walk to the present screen, press a demo code by what it shows."""

from __future__ import annotations

from demo.world import DemoWorld
from kiosk.i18n import translate
from kiosk.session.flow_view import FlowState
from kiosk.ui.driver import ScreenDriver

BUSINESS = "expedited-permit"


async def open_present(ui: ScreenDriver, benefit_id: str = BUSINESS) -> None:
    app = ui.app
    benefit = app.flow.catalog.get(benefit_id)
    assert benefit is not None
    ui.tap_key("idle.start")
    assert ui.screen.name == "benefits"
    ui.tap_text(benefit.title.get(app.locale))
    assert ui.screen.name == "criteria"
    assert ui.shows(benefit.legal_basis.get(app.locale))
    ui.tap_key("criteria.ready")
    await ui.settle()
    assert ui.screen.name == "present"


def code_text(world: DemoWorld, ui: ScreenDriver, expect: str, benefit_id: str = BUSINESS) -> str:
    benefit = ui.app.flow.catalog.get(benefit_id)
    assert benefit is not None
    code = next(c for c in world.codes_for(benefit) if c.expect == expect)
    return translate("demo.present", ui.app.locale, label=code.label.get(ui.app.locale))


async def present(ui: ScreenDriver, world: DemoWorld, expect: str, benefit_id: str = BUSINESS) -> None:
    ui.tap_text(code_text(world, ui, expect, benefit_id))
    await ui.wait_state(FlowState.RESULT, FlowState.ERROR, timeout=15)
