"""Serial QR / barcode scanner driver: scans in, status out, survives being unplugged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from hardware.base import DeviceStatus, EventStream, ScanEvent
from hardware.errors import DeviceDisconnected, ScanTooLong
from hardware.ports import Backoff, SerialLink
from hardware.scan_framing import (
    MAX_SCAN_BYTES,
    TERMINATORS,
    Framed,
    OversizedScan,
    RepeatFilter,
    ScanFramer,
    split_aim,
)

log = logging.getLogger(__name__)

_CHUNK = 4096


class SerialScanner(EventStream):
    """A scanner on a serial port (USB-CDC or RS-232), framed by terminator + idle gap.

    `port` is a path (symlinks are followed afresh on every reopen), a /dev/serial/by-id name,
    or `VID:PID`. Configure the scanner itself for a CR suffix and AIM IDs on (DOMAIN.md §2).
    """

    def __init__(
        self,
        port: str,
        *,
        baud: int = 9600,
        terminator: str = "cr",
        terminator_gap: float = 0.03,
        idle_gap: float = 0.15,
        max_length: int = MAX_SCAN_BYTES,
        repeat_window: float = 1.0,
        backoff_initial: float = 0.2,
        backoff_cap: float = 5.0,
        is_complete: Callable[[bytes], bool] | None = None,
    ) -> None:
        super().__init__()
        if terminator not in TERMINATORS:
            raise ValueError(f"terminator must be one of {', '.join(TERMINATORS)}")
        self.port = port
        self.baud = baud
        self._framer = ScanFramer(
            terminator=TERMINATORS[terminator],
            terminator_gap=terminator_gap,
            idle_gap=idle_gap,
            max_length=max_length,
            is_complete=is_complete,
        )
        self._max_length = max_length
        self._repeats = RepeatFilter(repeat_window)
        self._backoff = Backoff(backoff_initial, backoff_cap)

    def new_session(self) -> None:
        # The next person may hold up the very code the previous one did (a family's app
        # token, a demo card); within the repeat window that read must still count.
        self._repeats.forget()

    async def _run(self) -> None:
        was_open = False
        while True:
            link = await self._open_serial(self.port, self.baud, self._backoff, seen_before=was_open)
            was_open = True
            self._backoff.reset()
            log.info("scanner open on %s at %d baud", link.path, self.baud)
            self._set_status(DeviceStatus.READY)
            try:
                problem = await self._read_until_lost(link)
            finally:
                link.close()
                self._deliver(self._framer.close(), asyncio.get_running_loop().time())
                self._repeats.forget()
            log.info("scanner on %s lost: %s", link.path, problem.detail)
            self._set_status(DeviceStatus.DISCONNECTED, problem)
            await asyncio.sleep(self._backoff.next())

    async def _read_until_lost(self, link: SerialLink) -> DeviceDisconnected:
        loop = asyncio.get_running_loop()
        lost: asyncio.Future[DeviceDisconnected] = loop.create_future()
        chunk = bytearray(_CHUNK)
        view = memoryview(chunk)
        timer: asyncio.TimerHandle | None = None

        def arm_timer() -> None:
            nonlocal timer
            if timer is not None:
                timer.cancel()
                timer = None
            deadline = self._framer.deadline()
            if deadline is not None:
                timer = loop.call_at(deadline, on_quiet)

        def on_quiet() -> None:
            # call_at may fire up to one clock tick early; arm_timer re-checks what is pending.
            self._deliver(self._framer.flush_due(loop.time()), loop.time())
            arm_timer()

        def on_readable() -> None:
            try:
                count = link.read_into(view)
            except DeviceDisconnected as exc:
                if not lost.done():
                    lost.set_result(exc)
                link.close()  # stop the callback firing on a dead descriptor
                return
            if count:
                now = loop.time()
                self._deliver(self._framer.feed(bytes(view[:count]), now), now)
                arm_timer()

        link.watch(loop, on_readable)
        try:
            return await lost
        finally:
            if timer is not None:
                timer.cancel()

    def _deliver(self, frames: list[Framed], now: float) -> None:
        for frame in frames:
            if isinstance(frame, OversizedScan):
                log.warning("scan of %d bytes discarded (limit %d)", frame.length, self._max_length)
                self._set_status(
                    DeviceStatus.READY,
                    ScanTooLong(f"scan of {frame.length} bytes over the {self._max_length} limit"),
                    always=True,
                )
                continue
            symbology, payload, eci = split_aim(frame.data)
            if not payload:
                continue
            if self._repeats.is_repeat(symbology, payload, now):
                log.debug("repeated scan ignored (%d bytes)", len(payload))
                continue
            self._emit(ScanEvent(payload, symbology, eci))
