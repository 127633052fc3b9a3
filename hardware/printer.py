"""Optional ESC/POS slip printer on a serial port: prints a decision slip, nothing personal.

The slip is built from a plain data object that has no field for an identifier or a name, and
every text is checked once more before printing: anything shaped like a resident ID number or
a Unified Social Credit Code with a valid check character is refused.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric, uscc

from hardware.base import DeviceStatus, EventStream
from hardware.errors import DeviceError, PortNotFound, PrinterError, SlipContainsIdentifier
from hardware.ports import SerialLink

# ESC/POS commands (Epson ESC/POS reference; FS & is the Chinese-mode command of GB18030
# printers sold in China).
INIT = b"\x1b\x40"
CHINESE_MODE = b"\x1c\x26"
ALIGN_LEFT = b"\x1b\x61\x00"
ALIGN_CENTRE = b"\x1b\x61\x01"
BOLD_ON, BOLD_OFF = b"\x1b\x45\x01", b"\x1b\x45\x00"
DOUBLE_SIZE, NORMAL_SIZE = b"\x1d\x21\x11", b"\x1d\x21\x00"
FEED_AND_CUT = b"\x1b\x64\x04\x1d\x56\x42\x00"
ENCODING = "gb18030"

STATUS_MARKS = {"passed": "√", "failed": "×", "unknown": "?"}


@dataclass(frozen=True, slots=True)
class SlipCriterion:
    title: str
    status: str  # "passed" | "failed" | "unknown"
    reason: str


@dataclass(frozen=True, slots=True)
class DecisionSlip:
    """Everything a slip shows, already in the applicant's language."""

    benefit_title: str
    outcome: str
    criteria: tuple[SlipCriterion, ...]
    decision_id: str
    decided_on: date
    objection: str  # where and how to object or ask for a person to look again
    heading: str = "信易自助核验凭条 Eligibility check"


_RIC_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_USCC_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{18}(?![0-9A-Za-z])")


def _looks_like_identifier(text: str) -> bool:
    for match in _RIC_LIKE.finditer(text):
        number = match.group().upper()
        if ric.calc_check_digit(number) == number[-1]:
            return True
    for match in _USCC_LIKE.finditer(text):
        code = match.group().upper()
        try:
            if uscc.calc_check_digit(code[:17]) == code[17]:
                return True
        except (ValueError, KeyError):
            continue
    return False


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def wrap(text: str, columns: int) -> list[str]:
    """Wrap by printed width (a CJK character takes two columns)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line, used = "", 0
        for char in paragraph:
            if used + _width(char) > columns:
                lines.append(line.rstrip())
                line, used = "", 0
                if char == " ":
                    continue
            line += char
            used += _width(char)
        lines.append(line.rstrip())
    return lines


def build_slip_bytes(slip: DecisionSlip, *, columns: int = 32) -> bytes:
    """The exact bytes sent to the printer (58 mm paper: 32 columns)."""
    texts: Iterable[str] = (
        slip.heading, slip.benefit_title, slip.outcome, slip.decision_id, slip.objection,
        *(part for c in slip.criteria for part in (c.title, c.reason)),
    )
    if any(_looks_like_identifier(text) for text in texts):
        raise SlipContainsIdentifier("slip text looks like a personal identifier; not printed")
    for criterion in slip.criteria:
        if criterion.status not in STATUS_MARKS:
            raise PrinterError(f"unknown criterion status {criterion.status!r}")

    def text(value: str) -> bytes:
        return "".join(line + "\n" for line in wrap(value, columns)).encode(ENCODING, "replace")

    out = bytearray(INIT + CHINESE_MODE + ALIGN_CENTRE + BOLD_ON)
    out += text(slip.heading)
    out += DOUBLE_SIZE + text(slip.outcome) + NORMAL_SIZE + BOLD_OFF
    out += text(slip.benefit_title) + ALIGN_LEFT + text("-" * columns)
    for criterion in slip.criteria:
        out += BOLD_ON + text(f"{STATUS_MARKS[criterion.status]} {criterion.title}") + BOLD_OFF
        out += text("  " + criterion.reason)
    out += text("-" * columns)
    out += text(f"{slip.decision_id}") + text(slip.decided_on.isoformat())
    out += text(slip.objection) + FEED_AND_CUT
    return bytes(out)


class SlipPrinter(EventStream):
    """Opens the port for each slip (printers are often switched off between uses)."""

    def __init__(self, port: str, *, baud: int = 9600, columns: int = 32) -> None:
        super().__init__()
        self.port = port
        self.baud = baud
        self.columns = columns

    async def _run(self) -> None:
        await asyncio.Event().wait()  # status changes come from print_slip

    async def print_slip(self, slip: DecisionSlip) -> None:
        data = build_slip_bytes(slip, columns=self.columns)
        try:
            await asyncio.to_thread(self._write, data)
        except PortNotFound as exc:
            self._set_status(DeviceStatus.NO_DEVICE, exc)
            raise PrinterError(exc.detail) from None
        except PrinterError as exc:
            self._set_status(DeviceStatus.ERROR, exc)
            raise
        except DeviceError as exc:
            self._set_status(DeviceStatus.ERROR, exc)
            raise PrinterError(exc.detail) from None
        self._set_status(DeviceStatus.READY)

    def _write(self, data: bytes) -> None:
        link = SerialLink.open(self.port, self.baud)
        try:
            link.write(data)
            link.drain()
        except Exception as exc:
            raise PrinterError(f"printing on {link.path} failed ({type(exc).__name__})") from None
        finally:
            link.close()


__all__ = ["DecisionSlip", "SlipCriterion", "SlipPrinter", "build_slip_bytes"]
