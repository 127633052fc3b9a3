"""The demo's scripted walk-through for machines without a display: every step of a session,
for each outcome and each error, tapped on the real (offscreen) window, with a screenshot each.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.session.flow_view import FlowState
from kiosk.ui.driver import ScreenDriver

Say = Callable[[str], None]


class WalkThrough:
    def __init__(self, driver: ScreenDriver, world: Any, out_dir: Path, say: Say) -> None:
        self.ui = driver
        self.world = world
        self.out_dir = out_dir
        self.say = say
        self.shots: list[Path] = []

    def shot(self, name: str, what: str) -> None:
        path = self.ui.screenshot(self.out_dir / f"{len(self.shots) + 1:02d}-{name}.png")
        self.shots.append(path)
        self.say(f"  {path.name:<34} {what}")

    async def to_present(self, benefit_id: str, *, shots: bool = False) -> None:
        ui, app = self.ui, self.ui.app
        benefit = app.flow.catalog.get(benefit_id)
        assert benefit is not None
        ui.tap_key("idle.start")
        if shots:
            self.shot("benefits", "benefit list, business and personal")
        ui.tap_text(benefit.title.get(app.locale))
        if shots:
            self.shot("criteria", "criteria, source authorities and legal basis, before any scan")
        ui.tap_key("criteria.ready")
        await ui.settle()
        if shots:
            self.shot("present", "what to present, the scanner animation and the time left")

    async def present(self, benefit_id: str, expect: str) -> None:
        app = self.ui.app
        benefit = app.flow.catalog.get(benefit_id)
        assert benefit is not None
        code = next(c for c in self.world.codes_for(benefit) if c.expect == expect)
        self.ui.tap_text(app.tr("demo.present", label=code.label.get(app.locale)))
        await self.ui.wait_state(FlowState.RESULT, FlowState.ERROR, timeout=15)

    async def session(self, benefit_id: str, expect: str, name: str, what: str) -> None:
        await self.to_present(benefit_id)
        await self.present(benefit_id, expect)
        self.shot(name, what)
        self.ui.tap_key("result.done" if self.ui.app.flow.view.state is FlowState.RESULT else "error.finish")
        await self.ui.settle()

    async def run(self) -> list[Path]:
        ui, flow = self.ui, self.ui.app.flow
        business = "expedited-permit"
        person = next((b.id for b in flow.catalog.benefits if b.kind == "person"), None)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        await ui.settle()
        self.shot("idle", "attract screen with the privacy notice and language switch")
        await self.to_present(business, shots=True)
        self.world.network.hold()
        await self.present_held(business)
        self.shot("checking", "checking, with progress and cancel")
        self.world.network.release()
        await ui.wait_state(FlowState.RESULT)
        self.shot("result-eligible", "eligible: outcome in words and a tick, every criterion explained")
        ui.tap_key("result.done")
        await ui.settle()
        self.shot("idle-wiped", "back to idle: the session's data is gone")
        await self.session(business, "not_eligible", "result-not-eligible", "not eligible: what failed, why, remedy")
        await self.session(business, "undetermined", "result-undetermined", "undetermined: what is missing and why")
        await self.session(business, "offline", "result-offline", "signed credential, network cut: offline")
        await self.session(business, "expired", "error-expired", "an expired credential")
        await self.session(business, "unreadable", "error-unreadable", "a damaged code")
        if person is not None:
            await self.session(person, "eligible", "result-person-card", "ID card on the card reader")
        ui.tap_key("bar.language")
        await self.session(business, "not_eligible", "result-english", "the same in English")
        ui.tap_key("bar.elder_on")
        await ui.settle()
        self.shot("idle-large-view", "长辈模式: large text and targets, one touch away")
        await self.session(business, "eligible", "result-large-view", "a result in the large view")
        # The session's end handed back the site's language and view: nothing to switch back.
        ui.tap_key("idle.staff")
        self.shot("staff-pin", "staff PIN entry: phone layout, a dot per digit")
        for digit in self.world.staff_pin:
            ui.tap_text(digit)
        ui.tap_key("pin.ok")
        await ui.wait_for(lambda: ui.screen.health is not None)
        self.shot("staff", "staff mode: device health, policy data, today's counts")
        ui.tap_key("staff.exit")
        await ui.settle()
        return self.shots

    async def present_held(self, benefit_id: str) -> None:
        app = self.ui.app
        benefit = app.flow.catalog.get(benefit_id)
        assert benefit is not None
        code = next(c for c in self.world.codes_for(benefit) if c.expect == "eligible")
        self.ui.tap_text(app.tr("demo.present", label=code.label.get(app.locale)))
        await self.ui.wait_state(FlowState.CHECKING, timeout=15)
