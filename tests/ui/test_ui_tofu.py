"""No screen shows tofu boxes in Chinese: every character on screen has a real glyph in the font."""

from __future__ import annotations

import pytest
from kivy.core.text import Label as CoreLabel

from demo.world import DemoWorld
from kiosk.i18n import messages
from kiosk.ui.driver import ScreenDriver
from tests.ui.steps import open_present, present

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]

NOTDEF = "\U0010fffd"  # a noncharacter: every font draws its .notdef box for it


def pixels(text: str) -> bytes:
    label = CoreLabel(text=text, font_size=32)
    label.refresh()
    return bytes(label.texture.pixels)


def missing_glyphs(text: str) -> set[str]:
    box = pixels(NOTDEF)
    return {ch for ch in set(text) if not ch.isspace() and pixels(ch) == box}


async def test_the_check_itself_catches_a_missing_glyph() -> None:
    assert missing_glyphs("\ue000") == {"\ue000"}  # private use area: not in Noto Sans SC
    assert missing_glyphs("资格核验 Eligibility，已通过。") == set()


async def test_no_screen_shows_tofu_in_chinese(ui: ScreenDriver, world: DemoWorld) -> None:
    seen: set[str] = set()

    def collect() -> None:
        seen.update("".join(ui.texts()))

    collect()
    await open_present(ui)
    collect()
    await present(ui, world, "not_eligible")
    collect()
    ui.tap_key("result.done")
    await open_present(ui)
    await present(ui, world, "expired")
    collect()
    ui.tap_key("error.finish")
    ui.tap_key("idle.start")
    collect()
    ui.tap_key("action.cancel")
    ui.tap_key("idle.staff")
    collect()
    for ch in world.staff_pin:
        ui.tap_text(ch)
    ui.tap_key("pin.ok")
    await ui.wait_for(lambda: ui.screen.health is not None)
    collect()
    ui.tap_key("staff.exit")
    assert len(seen) > 200
    assert missing_glyphs("".join(seen)) == set()


async def test_every_chinese_catalog_text_and_policy_text_has_glyphs(ui: ScreenDriver) -> None:
    texts = list(messages("zh-CN").values())
    for benefit in ui.app.flow.catalog.benefits:
        texts += [benefit.title.zh, benefit.summary.zh, benefit.legal_basis.zh, benefit.authority.zh]
        for criterion in benefit.criteria:
            texts += [criterion.title.zh, criterion.failed.zh, criterion.remedy.zh, criterion.source.zh]
    assert missing_glyphs("".join(texts)) == set()
