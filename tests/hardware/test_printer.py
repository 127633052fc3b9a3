"""The ESC/POS slip: built from a plain object, written to a real pty, read back byte for byte."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date
from pathlib import Path

import pytest

from hardware.base import DeviceStatus
from hardware.errors import PrinterError, SlipContainsIdentifier
from hardware.printer import (
    FEED_AND_CUT,
    INIT,
    DecisionSlip,
    SlipCriterion,
    SlipPrinter,
    build_slip_bytes,
    wrap,
)
from hardware.simulators import SimulatedPrinter, synthetic_id_number


def slip(**changes: object) -> DecisionSlip:
    base = DecisionSlip(
        benefit_title="信易批 · 容缺受理 Expedited permit",
        outcome="不符合 Not eligible",
        criteria=(
            SlipCriterion("无严重失信记录", "passed", "截至 2026-11-20 未发现"),
            SlipCriterion("纳税信用等级 A 或 B", "failed", "当前等级为 C；可申请信用修复"),
            SlipCriterion("行政许可记录", "unknown", "数据源暂不可用"),
        ),
        decision_id="D-7F3K-20261125",
        decided_on=date(2026, 11, 25),
        objection="如有异议，请到 3 号窗口或登录信用中国提出。",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_slip_carries_the_decision_in_gb18030_and_ends_with_a_cut() -> None:
    data = build_slip_bytes(slip())
    assert data.startswith(INIT) and data.endswith(FEED_AND_CUT)
    text = data.decode("gb18030", "replace")
    for expected in (
        "信易批",
        "不符合",
        "× 纳税信用等级",
        "√ 无严重失信记录",
        "? 行政许可记录",
        "D-7F3K-20261125",
        "2026-11-25",
        "3 号窗口",
    ):
        assert expected in text


@pytest.mark.parametrize("identifier", [synthetic_id_number(), "91110000600037341L"])
def test_a_slip_that_would_print_an_identifier_is_refused(identifier: str) -> None:
    with pytest.raises(SlipContainsIdentifier) as caught:
        build_slip_bytes(slip(objection=f"申请人 {identifier}"))
    assert identifier not in str(caught.value)


def test_an_unknown_criterion_status_is_a_printer_error() -> None:
    with pytest.raises(PrinterError):
        build_slip_bytes(slip(criteria=(SlipCriterion("x", "maybe", "y"),)))


def test_wrapping_counts_chinese_characters_as_two_columns() -> None:
    assert wrap("信" * 20, 32) == ["信" * 16, "信" * 4]
    assert wrap("abc def", 4) == ["abc", "def"]


async def test_printing_over_a_pty_sends_exactly_the_slip_bytes() -> None:
    with SimulatedPrinter() as sim:
        printer = SlipPrinter(sim.port_path, baud=9600)
        await printer.print_slip(slip())
        expected = build_slip_bytes(slip())
        for _ in range(200):
            if len(sim.printed()) >= len(expected):
                break
            await asyncio.sleep(0.01)
        assert sim.printed() == expected
        assert printer.status is DeviceStatus.READY


async def test_a_missing_printer_is_a_printer_error_with_words_for_people(tmp_path: Path) -> None:
    printer = SlipPrinter(str(tmp_path / "no-printer"))
    with pytest.raises(PrinterError) as caught:
        await printer.print_slip(slip())
    assert caught.value.message("zh-CN")
    assert printer.status is DeviceStatus.NO_DEVICE
