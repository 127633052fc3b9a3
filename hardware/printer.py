"""Optional ESC/POS slip printer on a serial port: prints a decision slip, nothing personal.

A slip is built from plain data objects that have no field for an identifier, a name or a
fact, and every text is checked once more before printing: anything shaped like a resident ID
number or a Unified Social Credit Code with a valid check character is refused. The receipt
QR carries only what the signed receipt carries (no identifier by construction); it is checked
for the receipt's shape instead, since base45 text can look like anything.

Before a slip is sent the printer is asked for its status (DLE EOT), so "out of paper" and
"switched off" are told to the person instead of a slip that never comes out.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from hardware.base import DeviceStatus, EventStream
from hardware.errors import (
    DeviceDisconnected,
    DeviceError,
    PortNotFound,
    PrinterError,
    PrinterOffline,
    PrinterOutOfPaper,
    PrinterUnplugged,
    SlipContainsIdentifier,
)
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

# Real-time status (DLE EOT n): one byte back, bits 1 and 4 always on, 0 and 7 always off.
STATUS_OFFLINE = b"\x10\x04\x02"  # bit 2 cover open, bit 5 stopped at paper end, bit 6 error
STATUS_PAPER = b"\x10\x04\x04"  # bits 2-3 roll near its end, bits 5-6 paper end
STATUS_FIXED_MASK, STATUS_FIXED = 0x93, 0x12
COVER_OPEN, PAPER_END_STOP, ERROR_BIT = 0x04, 0x20, 0x40
PAPER_NEAR_END, PAPER_END = 0x0C, 0x60

# QR code, GS ( k (function 165 model, 167 module size, 169 error level, 180 store, 181 print).
QR_MODEL_2 = b"\x1d\x28\x6b\x04\x00\x31\x41\x32\x00"
QR_ERROR_M = b"\x1d\x28\x6b\x03\x00\x31\x45\x31"
QR_PRINT = b"\x1d\x28\x6b\x03\x00\x31\x51\x30"
QR_MAX_DATA = 7089  # the largest QR code's numeric capacity; far above any receipt
DOTS_PER_COLUMN = 12  # 12x24 font: 32 columns on 58 mm paper (384 dots), 48 on 80 mm
_RECEIPT_SHAPE = re.compile(r"[A-Z0-9]{2,8}:[0-9A-Z $%*+\-./:]{1,7000}")

STATUS_MARKS = {"passed": "√", "failed": "×", "unknown": "?"}


@dataclass(frozen=True, slots=True)
class SlipCriterion:
    title: str
    status: str  # "passed" | "failed" | "unknown"
    status_text: str  # the status in words ("满足", "Not met"); never a reason, which may hold a fact


@dataclass(frozen=True, slots=True)
class DecisionSlip:
    """Everything a decision slip shows, already in the applicant's language."""

    heading: str
    benefit_title: str
    outcome: str
    criteria: tuple[SlipCriterion, ...]
    details: tuple[str, ...]  # reference, time, valid until, counter: one line each
    receipt: str | None = None  # the signed receipt, printed as a QR code
    receipt_caption: str = ""  # what the QR is for ("scan to verify")


@dataclass(frozen=True, slots=True)
class HelpSlip:
    """The call-staff ticket: where to go and the reference staff look the case up by."""

    heading: str
    body: str
    reference: str
    details: tuple[str, ...] = ()


Slip = DecisionSlip | HelpSlip

_RIC_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_USCC_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{18}(?![0-9A-Za-z])")


def _looks_like_identifier(text: str) -> bool:
    # Imported when a slip is checked, not at start: python-stdnum imports pydoc and ssl.
    from stdnum.cn import ric, uscc

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


# Closing punctuation never starts a line (the CJK line-breaking rule the screen follows too).
_CLOSING = "，。、；：？！）》」』”’,.;:?!)"


def wrap(text: str, columns: int) -> list[str]:
    """Wrap by printed width (a CJK character takes two columns), no line starting with "）"."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line, used = "", 0
        for char in paragraph:
            if used + _width(char) > columns:
                carried = ""
                if char in _CLOSING and len(line) > 1:
                    line, carried = line[:-1], line[-1]  # the word before it goes down with it
                lines.append(line.rstrip())
                line, used = carried, sum(_width(c) for c in carried)
                if char == " ":
                    continue
            line += char
            used += _width(char)
        lines.append(line.rstrip())
    return lines


def _texts(slip: Slip) -> Iterable[str]:
    if isinstance(slip, HelpSlip):
        return (slip.heading, slip.body, slip.reference, *slip.details)
    return (
        slip.heading,
        slip.benefit_title,
        slip.outcome,
        slip.receipt_caption,
        *slip.details,
        *(part for c in slip.criteria for part in (c.title, c.status_text)),
    )


def qr_command(payload: str, *, dots: int) -> bytes:
    """GS ( k: model 2, error level M, the largest module size that fits `dots`, then print."""
    data = payload.encode("ascii")
    if not data or len(data) > QR_MAX_DATA:
        raise PrinterError(f"a QR payload of {len(data)} bytes cannot be printed")
    # Imported when a QR is printed, not at start: segno's encoder and writers cost ~25 ms.
    import segno

    modules = segno.make_qr(payload, error="m", boost_error=False).symbol_size(border=4)[0]
    module_dots = max(1, min(8, dots // int(modules)))
    size = len(data) + 3
    return (
        QR_MODEL_2
        + b"\x1d\x28\x6b\x03\x00\x31\x43"
        + bytes([module_dots])
        + QR_ERROR_M
        + b"\x1d\x28\x6b"
        + bytes([size & 0xFF, size >> 8])
        + b"\x31\x50\x30"
        + data
        + QR_PRINT
    )


def build_slip_bytes(slip: Slip, *, columns: int = 32) -> bytes:
    """The exact bytes sent to the printer (58 mm paper: 32 columns)."""
    if any(_looks_like_identifier(text) for text in _texts(slip)):
        raise SlipContainsIdentifier("slip text looks like a personal identifier; not printed")

    def text(value: str) -> bytes:
        return "".join(line + "\n" for line in wrap(value, columns)).encode(ENCODING, "replace")

    rule = text("-" * columns)
    out = bytearray(INIT + CHINESE_MODE + ALIGN_CENTRE + BOLD_ON)
    out += text(slip.heading)
    if isinstance(slip, HelpSlip):
        out += BOLD_OFF + text(slip.body) + rule + BOLD_ON + DOUBLE_SIZE
        # Double size halves the columns a line has.
        out += "".join(line + "\n" for line in wrap(slip.reference, columns // 2)).encode(ENCODING, "replace")
        out += NORMAL_SIZE + BOLD_OFF + ALIGN_LEFT + rule
        for line in slip.details:
            out += text(line)
        return bytes(out + FEED_AND_CUT)
    for criterion in slip.criteria:
        if criterion.status not in STATUS_MARKS:
            raise PrinterError(f"unknown criterion status {criterion.status!r}")
    if slip.receipt is not None and not _RECEIPT_SHAPE.fullmatch(slip.receipt):
        raise PrinterError("the receipt does not have a receipt's shape; not printed")
    out += DOUBLE_SIZE + "".join(line + "\n" for line in wrap(slip.outcome, columns // 2)).encode(ENCODING, "replace")
    out += NORMAL_SIZE + BOLD_OFF
    out += text(slip.benefit_title) + ALIGN_LEFT + rule
    for criterion in slip.criteria:
        out += text(f"{STATUS_MARKS[criterion.status]} {criterion.title}")
        out += text(f"  {criterion.status_text}")
    out += rule
    for line in slip.details:
        out += text(line)
    if slip.receipt is not None:
        out += ALIGN_CENTRE + qr_command(slip.receipt, dots=columns * DOTS_PER_COLUMN)
        if slip.receipt_caption:
            out += text(slip.receipt_caption)
        out += ALIGN_LEFT
    return bytes(out + FEED_AND_CUT)


def _status_problem(query: bytes, reply: bytes) -> PrinterError | None:
    """What a DLE EOT answer says is wrong, if anything."""
    if len(reply) != 1:
        return PrinterOffline("the printer did not answer the status query")
    value = reply[0]
    if value & STATUS_FIXED_MASK != STATUS_FIXED:
        return PrinterOffline(f"the printer answered 0x{value:02X}, which is not a status byte")
    if query == STATUS_PAPER:
        return PrinterOutOfPaper("paper roll sensor: paper end") if value & PAPER_END else None
    if value & PAPER_END_STOP:
        return PrinterOutOfPaper("off line: stopped at paper end")
    if value & COVER_OPEN:
        return PrinterOffline("off line: cover open")
    if value & ERROR_BIT:
        return PrinterOffline("off line: printer error")
    return None


class SlipPrinter(EventStream):
    """Opens the port for each slip (printers are often switched off between uses).

    One attempt per slip: a failure is raised as the PrinterError that names it, and the
    caller tells the person; the driver never prints again by itself.
    """

    def __init__(self, port: str, *, baud: int = 9600, columns: int = 32, status_timeout: float = 0.5) -> None:
        super().__init__()
        self.port = port
        self.baud = baud
        self.columns = columns
        self.status_timeout = status_timeout
        self.paper_low = False  # the last status said the roll is near its end

    async def _run(self) -> None:
        await asyncio.Event().wait()  # status changes come from print_slip

    async def print_slip(self, slip: Slip) -> None:
        data = build_slip_bytes(slip, columns=self.columns)
        try:
            await asyncio.to_thread(self._print, data)
        except PrinterUnplugged as exc:
            seen = self._status is DeviceStatus.READY
            self._set_status(DeviceStatus.DISCONNECTED if seen else DeviceStatus.NO_DEVICE, exc)
            raise
        except PrinterError as exc:
            self._set_status(DeviceStatus.ERROR, exc)
            raise
        except DeviceError as exc:
            self._set_status(DeviceStatus.ERROR, exc)
            raise PrinterError(exc.detail) from None
        self._set_status(DeviceStatus.READY)

    def _print(self, data: bytes) -> None:
        try:
            link = SerialLink.open(self.port, self.baud)
        except PortNotFound as exc:
            raise PrinterUnplugged(exc.detail) from None
        try:
            self._check_ready(link)
            link.write(data)
            link.drain()
        except DeviceDisconnected as exc:
            raise PrinterUnplugged(exc.detail) from None
        except PrinterError:
            raise
        except Exception as exc:
            raise PrinterError(f"printing on {link.path} failed ({type(exc).__name__})") from None
        finally:
            link.close()

    def _check_ready(self, link: SerialLink) -> None:
        link.discard_input()
        for query in (STATUS_OFFLINE, STATUS_PAPER):
            link.write(query)
            reply = link.read_within(1, self.status_timeout)
            problem = _status_problem(query, reply)
            if problem is not None:
                raise problem
            if query == STATUS_PAPER:
                self.paper_low = bool(reply[0] & PAPER_NEAR_END)


__all__ = ["DecisionSlip", "HelpSlip", "Slip", "SlipCriterion", "SlipPrinter", "build_slip_bytes", "qr_command"]
