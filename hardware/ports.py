"""Finding and opening serial ports, and reading them without blocking the event loop.

Reads go through `loop.add_reader` on the port's file descriptor rather than a reader thread
per device. Why: the kiosk runs Kivy, httpx and the drivers on one asyncio loop on Linux, where
the selector loop supports add_reader; a readable-callback needs no thread, no cross-thread
hand-off (call_soon_threadsafe), and no thread left blocked in read() while the port is being
closed on unplug — the classic close-while-reading race. pyserial opens ports with O_NONBLOCK,
so a read in the callback returns at once with what the kernel holds.

pyserial opens, configures (baud, raw mode) and writes the port. Reads use
`io.FileIO.readinto` on the same descriptor so bytes land directly in a buffer the driver owns:
for the ID-card reader that is the one place the photo ever exists, and it is zeroed after use
(pyserial's read() would leave copies in immutable bytes objects we cannot wipe).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import os
import re
import select
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import serial
import serial.tools.list_ports

from hardware.errors import DeviceDisconnected, PortNotFound, PortUnavailable

BY_ID_DIR = Path("/dev/serial/by-id")
_VID_PID = re.compile(r"^(?:usb:)?([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$")


def resolve_port(spec: str) -> str:
    """Turn a port spec into a path to open.

    Accepts a path (a symlink such as /dev/xinyi-scanner is kept as is, so it is followed
    again on every reopen), a bare /dev/serial/by-id name, or a USB id `VID:PID` / `usb:VID:PID`.
    """
    match = _VID_PID.match(spec.strip())
    if match:
        vid, pid = int(match.group(1), 16), int(match.group(2), 16)
        for port in sorted(serial.tools.list_ports.comports(), key=lambda p: p.device):
            if port.vid == vid and port.pid == pid:
                return str(port.device)
        raise PortNotFound(f"no serial port with USB id {vid:04x}:{pid:04x}")
    if "/" not in spec:
        return str(BY_ID_DIR / spec)
    return spec


@dataclass(frozen=True, slots=True)
class PortInfo:
    device: str
    description: str
    usb_id: str | None  # "vid:pid" in lower-case hex
    serial_number: str | None
    by_id: tuple[str, ...]  # /dev/serial/by-id names pointing at this device


def list_serial_ports() -> list[PortInfo]:
    """Serial ports the system knows, with their stable /dev/serial/by-id names."""
    by_id: dict[str, list[str]] = {}
    if BY_ID_DIR.is_dir():
        for link in sorted(BY_ID_DIR.iterdir()):
            by_id.setdefault(os.path.realpath(link), []).append(str(link))
    ports = []
    for port in sorted(serial.tools.list_ports.comports(), key=lambda p: p.device):
        usb_id = f"{port.vid:04x}:{port.pid:04x}" if port.vid is not None else None
        ports.append(
            PortInfo(
                device=str(port.device),
                description=str(port.description or ""),
                usb_id=usb_id,
                serial_number=port.serial_number,
                by_id=tuple(by_id.get(os.path.realpath(port.device), [])),
            )
        )
    return ports


class SerialLink:
    """An open serial port: pyserial for setup and writes, loop callbacks for reads."""

    def __init__(self, port: serial.Serial, path: str) -> None:
        self._port = port
        self.path = path
        self._fd = port.fileno()
        self._raw = io.FileIO(self._fd, "rb", closefd=False)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @classmethod
    def open(cls, spec: str, baud: int) -> SerialLink:
        path = resolve_port(spec)
        try:
            port = serial.Serial(path, baud, timeout=0, write_timeout=2.0)
        except serial.SerialException as exc:
            if exc.errno in (errno.ENOENT, errno.ENXIO, errno.ENODEV, errno.EIO):
                raise PortNotFound(f"serial port {path} not found") from None
            code = errno.errorcode.get(exc.errno or 0, "unknown")
            raise PortUnavailable(f"serial port {path} cannot be opened ({code})") from None
        except (OSError, ValueError) as exc:
            raise PortUnavailable(
                f"serial port {path} cannot be opened ({type(exc).__name__})"
            ) from None
        return cls(port, path)

    @property
    def baud(self) -> int:
        return int(self._port.baudrate)

    def set_baud(self, baud: int) -> None:
        try:
            self._port.baudrate = baud
        except (serial.SerialException, OSError, ValueError):
            raise DeviceDisconnected(f"{self.path}: cannot set {baud} baud") from None

    def watch(self, loop: asyncio.AbstractEventLoop, on_readable: Callable[[], None]) -> None:
        self._loop = loop
        loop.add_reader(self._fd, on_readable)

    def read_into(self, buffer: memoryview) -> int:
        """Read what is waiting into `buffer`; 0 when nothing is waiting.

        Raises DeviceDisconnected when the device went away (a pty whose master closed reads
        EIO; a USB serial adapter that was pulled reads EOF or EIO).
        """
        if len(buffer) == 0:
            return 0
        try:
            count = self._raw.readinto(buffer)
        except BlockingIOError:
            return 0
        except OSError as exc:
            code = errno.errorcode.get(exc.errno or 0, "unknown")
            raise DeviceDisconnected(f"{self.path}: read failed ({code})") from None
        if count is None:
            return 0
        if count == 0:
            raise DeviceDisconnected(f"{self.path}: end of file")
        return count

    def read_within(self, count: int, timeout: float) -> bytes:
        """Up to `count` bytes, waiting at most `timeout` s (a worker thread's status reply)."""
        buffer = bytearray(count)
        got = 0
        deadline = time.monotonic() + timeout
        while got < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            readable, _, _ = select.select([self._fd], [], [], left)
            if readable:
                got += self.read_into(memoryview(buffer)[got:])
        return bytes(buffer[:got])

    def discard_input(self) -> None:
        """Drop what the device sent before now, so a late answer never answers a new question."""
        with contextlib.suppress(serial.SerialException, OSError, termios.error):
            self._port.reset_input_buffer()

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except (serial.SerialException, OSError):
            raise DeviceDisconnected(f"{self.path}: write failed") from None

    def drain(self) -> None:
        """Block until written bytes have left (call it from a worker thread)."""
        try:
            self._port.flush()
        except (serial.SerialException, OSError, termios.error):
            raise DeviceDisconnected(f"{self.path}: drain failed") from None

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Idempotent: the read callback closes on disconnect, the driver closes again."""
        if self._closed:
            return
        self._closed = True
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        self._loop = None
        self._raw.close()
        with contextlib.suppress(serial.SerialException, OSError):  # gone with the device
            self._port.close()


class Backoff:
    """Exponential retry delays, capped: 0.2, 0.4, 0.8 ... 5 s by default."""

    def __init__(self, initial: float = 0.2, cap: float = 5.0, factor: float = 2.0) -> None:
        self._initial = initial
        self._cap = cap
        self._factor = factor
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._cap, self._next * self._factor)
        return delay

    def reset(self) -> None:
        self._next = self._initial
