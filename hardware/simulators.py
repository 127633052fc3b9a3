"""Fake devices on real pseudo-terminals, for `kiosk demo`, `kiosk simulate` and the tests.

Each simulator owns an os.openpty() pair and publishes the slave through a symlink
(`port_path`), the way udev publishes /dev/xinyi-scanner. "Unplug" closes the master (the
driver's next read fails, exactly like a pulled USB adapter) and removes the link; "replug"
opens a fresh pty and points the link at it. A thread per simulator serves the master side
(hardware/pty_device.py), so a simulator behaves the same whether the caller is asyncio code,
a test or a CLI loop.
"""

from __future__ import annotations

import os
import termios
from collections import deque
from dataclasses import dataclass, field

from stdnum.cn import ric

from hardware.pty_device import PtyDevice
from hardware.sam import (
    PHOTO_LEN,
    PREAMBLE,
    SW3_CARD_FOUND,
    SW3_NO_CARD,
    SW3_OK,
    TEXT_LEN,
    build_reply,
    checksum,
)

_SPEEDS = {9600: termios.B9600, 19200: termios.B19200, 38400: termios.B38400,
           57600: termios.B57600, 115200: termios.B115200}

# Recognisable bytes that must never leave the card driver (tests search for them).
PHOTO_MARKER = b"\xfePHOTO-SECRET\xfe"
FINGERPRINT_MARKER = b"\xfdFINGER-SECRET\xfd"
SYNTHETIC_ADDRESS = "合成测试地址某某路1号 SYNTHETIC"


def _fill(marker: bytes, size: int) -> bytes:
    return (marker * (size // len(marker) + 1))[:size]


def synthetic_id_number(region: str = "110101", birth: str = "19900101", seq: str = "123") -> str:
    """A GB 11643 number with a valid check digit (17 digits + check character)."""
    body = region + birth + seq
    return body + ric.calc_check_digit(body + "0")


@dataclass(frozen=True, slots=True, repr=False)
class SyntheticCard:
    """A made-up resident ID card; the fields a real card's text block carries."""

    name: str = "张三"
    id_number: str = field(default_factory=synthetic_id_number)
    sex: str = "1"
    nation: str = "01"
    address: str = SYNTHETIC_ADDRESS
    issuer: str = "合成测试公安局"
    valid_from: str = "20200101"
    valid_to: str = "20400101"
    type_flag: str = " "

    def __repr__(self) -> str:
        return "SyntheticCard(...)"

    def text_block(self) -> bytes:
        birth = self.id_number[6:14] if len(self.id_number) >= 14 else "19900101"
        fields = [
            (self.name, 30), (self.sex, 2), (self.nation, 4), (birth, 16), (self.address, 70),
            (self.id_number, 36), (self.issuer, 30), (self.valid_from, 16), (self.valid_to, 16),
            ("", 28), (self.type_flag, 2), ("", 6),
        ]
        block = b""
        for value, size in fields:
            encoded = value.encode("utf-16-le")
            if len(encoded) > size:
                raise ValueError(f"a card field is longer than its {size // 2} characters")
            block += encoded + " ".encode("utf-16-le") * ((size - len(encoded)) // 2)
        return block

    def base_info(self) -> bytes:
        """DATA of a 30 01 reply: lengths, text, and a photo block of recognisable bytes."""
        return (TEXT_LEN.to_bytes(2, "big") + PHOTO_LEN.to_bytes(2, "big")
                + self.text_block() + _fill(PHOTO_MARKER, PHOTO_LEN))


class SimulatedScanner(PtyDevice):
    """A serial QR scanner: `present()` sends one scan the way a configured scanner does."""

    def present(
        self,
        payload: bytes,
        *,
        aim: bytes | None = b"]Q1",
        terminator: bytes = b"\r",
        chunk_size: int | None = None,
        gap: float = 0.0,
        pause_after: float = 0.2,
    ) -> None:
        """Send one scan; the line then stays quiet `pause_after` s (longer than the idle gap)."""
        self.send((aim or b"") + payload + terminator, chunk_size=chunk_size, gap=gap,
                  pause_after=pause_after)


class SimulatedCardReader(PtyDevice):
    """A SAM module answering the real protocol, with a card that can be put on and taken off.

    Like most readers, after a successful read it reports "no card" to find-card until the
    card is taken away and put back (`refuse_find_after_read`). It answers only when the port
    runs at its `baud`, as a real module does.
    """

    def __init__(
        self,
        card: SyntheticCard | None = None,
        *,
        link_path: str | os.PathLike[str] | None = None,
        baud: int = 115200,
        refuse_find_after_read: bool = True,
        sam_status: int = SW3_OK,
    ) -> None:
        self.baud = baud
        self.refuse_find_after_read = refuse_find_after_read
        self.sam_status = sam_status
        self.commands: list[tuple[int, int]] = []  # every (CMD, PARA) received
        self.no_card_answers = 0  # how many times find-card was answered "no card"
        self._card = card
        self._selected = False
        self._read_done = False
        self._faults: deque[tuple[tuple[int, int] | None, str]] = deque()
        self._incoming = bytearray()
        super().__init__(link_path)

    def insert_card(self, card: SyntheticCard | None = None) -> None:
        with self._lock:
            self._card = card or self._card or SyntheticCard()
            self._selected = self._read_done = False

    def remove_card(self) -> None:
        with self._lock:
            self._card = None
            self._selected = self._read_done = False

    def inject_fault(self, kind: str, on: tuple[int, int] | None = None) -> None:
        """Spoil the next reply (to command `on`, or to any command when None).

        Kinds: "checksum", "truncate" (half the frame, then nothing), "garbage" (noise before
        the preamble), "unknown_status" (SW3 0xE7), "silence" (no reply at all).
        """
        if kind not in ("checksum", "truncate", "garbage", "unknown_status", "silence"):
            raise ValueError(kind)
        with self._lock:
            self._faults.append((on, kind))

    def _received(self, data: bytes) -> None:
        if self._current_speed() != _SPEEDS.get(self.baud):
            return  # at the wrong baud rate the module hears noise and says nothing
        self._incoming += data
        while True:
            start = self._incoming.find(PREAMBLE)
            if start < 0:
                del self._incoming[: max(0, len(self._incoming) - 4)]
                return
            del self._incoming[:start]
            if len(self._incoming) < 7:
                return
            length = (self._incoming[5] << 8) | self._incoming[6]
            total = 7 + length
            if length < 3 or length > 64:
                del self._incoming[:1]
                continue
            if len(self._incoming) < total:
                return
            frame = bytes(self._incoming[:total])
            del self._incoming[:total]
            if checksum(frame[5:-1]) != frame[-1]:
                self._send_reply(build_reply(0x10), None)
                continue
            self._send_reply(self._answer(frame[7], frame[8]), (frame[7], frame[8]))

    def _answer(self, cmd: int, para: int) -> bytes:
        with self._lock:
            self.commands.append((cmd, para))
            card = self._card
            if (cmd, para) in ((0x10, 0xFF), (0x11, 0xFF)):
                return build_reply(self.sam_status)
            if (cmd, para) == (0x12, 0xFF):
                return build_reply(SW3_OK, bytes(16))
            if (cmd, para) == (0x20, 0x01):
                if card is None or (self._read_done and self.refuse_find_after_read):
                    self.no_card_answers += 1
                    return build_reply(SW3_NO_CARD)
                return build_reply(SW3_CARD_FOUND, bytes(4))
            if (cmd, para) == (0x20, 0x02):
                if card is None:
                    return build_reply(0x81)
                self._selected = True
                return build_reply(SW3_OK, bytes(8))
            if cmd == 0x30 and para in (0x01, 0x10):
                if card is None or not self._selected:
                    return build_reply(0x41)
                self._selected = False
                self._read_done = True
                data = card.base_info()
                if para == 0x10:  # what a real module would send; the driver must never ask
                    data = data[:4] + PHOTO_LEN.to_bytes(2, "big") + data[4:] + _fill(
                        FINGERPRINT_MARKER, 1024)
                return build_reply(SW3_OK, data)
            return build_reply(0x21)

    def _send_reply(self, reply: bytes, command: tuple[int, int] | None) -> None:
        fault = None
        with self._lock:
            for index, (target, kind) in enumerate(self._faults):
                if target is None or target == command:
                    fault = kind
                    del self._faults[index]
                    break
        if fault == "silence":
            return
        if fault == "checksum":
            reply = reply[:-1] + bytes([reply[-1] ^ 0xFF])
        elif fault == "truncate":
            reply = reply[: max(8, len(reply) // 2)]
        elif fault == "garbage":
            reply = b"\x00\x13\xaa\x96garbage\xaa\xaa" + reply
        elif fault == "unknown_status":
            reply = build_reply(0xE7)
        self._reply(reply)

    @property
    def fingerprint_requested(self) -> bool:
        return any(cmd == (0x30, 0x10) for cmd in self.commands)


class SimulatedPrinter(PtyDevice):
    """A slip printer that keeps every byte it is sent and answers real-time status queries.

    `paper_out()` / `load_paper()` move its paper sensor; `switch_off()` makes it silent (the
    port stays, as a USB adapter does with the printer behind it switched off); `open_cover()`
    sets the off-line bit. Status queries (DLE EOT n) are answered and kept out of `printed()`.
    """

    def __init__(self, link_path: str | os.PathLike[str] | None = None) -> None:
        self._printed = bytearray()
        self._pending = b""  # the start of a DLE EOT split across two reads
        self.status_queries: list[int] = []
        self.has_paper = True
        self.paper_low = False
        self.answers = True
        self.cover_open = False
        super().__init__(link_path)

    def paper_out(self) -> None:
        self.has_paper = False

    def load_paper(self) -> None:
        self.has_paper = True

    def switch_off(self) -> None:
        self.answers = False

    def switch_on(self) -> None:
        self.answers = True

    def open_cover(self, is_open: bool = True) -> None:
        self.cover_open = is_open

    def _status(self, n: int) -> bytes:
        value = 0x12
        if n == 2:
            value |= (0x20 if not self.has_paper else 0) | (0x04 if self.cover_open else 0)
        elif n == 4:
            value |= (0x60 if not self.has_paper else 0) | (0x0C if self.paper_low else 0)
        return bytes([value])

    def _received(self, data: bytes) -> None:
        data = self._pending + data
        self._pending = b""
        kept = bytearray()
        index = 0
        while index < len(data):
            if data[index] == 0x10 and data[index + 1 : index + 2] in (b"", b"\x04"):
                if index + 2 >= len(data):
                    self._pending = data[index:]
                    break
                n = data[index + 2]
                self.status_queries.append(n)
                if self.answers:
                    self._reply(self._status(n))
                index += 3
                continue
            kept.append(data[index])
            index += 1
        with self._lock:
            self._printed += kept

    def printed(self) -> bytes:
        with self._lock:
            return bytes(self._printed)
