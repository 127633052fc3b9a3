"""`kiosk screenshots`: every screen, both languages, 800x480 and 1920x1080, landscape and portrait."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.core.window import Window

from kiosk.session.flow import FlowState
from kiosk.ui.driver import ScreenDriver

LOCALES = ("zh-CN", "en")
BUSINESS = "expedited-permit"


class Gallery:
    def __init__(self, driver: ScreenDriver, world: Any, out_dir: Path, say: Callable[[str], None]) -> None:
        self.ui = driver
        self.world = world
        self.out_dir = out_dir
        self.say = say
        self.count = 0

    def shot(self, prefix: str, name: str) -> None:
        self.ui.screenshot(self.out_dir / f"{prefix}-{name}.png")
        self.count += 1

    async def result_for(self, expect: str) -> None:
        flow = self.ui.app.flow
        flow.cancel()
        flow.choose_benefit(BUSINESS)
        flow.ready_to_present()
        benefit = flow.catalog.get(BUSINESS)
        assert benefit is not None
        code = next(c for c in self.world.codes_for(benefit) if c.expect == expect)
        code.present()
        await self.ui.wait_state(FlowState.RESULT, FlowState.ERROR, timeout=15)

    async def run(self, size: tuple[int, int]) -> int:
        ui, flow = self.ui, self.ui.app.flow
        self.out_dir.mkdir(parents=True, exist_ok=True)
        width, height = size
        await ui.settle(4)
        if tuple(Window.size) != size:
            raise RuntimeError(f"the window is {tuple(Window.size)}, not {size}")
        for locale in LOCALES:
            prefix = f"{width}x{height}-{locale}"
            flow.cancel()
            flow.set_locale(locale)  # type: ignore[arg-type]
            await ui.settle()
            self.shot(prefix, "01-idle")
            flow.start()
            await ui.settle()
            self.shot(prefix, "02-benefits")
            flow.choose_benefit(BUSINESS)
            await ui.settle()
            self.shot(prefix, "03-criteria")
            flow.ready_to_present()
            await ui.settle()
            self.shot(prefix, "04-present")
            self.world.network.hold()
            benefit = flow.catalog.get(BUSINESS)
            assert benefit is not None
            next(c for c in self.world.codes_for(benefit) if c.expect == "eligible").present()
            await ui.wait_state(FlowState.CHECKING)
            self.shot(prefix, "05-checking")
            self.world.network.release()
            await ui.wait_state(FlowState.RESULT)
            self.shot(prefix, "06-result-eligible")
            others = ("not_eligible", "undetermined", "offline", "expired", "unreadable")
            for number, expect in enumerate(others, 7):
                await self.result_for(expect)
                kind = "error" if flow.view.state is FlowState.ERROR else "result"
                self.shot(prefix, f"{number:02d}-{kind}-{expect.replace('_', '-')}")
            flow.cancel()
            ui.app.open_staff()
            await ui.settle()
            self.shot(prefix, "12-staff-pin")
            ui.app.enter_staff()
            await ui.wait_for(lambda: ui.screen.health is not None)
            self.shot(prefix, "13-staff")
            ui.app.close_staff()
            ui.app.toggle_elder()
            flow.choose_benefit(BUSINESS)
            await ui.settle()
            self.shot(prefix, "14-criteria-large-view")
            ui.app.toggle_elder()
            flow.cancel()
        self.say(f"  {width}x{height}: done")
        return self.count
