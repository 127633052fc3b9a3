"""Fake devices on real pseudo-terminals, for `kiosk demo`, `kiosk simulate` and the tests.

Each simulator owns an os.openpty() pair and publishes the slave through a symlink
(`port_path`), the way udev publishes /dev/xinyi-scanner. "Unplug" closes the master (the
driver's next read fails, exactly like a pulled USB adapter) and removes the link; "replug"
opens a fresh pty and points the link at it. A thread per simulator serves the master side,
so a simulator behaves the same whether the caller is asyncio code, a test or a CLI loop.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import logging
import os
import select
import shutil
import tempfile
import termios
import threading
import time
import tty
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from stdnum.cn import ric

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

log = logging.getLogger(__name__)

# A speed no real driver uses: when it changes, somebody opened and configured the port.
_UNCONFIGURED_SPEED = termios.B50
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


class _PtyDevice:
    """The master side of a pty, served by a thread; the slave is reachable via a symlink."""

    def __init__(self, link_path: str | os.PathLike[str] | None = None) -> None:
        self._tmpdir: str | None = None
        if link_path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="xinyi-sim-")
            link_path = Path(self._tmpdir) / "port"
        self.port_path = str(link_path)
        self._lock = threading.Lock()
        self._outgoing: deque[tuple[float, bytes]] = deque()
        self._quiet_until = 0.0
        self._calls: deque[tuple[Callable[[], None], threading.Event]] = deque()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._master: int | None = None
        self._slave: int | None = None
        self._stopping = False
        self._plug()
        self._thread = threading.Thread(target=self._serve, name=type(self).__name__, daemon=True)
        self._thread.start()

    # --- plugging -------------------------------------------------------------------------
    def _plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[4] = attrs[5] = _UNCONFIGURED_SPEED
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        temporary = self.port_path + ".new"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        os.symlink(os.ttyname(slave), temporary)
        os.replace(temporary, self.port_path)

    def _unplug(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.port_path)
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None
        with self._lock:
            self._outgoing.clear()

    @property
    def plugged(self) -> bool:
        return self._master is not None

    @property
    def tty_name(self) -> str | None:
        slave = self._slave
        return os.ttyname(slave) if slave is not None else None

    def unplug(self) -> None:
        """Pull the cable: whatever was not yet written is lost, the link disappears."""
        self._call_in_thread(self._unplug)

    def replug(self) -> None:
        """Plug a fresh device in (a new pty) and point the link at it."""
        def plug_again() -> None:
            if self._master is None:
                self._plug()
        self._call_in_thread(plug_again)

    def _call_in_thread(self, action: Callable[[], None]) -> None:
        done = threading.Event()
        with self._lock:
            self._calls.append((action, done))
        os.write(self._wake_w, b"x")
        if not done.wait(5.0):
            raise RuntimeError("simulator thread did not respond")

    # --- bytes ------------------------------------------------------------------------------
    def send(
        self, data: bytes, *, chunk_size: int | None = None, gap: float = 0.0,
        pause_after: float = 0.0,
    ) -> None:
        """Queue bytes for the driver, optionally in chunks `gap` seconds apart.

        `pause_after` keeps the line quiet that long before anything sent later, the way two
        scans from a real scanner are always apart.
        """
        size = chunk_size or max(1, len(data))
        now = time.monotonic()
        with self._lock:
            due = max(now, self._quiet_until)
            for offset in range(0, len(data), size):
                self._outgoing.append((due, data[offset : offset + size]))
                due += gap
            self._quiet_until = due - gap + pause_after
        os.write(self._wake_w, b"x")

    def wait_drained(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued was written and the driver has read it.

        Blocks: from asyncio code call it through `asyncio.to_thread`, so the driver can read.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                queued = bool(self._outgoing)
            if not queued and self._unread() == 0:
                return True
            time.sleep(0.002)
        return False

    def _unread(self) -> int:
        slave = self._slave
        if slave is None:
            return 0
        count = array.array("i", [0])
        try:
            fcntl.ioctl(slave, termios.FIONREAD, count, True)
        except OSError:
            return 0
        return count[0]

    @property
    def reader_attached(self) -> bool:
        """True once a driver has opened and configured the port (its speed changed)."""
        slave = self._slave
        if slave is None:
            return False
        try:
            return bool(termios.tcgetattr(slave)[4] != _UNCONFIGURED_SPEED)
        except termios.error:
            return False

    def _current_speed(self) -> int | None:
        slave = self._slave
        if slave is None:
            return None
        try:
            return int(termios.tcgetattr(slave)[4])
        except termios.error:
            return None

    def _received(self, data: bytes) -> None:
        """Bytes the driver wrote; a scanner ignores them, a card module answers."""

    def _reply(self, data: bytes) -> None:
        with self._lock:
            self._outgoing.append((max(time.monotonic(), self._quiet_until), data))

    # --- the serving thread ---------------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stopping:
            with self._lock:
                calls = list(self._calls)
                self._calls.clear()
            for action, done in calls:
                try:
                    action()
                finally:
                    done.set()
            now = time.monotonic()
            with self._lock:
                head_due = self._outgoing[0][0] if self._outgoing else None
            master = self._master
            readers = [self._wake_r] + ([master] if master is not None else [])
            writers = [master] if master is not None and head_due is not None and head_due <= now else []
            timeout = 0.1 if head_due is None else max(0.0, head_due - now)
            readable, writable, _ = select.select(readers, writers, [], timeout)
            if self._wake_r in readable:
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_r, 4096)
            if master is not None and master in readable:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    data = b""
                if data:
                    try:
                        self._received(data)
                    except Exception:  # a simulator bug must not hang the test that drives it
                        log.exception("%s could not handle what it received", type(self).__name__)
            if master is not None and master in writable:
                self._write_head(master)

    def _write_head(self, master: int) -> None:
        with self._lock:
            if not self._outgoing:
                return
            due, data = self._outgoing[0]
        try:
            written = os.write(master, data)
        except BlockingIOError:
            return
        except OSError:
            written = len(data)  # nobody will ever read it
        with self._lock:
            if self._outgoing and self._outgoing[0][1] is data:
                if written >= len(data):
                    self._outgoing.popleft()
                    self.last_write_at = time.perf_counter()
                else:
                    self._outgoing[0] = (due, data[written:])

    last_write_at: float = 0.0  # perf_counter() when the last queued bytes went out (benchmarks)

    def close(self) -> None:
        if self._stopping:
            return
        self._call_in_thread(self._unplug)
        self._stopping = True
        os.write(self._wake_w, b"x")
        self._thread.join(2.0)
        os.close(self._wake_r)
        os.close(self._wake_w)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class SimulatedScanner(_PtyDevice):
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


class SimulatedCardReader(_PtyDevice):
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


class SimulatedPrinter(_PtyDevice):
    """A slip printer that keeps every byte it is sent, for tests and the demo."""

    def __init__(self, link_path: str | os.PathLike[str] | None = None) -> None:
        self._printed = bytearray()
        super().__init__(link_path)

    def _received(self, data: bytes) -> None:
        with self._lock:
            self._printed += data

    def printed(self) -> bytes:
        with self._lock:
            return bytes(self._printed)
