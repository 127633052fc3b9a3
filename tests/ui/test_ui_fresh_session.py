"""Nothing of the previous person reaches the next: scroll, language, large view, speech."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from kivy.uix.scrollview import ScrollView

from demo.world import DemoWorld
from kiosk.adapters.speech import Speaker
from kiosk.session.flow_view import FlowState
from kiosk.ui.driver import ScreenDriver
from tests.ui.steps import BUSINESS, present

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def blocked_speaker(tmp_path: Path) -> Iterator[Speaker]:
    """espeak-ng writing into a pipe nobody reads: a real readout that lasts until stopped."""
    fifo = tmp_path / "speaker.fifo"
    os.mkfifo(fifo)
    yield Speaker(wav_path=fifo)


def scrollers(ui: ScreenDriver) -> list[ScrollView]:
    return [w for w in ui.widgets() if isinstance(w, ScrollView)]


async def scroll_to_bottom(ui: ScreenDriver) -> int:
    """Scroll every scrollable part of the screen to its end; how many could scroll."""
    await ui.settle()
    moved = 0
    for view in scrollers(ui):
        if view.children and view.children[0].height > view.height + 1:
            view.scroll_y = 0
            moved += 1
    await ui.settle()
    return moved


async def assert_at_top(ui: ScreenDriver) -> None:
    await ui.settle()
    for view in scrollers(ui):
        assert view.scroll_y == pytest.approx(1.0), ui.screen.name


async def test_the_next_person_starts_fresh(ui: ScreenDriver, world: DemoWorld, blocked_speaker: Speaker) -> None:
    app, flow = ui.app, ui.app.flow
    usual_speaker = app.speaker
    app.speaker = blocked_speaker
    try:
        benefit = flow.catalog.get(BUSINESS)
        assert benefit is not None
        # First person: large view, English, every screen read to its end, the result read aloud.
        ui.tap_key("bar.elder_on")
        ui.tap_key("bar.language")
        moved = await scroll_to_bottom(ui)
        ui.tap_key("idle.start")
        moved += await scroll_to_bottom(ui)
        ui.tap_text(benefit.title.get("en"))
        moved += await scroll_to_bottom(ui)
        ui.tap_key("criteria.ready")
        moved += await scroll_to_bottom(ui)
        await present(ui, world, "expired")
        assert ui.screen.name == "error"
        moved += await scroll_to_bottom(ui)
        ui.tap_key("error.retry_other")
        await present(ui, world, "not_eligible")
        assert ui.screen.name == "result"
        moved += await scroll_to_bottom(ui)
        assert moved >= 4, "the large view should make most screens scroll at 800x480"
        app.speak_result()
        await ui.wait_for(lambda: blocked_speaker.speaking, timeout=10)
        ui.tap_key("result.done")

        # The session is over: the readout stopped that moment, view and language are the site's.
        assert not blocked_speaker.speaking and blocked_speaker.stops == 1
        assert flow.view.state is FlowState.IDLE
        assert app.locale == flow.default_locale == "zh-CN" and not app.elder
        await assert_at_top(ui)

        # Second person: every screen opens at its top.
        ui.tap_key("idle.start")
        await assert_at_top(ui)
        ui.tap_text(benefit.title.get("zh-CN"))
        await assert_at_top(ui)
        ui.tap_key("criteria.ready")
        await assert_at_top(ui)
        await present(ui, world, "expired")
        await assert_at_top(ui)
        ui.tap_key("error.retry_other")
        await present(ui, world, "not_eligible")
        await assert_at_top(ui)
        assert app.locale == "zh-CN" and not app.elder
    finally:
        app.stop_speaking()
        app.speaker = usual_speaker


async def test_help_time_warning_and_card_reminder(ui: ScreenDriver, world: DemoWorld) -> None:
    from kivy.core.window import Window
    from kivy.uix.modalview import ModalView

    from kiosk.i18n import translate
    from kiosk.session.readout import short_reference

    app, flow = ui.app, ui.app.flow
    person = next(b for b in flow.catalog.benefits if b.kind == "person")
    ui.tap_key("idle.start")
    ui.tap_text(person.title.get("zh-CN"))
    ui.tap_key("criteria.ready")
    await present(ui, world, "not_eligible", person.id)
    decision = flow.view.decision
    assert decision is not None and flow.view.holder_name_masked
    # A card was read: the result names whose (masked) and reminds the person to take it.
    assert ui.shows(translate("card.take", "zh-CN")) and ui.shows(flow.view.holder_name_masked)
    ui.tap_key("help.call")
    modals = [w for w in Window.children if isinstance(w, ModalView)]
    assert len(modals) == 1
    shown = [w.text for w in modals[0].walk() if hasattr(w, "text") and isinstance(w.text, str)]
    assert translate("help.ticket.reference", "zh-CN", reference=short_reference(decision.decision_id)) in shown
    assert any(app.site.counter_name("zh-CN") in text for text in shown)
    ui.tap(modals[0].ids.close)
    assert not [w for w in Window.children if isinstance(w, ModalView)]
    # 15 s before the timeout a warning asks for more time; its large button gives it.
    flow._deadline = flow._clock() + 10
    flow.tick()
    await ui.settle()
    warnings = [w for w in Window.children if isinstance(w, ModalView)]
    assert len(warnings) == 1 and warnings[0].ids.title.text == translate("time.warning", "zh-CN")
    assert warnings[0].ids.extend.height >= 60
    ui.tap(warnings[0].ids.extend)
    await ui.settle()
    assert not [w for w in Window.children if isinstance(w, ModalView)]
    assert flow.view.state is FlowState.RESULT and (flow.view.seconds_left or 0) > 15
    ui.tap_key("result.done")
