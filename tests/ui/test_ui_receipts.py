"""Receipts on screen and paper, on the real window with the pty printer simulator.

The result shows the receipt as a QR code beside the short reference; "Print slip" prints it
through the ESC/POS driver; out of paper and unplugged are said in words and the session goes
on; the call-staff ticket prints too; staff check a receipt and whose it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from demo.world import DemoWorld
from hardware.printer import QR_PRINT
from kiosk.i18n import translate
from kiosk.session.flow_view import FlowState
from kiosk.session.readout import short_reference
from kiosk.ui.driver import ScreenDriver
from kiosk.ui.qr_texture import qr_modules
from tests.ui.steps import BUSINESS, open_present, present

pytestmark = [pytest.mark.ui, pytest.mark.asyncio(loop_scope="session")]

CUT = b"\x1d\x56\x42\x00"


def business_subject(world: DemoWorld, outcome: str) -> str:
    """The code the demo's button for `outcome` scans (demo/codes.py picks it the same way)."""
    subject = next(
        s
        for s in world.subjects
        if s.kind == "business" and s.on_record and s.scheme == "uscc" and s.expected.get(BUSINESS) == outcome
    )
    return str(subject.value)


@pytest_asyncio.fixture(loop_scope="session")
async def printer(world: DemoWorld) -> AsyncIterator[Any]:
    sim = world.printer
    start = len(sim.printed())
    sim.load_paper()
    yield lambda: sim.printed()[start:]
    sim.load_paper()
    if not sim.plugged:
        sim.replug()


def notice_says(ui: ScreenDriver) -> str:
    notice = ui.app._print_notice
    return str(notice.ids.words.text) if notice is not None else ""


async def slip_out(read: Any) -> bytes:
    for _ in range(300):
        data: bytes = read()
        if data.endswith(CUT):
            return data
        await asyncio.sleep(0.01)
    raise AssertionError("no slip came out")


async def test_the_result_shows_the_receipt_qr_and_prints_the_slip(
    ui: ScreenDriver, world: DemoWorld, printer: Any
) -> None:
    await open_present(ui)
    await present(ui, world, "not_eligible")
    decision = ui.app.flow.view.decision
    assert decision is not None and decision.receipt is not None
    screen = ui.screen
    # The QR comes in the frame after the outcome: the receipt's symbol, module for module, with
    # whole pixels per module.
    await ui.wait_for(lambda: screen.ids.qr.texture is not None)
    texture = screen.ids.qr.texture
    modules = len(qr_modules(decision.receipt))
    assert texture is not None and texture.size == (modules, modules)
    assert screen.qr_side > 0 and screen.qr_side % modules == 0
    assert ui.shows(short_reference(decision.decision_id))
    ui.tap_key("result.print")
    await ui.wait_for(lambda: notice_says(ui) == translate("print.printed", "zh-CN"))
    data = await slip_out(printer)
    text = data.decode("gb18030", "replace").replace("\n", "")  # lines wrap at 32 columns
    benefit = ui.app.flow.view.benefit
    assert benefit is not None and benefit.title.get("zh-CN") in text
    assert short_reference(decision.decision_id) in text
    for criterion in decision.criteria:
        assert criterion.title in text
    assert decision.receipt.encode() in data and QR_PRINT in data
    assert ui.app.flow.view.state is FlowState.RESULT
    ui.tap(ui.app._print_notice.ids.close)
    assert ui.app._print_notice is None and ui.screen.name == "result"


@pytest.mark.parametrize("trouble", ["paper_out", "unplug"])
async def test_out_of_paper_or_unplugged_is_said_and_the_session_goes_on(
    ui: ScreenDriver, world: DemoWorld, printer: Any, trouble: str
) -> None:
    await open_present(ui)
    await present(ui, world, "eligible")
    getattr(world.printer, trouble)()
    ui.tap_key("result.print")
    words = translate(
        "print.out_of_paper" if trouble == "paper_out" else "print.unplugged",
        "zh-CN",
    )
    await ui.wait_for(lambda: notice_says(ui) == words)
    assert ui.app.flow.view.state is FlowState.RESULT and ui.screen.name == "result"
    assert not ui.by_id("print").disabled  # the person may press again; nothing retries alone
    await asyncio.sleep(0.3)
    assert printer() == b""
    ui.tap(ui.app._print_notice.ids.close)
    ui.tap_key("result.done")
    assert ui.screen.name == "idle"
    await open_present(ui)
    await present(ui, world, "eligible")
    # The next person is not told about the last one's printer.
    assert ui.app._print_notice is None and ui.app.slips.key == ""


async def test_the_call_staff_ticket_prints_where_a_printer_is_configured(
    ui: ScreenDriver, world: DemoWorld, printer: Any
) -> None:
    await open_present(ui)
    await present(ui, world, "not_eligible")
    decision = ui.app.flow.view.decision
    assert decision is not None
    ui.tap_key("help.call")
    ticket = ui.app._ticket
    assert ticket is not None
    await ui.wait_for(lambda: ticket.ids.print_status.text == translate("print.printed", "zh-CN"))
    text = (await slip_out(printer)).decode("gb18030")
    assert short_reference(decision.decision_id) in text
    assert ui.app.site.counter_name("zh-CN") in text
    ticket.dismiss(animation=False)


async def test_staff_check_a_receipt_and_whose_it_is(ui: ScreenDriver, world: DemoWorld) -> None:
    await open_present(ui)
    await present(ui, world, "eligible")
    decision = ui.app.flow.view.decision
    assert decision is not None and decision.receipt is not None
    receipt = decision.receipt
    ui.tap_key("result.done")
    runtime = world.station.runtime
    assert runtime.receipts is not None
    try:
        ui.tap_key("idle.staff")
        for digit in world.staff_pin:
            ui.tap_text(digit)
        ui.tap_key("pin.ok")
        # The staff screen is built once the PIN is checked: tap only what is on it.
        await ui.wait_for(lambda: ui.screen.name == "staff" and ui.screen.health is not None)
        ui.tap_key("receipt_check.open")
        await ui.wait_for(lambda: ui.screen.name == "receipt_check")
        assert ui.shows(translate("receipt_check.scan_receipt", "zh-CN"))
        world.scanner.present(receipt.encode())
        await ui.wait_for(lambda: ui.shows(translate("receipt_check.valid", "zh-CN")))
        assert ui.shows(translate("receipt_check.ask_subject", "zh-CN"))
        assert any("核验服务" in text for text in ui.texts())
        assert ui.app.flow.view.state is FlowState.IDLE  # the scan did not start a session
        right = business_subject(world, "eligible")
        other = "91350100M000100Y43" if right != "91350100M000100Y43" else "91110000600037341L"
        world.scanner.present(other.encode())
        await ui.wait_for(lambda: ui.shows(translate("receipt_check.not_matches", "zh-CN")))
        ui.tap_key("receipt_check.next")
        world.scanner.present(receipt.encode())
        await ui.wait_for(lambda: ui.shows(translate("receipt_check.ask_subject", "zh-CN")))
        world.scanner.present(right.encode())
        await ui.wait_for(lambda: ui.shows(translate("receipt_check.matches", "zh-CN")))
        ui.tap_key("receipt_check.back")
        assert ui.screen.name == "staff" and not runtime.receipts.holds_a_receipt
        ui.tap_key("staff.exit")
    finally:
        ui.app.close_staff()
