"""The master side of a pseudo-terminal, served by a thread: the body of every simulator.

The slave is published through a symlink that can be re-pointed, so "unplug" (close the master,
remove the link) and "replug" (new pty, new link target) look to a driver exactly like a USB
device going and coming back under a udev name.
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
from pathlib import Path
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)

# A speed no real driver uses: when it changes, somebody opened and configured the port.
UNCONFIGURED_SPEED = termios.B50


class PtyDevice:
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
        attrs[4] = attrs[5] = UNCONFIGURED_SPEED
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
            return bool(termios.tcgetattr(slave)[4] != UNCONFIGURED_SPEED)
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
