"""`kiosk screenshots`: every screen, both languages, both views, at one window size.

With `check`, every screen is also put through kiosk.ui.layout_check, and the problems are
returned instead of only pictures: the layout test runs this at all four sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from kivy.core.window import Window
from kivy.uix.modalview import ModalView

from kiosk.session.flow_view import FlowState
from kiosk.session.site import PresetState
from kiosk.ui.driver import ScreenDriver
from kiosk.ui.layout_check import screen_problems

LOCALES = ("zh-CN", "en")
BUSINESS = "expedited-permit"


class Gallery:
    def __init__(
        self, driver: ScreenDriver, world: Any, out_dir: Path, say: Callable[[str], None], *, check: bool = False
    ) -> None:
        self.ui = driver
        self.world = world
        self.out_dir = out_dir
        self.say = say
        self.count = 0
        self.check = check
        self.problems: list[str] = []
        self._elder = False

    def shot(self, prefix: str, name: str) -> None:
        self.ui.screenshot(self.out_dir / f"{prefix}-{name}.png")
        self.count += 1
        if self.check:
            where = f"{prefix}-{name}"
            modals = [w for w in Window.children if isinstance(w, ModalView)]
            for widget in modals or [self.ui.screen]:
                self.problems += screen_problems(
                    widget, where, elder=self._elder, max_line=self.ui.app.column_width(self.ui.app.font_scale)
                )

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

    def set_view(self, elder: bool) -> None:
        # As the site's default, so the endings between shots keep it.
        self._elder = elder
        flow = self.ui.app.flow
        flow.apply_policy(flow.catalog, replace(flow.site, elder_view=elder))
        self.ui.app.set_elder(elder)

    async def run(self, size: tuple[int, int]) -> int:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        await self.ui.settle(4)
        if tuple(Window.size) != size:
            raise RuntimeError(f"the window is {tuple(Window.size)}, not {size}")
        for elder in (False, True):
            self.set_view(elder)
            for locale in LOCALES:
                view = "large" if elder else "standard"
                await self.one_pass(f"{size[0]}x{size[1]}-{locale}-{view}", locale)
        self.set_view(False)
        self.say(f"  {size[0]}x{size[1]}: done")
        return self.count

    async def one_pass(self, prefix: str, locale: str) -> None:
        ui, flow = self.ui, self.ui.app.flow
        # Each session ends in the site's language: make it this pass's language.
        flow.set_default_locale(locale)  # type: ignore[arg-type]
        flow.cancel()
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
        await self.result_for("not_eligible")
        ui.app.call_staff()
        await ui.wait_for(lambda: not ui.app.slips.busy)
        self.shot(prefix, "12-call-staff")
        if ui.app._ticket is not None:
            ui.app._ticket.dismiss(animation=False)
        await self.printed_slip(prefix)
        receipt = flow.view.decision.receipt if flow.view.decision else None
        flow.cancel()
        await ui.settle()
        ui.app.open_staff()
        await ui.settle()
        self.shot(prefix, "13-staff-pin")
        ui.app.enter_staff()
        await ui.wait_for(lambda: ui.screen.health is not None)
        self.shot(prefix, "14-staff")
        await self.receipt_check(prefix, receipt)
        ui.app.open_what_if()
        await ui.settle()
        self.shot(prefix, "20-what-if")
        await ui.screen.run()
        await ui.settle()
        ui.screen.scroll_to_answer()
        await ui.settle()
        self.shot(prefix, "21-what-if-answer")
        ui.app.close_staff()
        flow.cancel()
        await self.staff_warnings(prefix)

    async def staff_warnings(self, prefix: str) -> None:
        """Staff mode at its longest: a site the policy lacks and a clock 42 minutes off."""
        ui, flow = self.ui, self.ui.app.flow
        kept = flow.site
        flow.apply_policy(flow.catalog, replace(kept, site_id="no-such-hall", preset=PresetState.UNKNOWN))
        watch = self.world.station.sync.clock
        now = datetime.now(UTC)
        watch.record(format_datetime(now - timedelta(minutes=42), usegmt=True), now)
        try:
            ui.app.enter_staff()
            await ui.wait_for(lambda: ui.screen.health is not None)
            self.shot(prefix, "19-staff-site-clock")
            ui.app.close_staff()
        finally:
            flow.apply_policy(flow.catalog, kept)
            watch.record(format_datetime(datetime.now(UTC), usegmt=True), datetime.now(UTC))

    async def printed_slip(self, prefix: str) -> None:
        """The result after "Print slip", with the printer's answer in words."""
        app = self.ui.app
        if not app.slips.available:
            return
        app.print_receipt()
        await self.ui.wait_for(lambda: not app.slips.busy, timeout=15)
        self.shot(prefix, "15-result-printed")

    async def receipt_check(self, prefix: str, receipt: str | None) -> None:
        """Staff check the receipt just shown, then whose it is (a code that is not theirs)."""
        app, desk = self.ui.app, self.ui.app.runtime.receipts
        if desk is None:
            return
        app.open_receipt_check()
        await self.ui.settle()
        self.shot(prefix, "16-receipt-check")
        if receipt is None:
            return
        # Through the desk, as the scanner would deliver it: the gallery has no scan to wait for.
        desk.receipt_scanned(receipt)
        await self.ui.settle()
        self.shot(prefix, "17-receipt-checked")
        desk.subject_presented("91350100M000100Y43")
        await self.ui.settle()
        self.shot(prefix, "18-receipt-not-theirs")
