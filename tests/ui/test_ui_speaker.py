"""The speaker button: on every applicant screen, reads that screen, stops with the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from kivy.metrics import dp

from demo.world import DemoWorld
from kiosk.adapters.speech import Speaker
from kiosk.i18n import translate
from kiosk.session.flow_view import FlowState
from kiosk.session.readout import short_reference, summary
from kiosk.ui.driver import ScreenDriver
from kiosk.ui.widgets import SpeakerButton, TopBar
from tests.ui.steps import BUSINESS, code_text, present

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def blocked_speaker(tmp_path: Path) -> Iterator[Speaker]:
    """espeak-ng writing into a pipe nobody reads: a real readout that lasts until stopped."""
    fifo = tmp_path / "speaker.fifo"
    os.mkfifo(fifo)
    yield Speaker(wav_path=fifo)


def speaker_button(ui: ScreenDriver) -> SpeakerButton:
    bars = [w for w in ui.widgets() if isinstance(w, TopBar)]
    assert len(bars) == 1, ui.screen.name
    button = bars[0].ids.speak
    assert isinstance(button, SpeakerButton)
    return button


def assert_usable(ui: ScreenDriver) -> None:
    button = speaker_button(ui)
    assert button.opacity == 1 and not button.disabled, ui.screen.name
    assert button.width >= dp(44) and button.height >= dp(44), ui.screen.name


async def test_every_applicant_screen_has_a_speaker_that_reads_it(ui: ScreenDriver, world: DemoWorld) -> None:
    app, flow = ui.app, ui.app.flow
    assert app.speech_enabled, "espeak-ng is part of the kiosk image and the dev setup"
    benefit = flow.catalog.get(BUSINESS)
    assert benefit is not None
    tr = app.tr

    assert_usable(ui)
    assert tr("idle.title") in app.spoken_screen()
    # What a button does is read after the texts; the top bar (name, toggles) is not read.
    ui.tap_key("idle.start")
    assert_usable(ui)
    spoken = app.spoken_screen()
    assert benefit.title.get("zh-CN") in spoken and tr("bar.language") not in spoken
    ui.tap_text(benefit.title.get("zh-CN"))
    assert_usable(ui)
    assert tr("criteria.legal_basis", basis=benefit.legal_basis.get("zh-CN")) in app.spoken_screen()
    assert app.spoken_screen().rstrip().endswith(tr("criteria.ready"))
    ui.tap_key("criteria.ready")
    await ui.settle()
    assert_usable(ui)
    # The present screen's demo codes are not instructions: they are not read.
    assert code_text(world, ui, "eligible") not in app.spoken_screen()

    world.network.hold()
    try:
        ui.tap_text(code_text(world, ui, "not_eligible"))
        await ui.wait_state(FlowState.CHECKING)
        assert_usable(ui)
        assert app.spoken_screen()
    finally:
        world.network.release()
    await ui.wait_state(FlowState.RESULT, timeout=15)
    assert_usable(ui)
    decision = flow.view.decision
    assert decision is not None
    lines = app.spoken_screen().splitlines()
    # The result starts with the outcome and the summary (with its first step), and ends with
    # the reference, spelled out symbol by symbol.
    assert lines[0] == translate("outcome.not_eligible", "zh-CN")
    assert lines[1] == summary(decision, "zh-CN", app.site)
    assert any(translate("result.remedy", "zh-CN", remedy=c.remedy) in lines for c in decision.criteria if c.remedy)
    assert " ".join(short_reference(decision.decision_id).replace("-", "")) in lines[-1]
    ui.tap_key("result.done")

    ui.tap_key("idle.start")
    ui.tap_text(benefit.title.get("zh-CN"))
    ui.tap_key("criteria.ready")
    await present(ui, world, "expired")
    assert ui.screen.name == "error"
    assert_usable(ui)
    assert tr("error.retry_other") in app.spoken_screen()


async def test_the_speaker_speaks_stops_on_a_second_touch_and_with_the_session(
    ui: ScreenDriver, world: DemoWorld, blocked_speaker: Speaker, spoken_wav: Path
) -> None:
    app, flow = ui.app, ui.app.flow
    usual = app.speaker
    benefit = flow.catalog.get(BUSINESS)
    assert benefit is not None
    try:
        # A real readout into a file: the criteria screen, spoken by espeak-ng.
        spoken_wav.unlink(missing_ok=True)
        ui.tap_key("idle.start")
        ui.tap_text(benefit.title.get("zh-CN"))
        ui.tap(speaker_button(ui))
        await ui.wait_for(lambda: spoken_wav.exists() and spoken_wav.stat().st_size > 1000, timeout=20)
        await ui.wait_for(lambda: not app.speaking, timeout=30)

        app.speaker = blocked_speaker
        ui.tap(speaker_button(ui))
        await ui.wait_for(lambda: blocked_speaker.speaking, timeout=10)
        assert app.speaking and speaker_button(ui).speaking
        ui.tap(speaker_button(ui))  # a second touch stops it
        assert not blocked_speaker.speaking and not app.speaking and blocked_speaker.stops == 1

        # Leaving the screen ends its readout; so does the session's end, at once.
        ui.tap(speaker_button(ui))
        await ui.wait_for(lambda: blocked_speaker.speaking, timeout=10)
        ui.tap_key("criteria.ready")
        assert not blocked_speaker.speaking and blocked_speaker.stops == 2
        ui.tap(speaker_button(ui))
        await ui.wait_for(lambda: blocked_speaker.speaking, timeout=10)
        flow.cancel()
        await ui.settle()
        assert flow.view.state is FlowState.IDLE
        assert not blocked_speaker.speaking and not app.speaking and blocked_speaker.stops == 3
    finally:
        app.stop_speaking()
        app.speaker = usual
