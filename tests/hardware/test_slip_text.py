"""Playing a slip's ESC/POS bytes back as text: what the README shows and a person would read."""

from __future__ import annotations

import segno

from hardware.printer import HelpSlip, build_slip_bytes
from hardware.simulators import SimulatedPrinter
from hardware.slip_text import slip_as_text
from tests.hardware.test_printer import RECEIPT, slip, wait_printed


def test_a_slip_reads_back_line_by_line_with_its_qr_and_the_cut() -> None:
    text = slip_as_text(build_slip_bytes(slip()))
    lines = text.splitlines()
    assert lines[0].strip() == "信易自助核验凭条" and lines[0].startswith(" ")  # centred
    assert "× 纳税信用等级" in lines and "核验编号：K7QM-2XHD" in lines
    assert lines[-1].startswith("✂")
    # The symbol, two module rows a line, every module there: the whole matrix in order.
    modules = segno.make_qr(RECEIPT, error="m", boost_error=False).symbol_size(border=2)[0]
    start = next(i for i, line in enumerate(lines) if len(line) == modules and set(line) <= set(" █▀▄"))
    qr = lines[start : start + (modules + 1) // 2]
    assert all(len(line) == modules and set(line) <= set(" █▀▄") for line in qr)
    dark = sum(line.count("█") * 2 + line.count("▀") + line.count("▄") for line in qr)
    matrix = segno.make_qr(RECEIPT, error="m", boost_error=False).matrix
    assert dark == sum(sum(row) for row in matrix)


def test_a_ticket_reads_back_without_a_qr() -> None:
    text = slip_as_text(build_slip_bytes(HelpSlip("请工作人员协助", "请持本票到3号窗口。", "K7QM-2XHD")))
    assert "K7QM-2XHD" in text and "█" not in text


async def test_what_the_simulator_received_reads_back_as_the_slip() -> None:
    from hardware.printer import SlipPrinter

    with SimulatedPrinter() as sim:
        await SlipPrinter(sim.port_path).print_slip(slip())
        data = await wait_printed(sim, len(build_slip_bytes(slip())))
    assert slip_as_text(data) == slip_as_text(build_slip_bytes(slip()))
