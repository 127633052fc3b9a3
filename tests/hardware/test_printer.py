"""The ESC/POS slip: built from plain objects, written to a real pty, read back byte for byte;
the printer's own status (paper, cover, power) is asked before anything is sent."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.base import DeviceStatus
from hardware.errors import (
    PrinterError,
    PrinterOffline,
    PrinterOutOfPaper,
    PrinterUnplugged,
    SlipContainsIdentifier,
)
from hardware.printer import (
    FEED_AND_CUT,
    INIT,
    QR_PRINT,
    DecisionSlip,
    HelpSlip,
    SlipCriterion,
    SlipPrinter,
    build_slip_bytes,
    qr_command,
    wrap,
)
from hardware.simulators import SimulatedPrinter, synthetic_id_number

RECEIPT = "XKR:" + "6BFOXN*TS0BI$ZD-PHQ7I9AD66V5B22CH9M9ESI9XBHXK-%69LQOGI.*V76GCV4*XUA2P-FHT-HNXHM" * 3


def slip(**changes: object) -> DecisionSlip:
    base = DecisionSlip(
        heading="信易自助核验凭条",
        benefit_title="信易批 · 容缺受理 Expedited permit",
        outcome="不符合条件",
        criteria=(
            SlipCriterion("严重失信主体名单", "passed", "满足"),
            SlipCriterion("纳税信用等级", "failed", "不满足"),
            SlipCriterion("行政许可记录", "unknown", "暂不确定"),
        ),
        details=("核验编号：K7QM-2XHD", "核验时间：2026年12月1日 15:08", "办理窗口：3号窗口"),
        receipt=RECEIPT,
        receipt_caption="扫码核验本凭条",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_slip_carries_the_decision_in_gb18030_a_qr_and_ends_with_a_cut() -> None:
    data = build_slip_bytes(slip())
    assert data.startswith(INIT) and data.endswith(FEED_AND_CUT)
    text = data.decode("gb18030", "replace")
    for expected in (
        "信易批",
        "不符合",
        "× 纳税信用等级",
        "√ 严重失信主体名单",
        "? 行政许可记录",
        "K7QM-2XHD",
        "2026年12月1日 15:08",
        "3号窗口",
    ):
        assert expected in text
    # GS ( k: the receipt stored (fn 180, length = data + 3) and printed (fn 181).
    store = b"\x1d\x28\x6b" + (len(RECEIPT) + 3).to_bytes(2, "little") + b"\x31\x50\x30" + RECEIPT.encode()
    assert store in data and QR_PRINT in data
    assert data.index(store) < data.index(QR_PRINT)


def test_the_qr_module_size_fits_the_paper() -> None:
    command = qr_command(RECEIPT, dots=384)
    module = command[command.index(b"\x31\x43") + 2]
    assert 1 <= module <= 8
    assert qr_command("XKR:ABC", dots=384)[command.index(b"\x31\x43") + 2] == 8  # small code, big modules
    with pytest.raises(PrinterError):
        qr_command("", dots=384)


def test_a_slip_without_a_receipt_prints_no_qr() -> None:
    assert QR_PRINT not in build_slip_bytes(slip(receipt=None))


@pytest.mark.parametrize("identifier", [synthetic_id_number(), "91110000600037341L"])
def test_a_slip_that_would_print_an_identifier_is_refused(identifier: str) -> None:
    for changed in (slip(details=(f"申请人 {identifier}",)), HelpSlip("h", "b", identifier)):
        with pytest.raises(SlipContainsIdentifier) as caught:
            build_slip_bytes(changed)
        assert identifier not in str(caught.value)


def test_a_receipt_that_is_not_receipt_shaped_is_refused() -> None:
    for bad in ("not a receipt", "XKR:" + "\x10\x04\x04", "XKR:lowercase"):
        with pytest.raises(PrinterError):
            build_slip_bytes(slip(receipt=bad))


def test_an_unknown_criterion_status_is_a_printer_error() -> None:
    with pytest.raises(PrinterError):
        build_slip_bytes(slip(criteria=(SlipCriterion("x", "maybe", "y"),)))


def test_the_help_ticket_names_the_counter_and_shows_the_reference_large() -> None:
    data = build_slip_bytes(HelpSlip("请工作人员协助", "请持本票到3号窗口。", "K7QM-2XHD", ("打印时间：15:08",)))
    text = data.decode("gb18030")
    assert "3号窗口" in text and "K7QM-2XHD" in text and "15:08" in text
    assert QR_PRINT not in data and data.endswith(FEED_AND_CUT)


def test_wrapping_counts_chinese_characters_as_two_columns() -> None:
    assert wrap("信" * 20, 32) == ["信" * 16, "信" * 4]
    assert wrap("abc def", 4) == ["abc", "def"]
    # A closing bracket never starts a line: the character before it goes down with it.
    assert wrap("√ 近12个月的行政处罚（一般及以上）", 32) == ["√ 近12个月的行政处罚（一般及以", "上）"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80), st.sampled_from(["passed", "failed", "unknown"]))
def test_any_text_either_builds_a_slip_or_is_refused_with_a_printer_error(text: str, status: str) -> None:
    try:
        data = build_slip_bytes(slip(benefit_title=text, criteria=(SlipCriterion(text, status, text),)))
    except PrinterError:
        return
    assert data.startswith(INIT) and data.endswith(FEED_AND_CUT)


async def wait_printed(sim: SimulatedPrinter, size: int) -> bytes:
    for _ in range(300):
        if len(sim.printed()) >= size:
            break
        await asyncio.sleep(0.01)
    return sim.printed()


async def test_printing_over_a_pty_asks_the_status_then_sends_exactly_the_slip_bytes() -> None:
    with SimulatedPrinter() as sim:
        printer = SlipPrinter(sim.port_path, baud=9600)
        await printer.print_slip(slip())
        expected = build_slip_bytes(slip())
        assert await wait_printed(sim, len(expected)) == expected
        assert sim.status_queries == [2, 4]
        assert printer.status is DeviceStatus.READY and not printer.paper_low


async def test_out_of_paper_sends_nothing_and_says_so() -> None:
    with SimulatedPrinter() as sim:
        sim.paper_out()
        printer = SlipPrinter(sim.port_path)
        with pytest.raises(PrinterOutOfPaper) as caught:
            await printer.print_slip(slip())
        assert "纸" in caught.value.message("zh-CN") and "paper" in caught.value.message("en")
        assert printer.status is DeviceStatus.ERROR
        await asyncio.sleep(0.05)
        assert sim.printed() == b""
        sim.load_paper()
        await printer.print_slip(slip())  # the next press prints; nothing printed on its own before
        assert printer.status is DeviceStatus.READY


async def test_a_switched_off_printer_or_an_open_cover_is_offline() -> None:
    with SimulatedPrinter() as sim:
        sim.switch_off()
        printer = SlipPrinter(sim.port_path, status_timeout=0.2)
        with pytest.raises(PrinterOffline):
            await printer.print_slip(slip())
        sim.switch_on()
        sim.open_cover()
        with pytest.raises(PrinterOffline) as caught:
            await printer.print_slip(slip())
        assert "cover" in caught.value.detail
        assert sim.printed() == b""


async def test_a_roll_near_its_end_still_prints_and_is_noted() -> None:
    with SimulatedPrinter() as sim:
        sim.paper_low = True
        printer = SlipPrinter(sim.port_path)
        await printer.print_slip(slip())
        assert printer.paper_low


async def test_a_missing_or_unplugged_printer_is_unplugged_with_words_for_people(tmp_path: Path) -> None:
    printer = SlipPrinter(str(tmp_path / "no-printer"))
    with pytest.raises(PrinterUnplugged) as caught:
        await printer.print_slip(slip())
    assert caught.value.message("zh-CN") and caught.value.message("en")
    assert printer.status is DeviceStatus.NO_DEVICE
    with SimulatedPrinter() as sim:
        printer = SlipPrinter(sim.port_path)
        await printer.print_slip(slip())
        sim.unplug()
        with pytest.raises(PrinterUnplugged):
            await printer.print_slip(slip())
        assert printer.status is DeviceStatus.DISCONNECTED
