"""The resident ID-card SAM module protocol (GA 467 style), as far as this kiosk uses it.

Frame: AA AA AA 96 69 | LEN (2, big-endian) | CMD PARA (request) or SW1 SW2 SW3 (reply) |
DATA | XOR. LEN counts everything after itself, checksum included; the XOR covers LEN..DATA.
Sources and the full table are in hardware/README.md.

Replies land in a fixed-size bytearray that is never reallocated; a frame is handed to an
extractor as a memoryview and zeroed as soon as the extractor returns, so the photo bytes of a
read-base-info reply exist in exactly one place, for as long as it takes to take the text out.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import xor
from typing import Generic, TypeVar

from stdnum.cn import ric

from hardware.base import CardEvent
from hardware.errors import (
    CardDataError,
    SamBadLength,
    SamChecksumError,
    SamGarbage,
    UnsupportedCardType,
)

log = logging.getLogger(__name__)

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = 7  # preamble + length
MAX_LEN = 0x090A  # the longest reply (text + photo + fingerprint); anything longer is noise

# (CMD, PARA) pairs. There is deliberately no constant for 30 10 (read with fingerprint).
SAM_RESET = (0x10, 0xFF)
SAM_STATUS = (0x11, 0xFF)
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_BASE_INFO = (0x30, 0x01)
_FINGERPRINT_COMMAND = 0x10  # PARA of 30 xx that returns fingerprints: refused by build_command

SW3_OK = 0x90
SW3_CARD_FOUND = 0x9F
SW3_NO_CARD = 0x80
SW3_MEANINGS: dict[int, str] = {
    0x90: "success",
    0x9F: "find card success",
    0x91: "card has no such item",
    0x10: "checksum error in data sent to the SAM",
    0x11: "length error",
    0x21: "command error or wrong parameter",
    0x23: "unauthorised operation",
    0x24: "unrecognised error",
    0x31: "card failed to authenticate the SAM",
    0x32: "SAM failed to authenticate the card",
    0x33: "information verification failed",
    0x37: "fingerprint verification error",
    0x3F: "information length error",
    0x40: "unrecognised card type",
    0x41: "read card failed",
    0x47: "get random number failed",
    0x60: "SAM self-test failed",
    0x66: "SAM not authorised",
    0x80: "find card failed (no card)",
    0x81: "select card failed",
}
SUCCESS_CODES = frozenset({SW3_OK, SW3_CARD_FOUND})


def checksum(data: bytes | bytearray | memoryview) -> int:
    return reduce(xor, data, 0)


def build_command(command: tuple[int, int], data: bytes = b"") -> bytes:
    cmd, para = command
    if cmd == 0x30 and para == _FINGERPRINT_COMMAND:
        raise ValueError("the kiosk never reads fingerprints")
    length = 3 + len(data)
    body = bytes([length >> 8, length & 0xFF, cmd, para]) + data
    return PREAMBLE + body + bytes([checksum(body)])


def build_reply(sw3: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    """A module's reply frame (used by the simulator and tests)."""
    length = 4 + len(data)
    body = bytes([length >> 8, length & 0xFF, sw1, sw2, sw3]) + data
    return PREAMBLE + body + bytes([checksum(body)])


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SamReply(Generic[T]):
    sw1: int
    sw2: int
    sw3: int
    value: T | None  # what the extractor took out; None unless SW3 means success
    data_length: int


def ignore_data(data: memoryview) -> None:
    return None


class SamFrameBuffer:
    """Incremental reply parser over one fixed buffer; resynchronises on garbage."""

    def __init__(self, capacity: int = 8192) -> None:
        if capacity < HEADER_LEN + MAX_LEN:
            raise ValueError("buffer must hold the longest frame")
        self._buffer = bytearray(capacity)
        self._view = memoryview(self._buffer)
        self._fill = 0

    @property
    def pending(self) -> int:
        """Bytes held that are not yet a whole frame."""
        return self._fill

    def free_space(self) -> memoryview:
        """Where the next read should land (then call `commit`)."""
        if self._fill == len(self._buffer):
            # Full of bytes that never became a frame: they are garbage, keep the tail only.
            self._drop(self._fill - (len(PREAMBLE) - 1))
        return self._view[self._fill :]

    def commit(self, count: int) -> None:
        self._fill += count

    def feed(self, data: bytes) -> None:
        """Copy bytes in (for tests and simulators; drivers read straight into free_space)."""
        while data:
            space = self.free_space()
            take = min(len(space), len(data))
            space[:take] = data[:take]
            self.commit(take)
            data = data[take:]

    def _drop(self, count: int) -> None:
        """Remove `count` bytes from the front and zero what is no longer used."""
        count = min(count, self._fill)
        rest = self._fill - count
        if rest:
            self._view[:rest] = self._view[count : self._fill]
        self._view[rest : self._fill] = bytes(self._fill - rest)
        self._fill = rest

    def clear(self) -> None:
        self._drop(self._fill)

    def pop(self, extract: Callable[[memoryview], T]) -> SamReply[T] | None:
        """Return the next complete reply, or None when more bytes are needed.

        Raises a SamFrameError for bytes that cannot be a frame (they are dropped first, so the
        next call continues with what follows). `extract` sees the DATA of a successful reply
        and must copy out what it keeps: the frame is zeroed as soon as it returns.
        """
        start = self._buffer.find(PREAMBLE, 0, self._fill)
        if start < 0:
            keep = min(self._fill, len(PREAMBLE) - 1)
            while keep and not PREAMBLE.startswith(self._buffer[self._fill - keep : self._fill]):
                keep -= 1
            dropped = self._fill - keep
            if dropped:
                self._drop(dropped)
                raise SamGarbage(f"{dropped} bytes outside any frame skipped")
            return None
        if start:
            self._drop(start)
            raise SamGarbage(f"{start} bytes before the preamble skipped")
        if self._fill < HEADER_LEN:
            return None
        length = (self._buffer[5] << 8) | self._buffer[6]
        if not 4 <= length <= MAX_LEN:
            self._drop(1)
            raise SamBadLength(f"frame length {length} out of range")
        total = HEADER_LEN + length
        if self._fill < total:
            return None
        if checksum(self._view[5 : total - 1]) != self._buffer[total - 1]:
            self._drop(1)  # resynchronise on the next preamble, wherever it is
            raise SamChecksumError(f"bad checksum on a {total}-byte frame")
        sw1, sw2, sw3 = self._buffer[7], self._buffer[8], self._buffer[9]
        data = self._view[10 : total - 1]
        try:
            value = extract(data) if sw3 in SUCCESS_CODES else None
        finally:
            data.release()
            self._drop(total)
        return SamReply(sw1, sw2, sw3, value, total - 11)


# Offsets inside the 256-byte text block (UCS-2LE, space padded): DOMAIN.md §1.4.
TEXT_LEN = 256
PHOTO_LEN = 1024
_NAME = slice(0, 30)
_ID_NUMBER = slice(122, 158)
_TYPE_FLAG = slice(248, 250)
_RESIDENT_TYPES = {" ", "", "J"}  # blank: resident ID card; J: HK/Macau/Taiwan residence permit
_ID_FORMAT = re.compile(r"\d{17}[\dX]")


def _decode_field(view: memoryview) -> str:
    try:
        return codecs.decode(view, "utf-16-le").rstrip(" \x00")
    except UnicodeDecodeError:
        raise CardDataError("card text is not valid UCS-2") from None


def mask_name(name: str) -> str:
    """First character, then one '*' per remaining character: 张三 -> 张*, 欧阳娜娜 -> 欧***.

    Enough for a person to recognise their own card on screen, and nothing more.
    """
    return name[0] + "*" * (len(name) - 1)


def card_from_base_info(data: memoryview) -> CardEvent:
    """Extract the ID number and the masked name from a 30 01 reply's DATA.

    DATA = TXT_LEN(2) PHOTO_LEN(2) text[TXT_LEN] photo[PHOTO_LEN]. Only the name and number
    slices of the text are decoded; the address, birth date and photo are never looked at.
    """
    if len(data) < 4:
        raise CardDataError("base info shorter than its length fields")
    text_len = (data[0] << 8) | data[1]
    if text_len != TEXT_LEN or len(data) < 4 + text_len:
        raise CardDataError(f"unexpected text block length {text_len}")
    text = data[4 : 4 + text_len]
    if _decode_field(text[_TYPE_FLAG]) not in _RESIDENT_TYPES:
        raise UnsupportedCardType("card type flag is not a resident ID card or residence permit")
    id_number = _decode_field(text[_ID_NUMBER]).strip().upper()
    if not _ID_FORMAT.fullmatch(id_number) or ric.calc_check_digit(id_number) != id_number[-1]:
        raise CardDataError("ID number on the card has a bad format or check digit")
    name = _decode_field(text[_NAME]).strip()
    if not name:
        raise CardDataError("name field on the card is empty")
    return CardEvent(id_number=id_number, name_masked=mask_name(name))
