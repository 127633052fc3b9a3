"""Printing through the session: SlipDesk and the real slip driver on the pty printer simulator.

Whatever the printer says comes back as a result the screen words; a result that arrives after
the session ended reaches nobody; a second press while a slip prints does not print twice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from hardware.printer import QR_PRINT, SlipPrinter
from hardware.simulators import SimulatedPrinter
from kiosk.core.catalog import translate
from kiosk.core.text import LocalText
from kiosk.session.printing import RESULT_KEYS, PrintResult, SlipDesk, decision_slip, help_slip
from kiosk.session.readout import Site, short_reference
from tests.session.receipt_fixtures import FACT_VALUE, SUBJECT, decision, signed

SITE = Site(counter=LocalText("3号窗口", "Counter 3"))


async def printed(sim: SimulatedPrinter, task: asyncio.Task[PrintResult] | None) -> tuple[PrintResult, bytes]:
    assert task is not None
    result = await task
    for _ in range(100):
        data = sim.printed()
        if data.endswith(b"\x1d\x56\x42\x00") or result is not PrintResult.PRINTED:
            break
        await asyncio.sleep(0.01)
    return result, sim.printed()


async def test_a_receipt_slip_prints_what_the_issue_lists_and_no_reason() -> None:
    made = signed(decision(), ed25519.Ed25519PrivateKey.generate())
    with SimulatedPrinter() as sim:
        desk = SlipDesk(SlipPrinter(sim.port_path), lambda: SITE)
        seen: list[PrintResult | None] = []
        desk.subscribe(seen.append)
        result, data = await printed(sim, desk.print_receipt(made, "信易批 · 容缺受理", "zh-CN"))
    assert result is PrintResult.PRINTED and seen == [PrintResult.PRINTING, PrintResult.PRINTED]
    text = data.decode("gb18030", "replace")
    for expected in (
        "信易批 · 容缺受理",
        translate("outcome.not_eligible", "zh-CN"),
        "× 纳税信用等级",
        "√ 严重失信主体名单",
        "不满足",
        short_reference(made.decision_id),
        "3号窗口",
        "有效期至",
    ):
        assert expected in text, expected
    assert FACT_VALUE not in text and "可申请信用修复" not in text  # reasons and remedies stay on screen
    assert made.receipt is not None and made.receipt.encode() in data and QR_PRINT in data
    assert SUBJECT.split(":")[1] not in text


def test_the_slip_in_english_has_english_words_and_local_times() -> None:
    made = decision()
    slip = decision_slip(made, "Expedited permit", "en", SITE)
    assert slip.outcome == "Not eligible" and slip.receipt is None and slip.receipt_caption == ""
    assert [c.status_text for c in slip.criteria] == ["Not met", "Met"]  # failed first
    assert "Counter: Counter 3" in slip.details
    assert any(line.startswith("Valid until: ") for line in slip.details)


def test_the_help_ticket_carries_the_counter_the_reference_and_the_time() -> None:
    moment = datetime(2026, 12, 1, 7, 8, tzinfo=UTC)
    ticket = help_slip(decision(), "zh-CN", SITE, moment)
    assert "3号窗口" in ticket.body and ticket.reference == short_reference(decision().decision_id)
    assert ticket.details == ("打印时间：2026年12月1日 15:08",)


@pytest.mark.parametrize(
    ("trouble", "expected"),
    [("paper_out", PrintResult.OUT_OF_PAPER), ("switch_off", PrintResult.OFFLINE), ("unplug", PrintResult.UNPLUGGED)],
)
async def test_printer_trouble_is_a_result_in_words_and_nothing_is_retried(trouble: str, expected: PrintResult) -> None:
    with SimulatedPrinter() as sim:
        getattr(sim, trouble)()
        desk = SlipDesk(SlipPrinter(sim.port_path, status_timeout=0.2), lambda: SITE)
        result, data = await printed(sim, desk.print_ticket(decision(), "en"))
        assert result is expected and desk.result is expected and not desk.busy
        assert translate(RESULT_KEYS[expected], "en")
        await asyncio.sleep(0.3)
        assert data == b"" and sim.printed() == b""
        queries = list(sim.status_queries)
        await asyncio.sleep(0.3)
        assert sim.status_queries == queries  # no second attempt behind the person's back


async def test_one_slip_at_a_time_and_a_late_result_reaches_nobody() -> None:
    with SimulatedPrinter() as sim:
        desk = SlipDesk(SlipPrinter(sim.port_path), lambda: SITE)
        first = desk.print_ticket(None, "zh-CN")
        assert first is not None and desk.busy
        assert desk.print_ticket(None, "zh-CN") is None  # a second press while printing
        desk.session_ended()
        assert desk.result is None
        assert await first is PrintResult.PRINTED
        assert desk.result is None  # the next person is not told about the last one's slip


async def test_without_a_printer_nothing_is_offered() -> None:
    desk = SlipDesk(None, lambda: SITE)
    assert not desk.available and desk.print_receipt(decision(), "x", "en") is None
