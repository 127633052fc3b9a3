"""适老化 and accessibility: large view one touch away, target sizes, text sizes, contrast, icons."""

from __future__ import annotations

from pathlib import Path

import pytest
from kivy.metrics import dp, sp

from demo.world import DemoWorld
from kiosk.i18n import translate
from kiosk.session.flow_view import FlowState
from kiosk.ui import theme
from kiosk.ui.driver import ScreenDriver
from kiosk.ui.widgets import Body, KioskButton, StatusIcon, TopBar
from tests.ui.steps import open_present, present

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]


def buttons(ui: ScreenDriver) -> list[KioskButton]:
    return [w for w in ui.widgets() if isinstance(w, KioskButton) and w.opacity > 0 and not w.disabled]


async def visit_screens(ui: ScreenDriver, world: DemoWorld) -> list[str]:
    """Walk idle -> benefits -> criteria -> present -> result; return the screen names seen."""
    seen = [ui.screen.name]
    ui.tap_key("idle.start")
    seen.append(ui.screen.name)
    await ui.settle()
    benefit = ui.app.flow.catalog.get("expedited-permit")
    assert benefit is not None
    ui.tap_text(benefit.title.get(ui.app.locale))
    seen.append(ui.screen.name)
    ui.tap_key("criteria.ready")
    seen.append(ui.screen.name)
    await present(ui, world, "not_eligible")
    seen.append(ui.screen.name)
    return seen


@pytest.mark.parametrize("elder", [False, True])
async def test_every_target_is_big_enough_and_the_large_view_is_one_touch_away(
    ui: ScreenDriver, world: DemoWorld, elder: bool
) -> None:
    if elder:
        ui.tap_key("bar.elder_on")
        assert ui.app.elder and ui.shows(translate("bar.elder_off", "zh-CN"))
    minimum = dp(60) if elder else dp(44)
    checks = 0

    async def check_screen() -> None:
        nonlocal checks
        assert ui.shows(translate("bar.elder_off" if elder else "bar.elder_on", "zh-CN")), ui.screen.name
        for button in buttons(ui):
            assert button.height >= minimum and button.width >= minimum, (ui.screen.name, button.text)
            checks += 1
        bodies = [w for w in ui.widgets() if type(w) is Body and w.text]
        sizes = [w.font_size for w in bodies]
        # 适老化: main text can reach 30 dp, and nothing is under 18 dp in the elder view.
        assert min(sizes) >= sp(18) and (max(sizes) >= sp(30) or not elder)

    await check_screen()
    ui.tap_key("idle.start")
    await check_screen()
    benefit = ui.app.flow.catalog.get("expedited-permit")
    assert benefit is not None
    ui.tap_text(benefit.title.get("zh-CN"))
    await check_screen()
    ui.tap_key("criteria.ready")
    await check_screen()
    await present(ui, world, "not_eligible")
    await check_screen()
    assert checks > 10


async def test_results_carry_words_and_shapes_not_colour_alone(ui: ScreenDriver, world: DemoWorld) -> None:
    await open_present(ui)
    await present(ui, world, "not_eligible")
    decision = ui.app.flow.view.decision
    assert decision is not None
    icons = [w for w in ui.widgets() if isinstance(w, StatusIcon)]
    assert icons[0].shape == "cross"
    statuses = {c.status.value for c in decision.criteria}
    shapes = {i.shape for i in icons[1:]}
    assert shapes == {{"passed": "tick", "failed": "cross", "unknown": "question"}[s] for s in statuses}
    for status in statuses:
        assert ui.shows(translate(f"status.{status}", "zh-CN"))
    assert ui.app.flow.view.state is FlowState.RESULT


def contrast(fore: tuple[float, ...], back: tuple[float, ...]) -> float:
    def luminance(colour: tuple[float, ...]) -> float:
        def channel(c: float) -> float:
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(c) for c in colour[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(fore), luminance(back)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(
    ("fore", "back"),
    [
        (theme.TEXT, theme.BACKGROUND), (theme.TEXT, theme.SURFACE), (theme.MUTED, theme.SURFACE),
        (theme.MUTED, theme.BACKGROUND), (theme.PRIMARY, theme.SURFACE), (theme.ERROR, theme.BACKGROUND),
        (theme.UNDETERMINED, theme.BACKGROUND), (theme.ELIGIBLE, theme.SURFACE), (theme.NOT_ELIGIBLE, theme.SURFACE),
        (theme.ON_DARK, theme.PRIMARY), (theme.ON_DARK, theme.SECONDARY), (theme.ON_DARK, theme.BAR),
        (theme.ON_DARK, theme.ELIGIBLE), (theme.ON_DARK, theme.NOT_ELIGIBLE), (theme.ON_DARK, theme.UNDETERMINED),
    ],
)
async def test_text_contrast_is_at_least_4_5_to_1(fore: tuple[float, ...], back: tuple[float, ...]) -> None:
    assert contrast(fore, back) >= 4.5


async def test_read_aloud_speaks_the_result_with_espeak_ng(
    ui: ScreenDriver, world: DemoWorld, spoken_wav: Path
) -> None:
    assert ui.app.speech_enabled, "espeak-ng is part of the kiosk image and the dev setup"
    await open_present(ui)
    await present(ui, world, "eligible")
    spoken = ui.app.spoken_result()
    assert translate("outcome.eligible", "zh-CN") in spoken
    spoken_wav.unlink(missing_ok=True)
    bar = next(w for w in ui.widgets() if isinstance(w, TopBar))
    ui.tap(bar.ids.speak)
    await ui.wait_for(lambda: spoken_wav.exists() and spoken_wav.stat().st_size > 1000, timeout=20)
