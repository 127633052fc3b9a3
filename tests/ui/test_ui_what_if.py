"""Staff what-if in the real window: made-up facts as a form, the answer per criterion."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from kivy.core.window import Window
from kivy.uix.button import Button

from backend.simulation import Simulator
from demo.world import DemoWorld
from kiosk.adapters.backend_client import BackendClient
from kiosk.common.facts_table import read_facts_table
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog
from kiosk.i18n import translate
from kiosk.session.what_if import WhatIf
from kiosk.ui.driver import ScreenDriver
from kiosk.ui.screens.result import CriterionResultCard
from kiosk.ui.screens.what_if import ChoiceButton, FactInput, FactKeypad, FactRow
from tests.ui.test_ui_staff import type_pin

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]
BENEFIT = "expedited-permit"


async def open_what_if(ui: ScreenDriver, world: DemoWorld) -> None:
    ui.tap_key("idle.staff")
    type_pin(ui, world.staff_pin)
    await ui.wait_for(lambda: ui.screen.name == "staff")
    ui.tap_key("staff.what_if")
    await ui.settle()
    assert ui.screen.name == "what_if"


async def open_form(ui: ScreenDriver, world: DemoWorld) -> None:
    """The what-if screen with the test's benefit chosen."""
    await open_what_if(ui, world)
    benefit = ui.app.flow.catalog.get(BENEFIT)
    assert benefit is not None
    ui.tap_text(benefit.title.get("zh-CN"))
    await ui.settle()


def fact_row(ui: ScreenDriver, name: str) -> object:
    rows = [
        r for r in ui.screen.ids.facts.children if r.label.startswith(name + "（") or r.label.startswith(name + " (")
    ]
    assert len(rows) == 1, name
    return rows[0]


def answer_by_text(ui: ScreenDriver, fact: str, text: str) -> None:
    row = fact_row(ui, fact)
    button = next(w for w in row.walk(restrict=True) if isinstance(w, ChoiceButton) and w.text == text)
    ui.tap(button)
    assert button.chosen


def type_into(ui: ScreenDriver, fact: str, text: str) -> None:
    row = fact_row(ui, fact)
    entry = next(w for w in row.walk(restrict=True) if isinstance(w, FactInput))
    entry.text = text


async def work_it_out(ui: ScreenDriver) -> None:
    ui.tap_key("whatif.run")
    running = ui.screen.running
    assert running is not None
    await asyncio.wait_for(running, timeout=15)
    await ui.settle()
    # The screen scrolls its answer into view 0.15 s later; a tap before that could be
    # scrolled away under the finger.
    await asyncio.sleep(0.3)
    await ui.settle()


def statuses(ui: ScreenDriver) -> list[str]:
    return [c.status for c in reversed(ui.screen.ids.answer.children) if isinstance(c, CriterionResultCard)]


async def test_staff_work_out_made_up_facts_with_the_policy_engine(ui: ScreenDriver, world: DemoWorld) -> None:
    app = ui.app
    await open_form(ui, world)
    # Nothing entered: every fact is "not known", so the answer is "can't tell", never a yes.
    await work_it_out(ui)
    assert ui.shows(translate("outcome.undetermined", "zh-CN"))
    assert set(statuses(ui)) == {"unknown"}

    yes, no = translate("whatif.yes", "zh-CN"), translate("whatif.no", "zh-CN")
    answer_by_text(ui, "serious_dishonesty_listed", no)
    answer_by_text(ui, "abnormal_operations_listed", no)
    answer_by_text(ui, "credit_commitment_on_file", yes)
    answer_by_text(ui, "tax_credit_grade", "C")
    answer_by_text(ui, "last_penalty_class", translate("whatif.none", "zh-CN"))
    type_into(ui, "last_penalty_date", "none")
    ui.screen.ids.on.text = "2026-12-01"
    await work_it_out(ui)
    assert not ui.screen.ids.problem.text
    # Online here (the demo backend's POST /v1/simulate): the same engine as `policy simulate`.
    assert ui.shows(translate("whatif.mode.online", "zh-CN"))
    facts = {
        "serious_dishonesty_listed": False,
        "abnormal_operations_listed": False,
        "credit_commitment_on_file": True,
        "tax_credit_grade": "C",
        "last_penalty_class": "none",
        "last_penalty_date": "none",
    }
    engine = Simulator(load_catalog(), read_facts_table(DEFAULT_POLICY_DIR / "FACTS.md"))
    expected = engine.run(BENEFIT, facts, on=date(2026, 12, 1), locale="zh-CN")
    assert expected.outcome.value == "not_eligible"
    assert ui.shows(translate("outcome.not_eligible", "zh-CN"))
    by_status = sorted(c.status.value for c in expected.criteria)
    assert sorted(statuses(ui)) == by_status and statuses(ui)[0] == "failed"

    # A typo is refused by field name, with no answer shown.
    type_into(ui, "last_penalty_date", "2026-13-45")
    await work_it_out(ui)
    assert "last_penalty_date" in ui.screen.ids.problem.text and not ui.screen.ids.answer.children

    # Leaving clears everything: the next time the form is empty and there is no answer.
    ui.tap_key("whatif.back")
    assert ui.screen.name == "staff"
    ui.tap_key("staff.what_if")
    await ui.settle()
    assert not ui.screen.ids.answer.children and not ui.screen.ids.problem.text
    entries = [w for w in ui.widgets() if isinstance(w, FactInput) and isinstance(w.parent, FactRow)]
    assert entries and all(not e.text for e in entries)
    chosen = [w for w in ui.widgets() if isinstance(w, ChoiceButton) and w.chosen]
    assert {w.text for w in chosen} == {translate("whatif.unknown", "zh-CN")}
    ui.tap_key("whatif.back")
    app.close_staff()


async def test_without_the_backend_it_decides_with_the_kiosks_signed_policy(ui: ScreenDriver, world: DemoWorld) -> None:
    app = ui.app
    runtime = app.runtime
    usual = runtime.what_if
    sync = world.station.sync
    # The kiosk's own backend client, pointed at a closed loopback port.
    async with BackendClient("http://127.0.0.1:9", "token", "kiosk-0001") as dead:
        runtime.what_if = WhatIf(
            lambda: sync.current.catalog, lambda: read_facts_table(DEFAULT_POLICY_DIR / "FACTS.md"), dead.simulate
        )
        try:
            await open_form(ui, world)
            answer_by_text(ui, "tax_credit_grade", "A")
            await work_it_out(ui)
            assert ui.shows(translate("whatif.mode.offline", "zh-CN"))
            assert "passed" in statuses(ui) and "unknown" in statuses(ui)
            ui.tap_key("whatif.back")
        finally:
            runtime.what_if = usual
            app.close_staff()


def keypad_on_screen() -> FactKeypad:
    keypads = [w for w in Window.children if isinstance(w, FactKeypad)]
    assert len(keypads) == 1, keypads
    return keypads[0]


def key(keypad: FactKeypad, text: str) -> object:
    return next(w for w in keypad.walk(restrict=True) if isinstance(w, Button) and w.text == text)


async def test_a_tap_on_a_date_or_number_opens_a_keypad_of_the_keys_it_takes(
    ui: ScreenDriver, world: DemoWorld
) -> None:
    # The kiosk has a touch screen and no keyboard: dates and numbers are typed on a keypad.
    app = ui.app
    await open_form(ui, world)
    row = fact_row(ui, "last_penalty_date")
    entry = next(w for w in row.walk(restrict=True) if isinstance(w, FactInput))
    ui.tap(entry)
    keypad = keypad_on_screen()
    assert keypad.target is entry
    for char in "2019-03-01":
        ui.tap(key(keypad, char))
    assert entry.text == "2019-03-01" and keypad.ids.shown.text == "2019-03-01"
    ui.tap(keypad.ids.delete)
    ui.tap(key(keypad, "2"))
    assert entry.text == "2019-03-02"
    # "No penalty on record" is a key of its own for this fact.
    ui.tap(keypad.ids.none)
    assert entry.text == "none"
    ui.tap(key(keypad, "2"))
    assert entry.text == "2", "a digit after none starts a date"
    ui.tap(keypad.ids.empty)
    for char in "2019-03-01":
        ui.tap(key(keypad, char))
    ui.tap(keypad.ids.done)
    assert not [w for w in Window.children if isinstance(w, FactKeypad)]
    await work_it_out(ui)
    assert not ui.screen.ids.problem.text
    facts = ui.screen.facts()
    assert facts["last_penalty_date"] == "2019-03-01"

    # The day field takes no "none"; leaving the screen with a keypad open closes it too.
    ui.tap(ui.screen.ids.on)
    keypad = keypad_on_screen()
    assert keypad.target.uid == ui.screen.ids.on.uid and not keypad.ids.none.shown and keypad.ids.none.disabled
    app.close_staff()
    await ui.settle()
    assert not [w for w in Window.children if isinstance(w, FactKeypad)]
