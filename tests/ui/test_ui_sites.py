"""Site presets on the real screen: a single-benefit site skips the list, an unknown site and a
wrong clock are told to staff. The preset is resolved from the signed bundle the demo world's
kiosk synced from its backend, and handed to the flow as a sync hands it (services.follow_policy)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from demo.world import DemoWorld
from kiosk.i18n import translate
from kiosk.session.flow_view import FlowState
from kiosk.session.site import PresetState
from kiosk.station.site import resolve_site
from kiosk.ui.app import KioskApp
from kiosk.ui.driver import ScreenDriver
from tests.ui.test_ui_staff import type_pin

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def as_site(kiosk_app: KioskApp, world: DemoWorld) -> Iterator[object]:
    """Name a site in the kiosk's config; the site it had comes back afterwards."""
    flow, services = kiosk_app.flow, world.station.services
    kept = flow.site

    def name(site_id: str) -> None:
        bundle = world.station.sync.current
        assert bundle is not None
        flow.apply_policy(bundle.catalog, resolve_site(replace(services.config, site=site_id), bundle.catalog))

    yield name
    flow.cancel()
    flow.apply_policy(flow.catalog, kept)
    kiosk_app.set_elder(kept.elder_view)


async def test_a_single_benefit_site_skips_the_list(ui: ScreenDriver, world: DemoWorld, as_site: object) -> None:
    app = ui.app
    as_site("demo-rental-counter")  # type: ignore[operator]
    await ui.settle()
    site = app.site
    assert site.preset is PresetState.APPLIED and site.single_benefit
    assert app.elder, "the preset's large view is the idle screen's view"
    rental = app.flow.catalog.get("deposit-free-rental")
    assert rental is not None
    ui.tap_key("idle.start")
    await ui.settle()
    assert ui.screen.name == "criteria" and app.flow.view.benefit == rental
    assert ui.shows(rental.title.get("zh-CN"))
    ui.tap_key("action.back")
    await ui.settle()
    assert ui.screen.name == "idle" and app.flow.view.state is FlowState.IDLE
    # The next person again: large view and Chinese, whatever the last one chose.
    ui.tap_key("bar.elder_off")
    ui.tap_key("bar.language")
    ui.tap_key("idle.start")
    assert ui.screen.name == "criteria" and app.locale == "en" and not app.elder
    ui.tap_key("action.back")
    await ui.settle()
    assert app.elder and app.locale == "zh-CN"


async def test_a_hall_shows_only_its_benefits_in_its_order(ui: ScreenDriver, as_site: object) -> None:
    app = ui.app
    as_site("demo-business-hall")  # type: ignore[operator]
    ui.tap_key("idle.start")
    await ui.settle()
    assert ui.screen.name == "benefits"
    titles = [b.title.get("zh-CN") for b in app.flow.offered()]
    shown = [t for t in ui.texts() if t in titles]
    assert shown == titles and len(titles) == 4
    assert not ui.shows(translate("benefits.personal", "zh-CN"))


async def test_staff_see_an_unknown_site_and_a_wrong_clock(ui: ScreenDriver, world: DemoWorld, as_site: object) -> None:
    app = ui.app
    as_site("no-such-hall")  # type: ignore[operator]
    assert app.site.preset is PresetState.UNKNOWN
    assert len(app.flow.offered()) == len(app.flow.catalog.offered(app.flow.catalog.day_of(datetime.now(UTC))))
    watch = world.station.sync.clock
    now = datetime.now(UTC)
    watch.record(format_datetime(now - timedelta(minutes=42), usegmt=True), now)
    try:
        ui.tap_key("idle.staff")
        type_pin(ui, world.staff_pin)
        await ui.wait_for(lambda: ui.screen.health is not None)
        health = ui.screen.ids.health.text
        assert translate("staff.site_unknown", "zh-CN", id="no-such-hall") in health
        assert translate("staff.clock_ahead", "zh-CN", minutes=42) in health
        assert translate("staff.clock_offline_paused", "zh-CN", tolerance=10) in health
        # Every benefit is on offer to staff too.
        for benefit in app.flow.offered():
            assert ui.shows(benefit.title.get("zh-CN"))
        ui.tap_key("staff.exit")
    finally:
        watch.record(format_datetime(datetime.now(UTC), usegmt=True), datetime.now(UTC))
