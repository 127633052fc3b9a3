"""Resident ID-card reader driver (SAM module on a serial port).

Cycle: open -> probe `11 FF` at each baud (115200, then 9600) -> READY -> poll find card
(`20 01`) every `poll_interval`; on a card: select (`20 02`), read base info (`30 01`), take out
the ID number and masked name, zero the frame, emit one CardEvent; then wait until find card
fails (card removed) before a card can be read again. `30 10` (fingerprints) is never sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from hardware.base import CardEvent, DeviceStatus, EventStream
from hardware.errors import (
    CardDataError,
    CardReadFailed,
    DeviceDisconnected,
    DeviceError,
    DeviceNotResponding,
    SamFrameError,
    SamStatusError,
    SamTruncated,
    UnknownSamStatus,
)
from hardware.ports import Backoff, SerialLink
from hardware.sam import (
    FIND_CARD,
    READ_BASE_INFO,
    SAM_STATUS,
    SELECT_CARD,
    SW3_CARD_FOUND,
    SW3_MEANINGS,
    SW3_NO_CARD,
    SW3_OK,
    SamFrameBuffer,
    SamReply,
    build_command,
    card_from_base_info,
    ignore_data,
)

log = logging.getLogger(__name__)

class SamChannel:
    """Request/reply over one open link; replies are parsed in the loop's read callback."""

    def __init__(self, link: SerialLink, loop: asyncio.AbstractEventLoop) -> None:
        self._link = link
        self._loop = loop
        self._frames = SamFrameBuffer()
        self._waiter: asyncio.Future[SamReply[object]] | None = None
        self._extract: Callable[[memoryview], object] = ignore_data
        self._last_error: DeviceError | None = None
        self.lost: asyncio.Future[DeviceDisconnected] = loop.create_future()
        link.watch(loop, self._on_readable)

    def _on_readable(self) -> None:
        try:
            count = self._link.read_into(self._frames.free_space())
        except DeviceDisconnected as exc:
            self._link.close()
            self._frames.clear()
            if not self.lost.done():
                self.lost.set_result(exc)
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_exception(exc)
            return
        self._frames.commit(count)
        self._take_replies()

    def _take_replies(self) -> None:
        while True:
            waiting = self._waiter is not None and not self._waiter.done()
            try:
                reply = self._frames.pop(self._extract if waiting else ignore_data)
            except SamFrameError as exc:
                log.debug("card reader: %s", exc.detail)
                self._last_error = exc
                continue
            except CardDataError as exc:
                if self._waiter is not None and not self._waiter.done():
                    self._waiter.set_exception(exc)
                continue
            if reply is None:
                return
            if self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(reply)
            else:
                log.debug("card reader: unsolicited reply SW3 0x%02X ignored", reply.sw3)

    async def transact(
        self,
        command: tuple[int, int],
        timeout: float,
        extract: Callable[[memoryview], object] = ignore_data,
    ) -> SamReply[object]:
        if self.lost.done():
            raise self.lost.result()
        self._frames.clear()  # a late reply to an earlier command must not answer this one
        self._last_error = None
        waiter: asyncio.Future[SamReply[object]] = self._loop.create_future()
        self._waiter, self._extract = waiter, extract
        try:
            self._link.write(build_command(command))
            reply = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            if self._frames.pending:
                self._frames.clear()
                raise SamTruncated(f"reply to {command[0]:02X} {command[1]:02X} incomplete") from None
            if self._last_error is not None:
                raise self._last_error from None
            raise DeviceNotResponding(
                f"no reply to {command[0]:02X} {command[1]:02X} within {timeout:.2f} s"
            ) from None
        finally:
            self._waiter, self._extract = None, ignore_data
        log.debug("card reader: %02X %02X -> SW3 0x%02X, %d data bytes",
                  command[0], command[1], reply.sw3, reply.data_length)
        if reply.sw3 not in SW3_MEANINGS:
            raise UnknownSamStatus(reply.sw3)
        return reply

    def close(self) -> None:
        self._link.close()
        self._frames.clear()


def _status_error(sw3: int) -> SamStatusError:
    return SamStatusError(sw3, SW3_MEANINGS.get(sw3, "unknown"))


class IdCardReader(EventStream):
    """A resident ID-card reader (SAM module) on a serial port; emits CardEvents."""

    def __init__(
        self,
        port: str,
        *,
        bauds: Sequence[int] = (115200, 9600),
        poll_interval: float = 0.5,
        command_timeout: float = 0.3,
        read_timeout: float = 2.0,
        max_failures: int = 3,
        backoff_initial: float = 0.2,
        backoff_cap: float = 5.0,
    ) -> None:
        super().__init__()
        if not bauds:
            raise ValueError("at least one baud rate")
        self.port = port
        self.bauds = tuple(bauds)
        self.baud: int | None = None  # the rate the module answered at
        self._poll_interval = poll_interval
        self._command_timeout = command_timeout
        self._read_timeout = read_timeout
        self._max_failures = max_failures
        self._backoff = Backoff(backoff_initial, backoff_cap)

    async def _run(self) -> None:
        was_open = False
        loop = asyncio.get_running_loop()
        while True:
            link = await self._open_serial(self.port, self.bauds[0], self._backoff, seen_before=was_open)
            was_open = True
            channel = SamChannel(link, loop)
            try:
                self.baud = await self.probe(channel, link)
                log.info("card reader on %s answers at %d baud", link.path, self.baud)
                self._backoff.reset()
                self._set_status(DeviceStatus.READY)
                await self._poll_cards(channel)
            except DeviceDisconnected as exc:
                self._set_status(DeviceStatus.DISCONNECTED, exc)
            except DeviceError as exc:
                log.warning("card reader on %s: %s", link.path, exc.detail)
                self._set_status(DeviceStatus.ERROR, exc)
            finally:
                channel.close()
            await asyncio.sleep(self._backoff.next())

    async def probe(self, channel: SamChannel, link: SerialLink) -> int:
        """Ask for SAM status at each baud; return the one that answered OK."""
        for baud in self.bauds:
            link.set_baud(baud)
            try:
                reply = await channel.transact(SAM_STATUS, self._command_timeout)
            except (DeviceNotResponding, SamFrameError):
                continue  # wrong baud reads as silence or noise
            if reply.sw3 != SW3_OK:
                raise _status_error(reply.sw3)
            return baud
        rates = ", ".join(str(b) for b in self.bauds)
        raise DeviceNotResponding(f"{link.path}: no SAM status reply at {rates} baud")

    async def _poll_cards(self, channel: SamChannel) -> None:
        card_read = False  # a card was read and has not been taken away yet
        failures = 0
        while True:
            try:
                card_read = await self._poll_once(channel, card_read)
                failures = 0
                if self.status is not DeviceStatus.READY:
                    self._set_status(DeviceStatus.READY)
            except DeviceDisconnected:
                raise
            except (SamFrameError, SamStatusError, DeviceNotResponding) as exc:
                failures += 1
                log.debug("card reader poll failed (%d): %s", failures, exc.detail)
                if failures >= self._max_failures:
                    raise  # reopen and probe again: the module may have reset to another baud
            await asyncio.sleep(self._poll_interval)

    async def _poll_once(self, channel: SamChannel, card_read: bool) -> bool:
        found = await channel.transact(FIND_CARD, self._command_timeout)
        if found.sw3 == SW3_NO_CARD:
            return False
        if found.sw3 != SW3_CARD_FOUND:
            raise _status_error(found.sw3)
        if card_read:
            return True  # the same card is still on the reader
        selected = await channel.transact(SELECT_CARD, self._command_timeout)
        if selected.sw3 != SW3_OK:
            log.debug("card reader: select failed, SW3 0x%02X", selected.sw3)
            return False
        try:
            read = await channel.transact(READ_BASE_INFO, self._read_timeout, card_from_base_info)
        except CardDataError as exc:
            self._set_status(DeviceStatus.READY, exc, always=True)
            return True  # do not read the same unreadable card again and again
        except (SamFrameError, SamStatusError, DeviceNotResponding) as exc:
            log.debug("card reader: read failed: %s", exc.detail)
            self._set_status(
                DeviceStatus.READY, CardReadFailed("base info read failed"), always=True
            )
            return False
        if read.sw3 != SW3_OK or not isinstance(read.value, CardEvent):
            self._set_status(
                DeviceStatus.READY,
                CardReadFailed(f"base info read failed, SW3 0x{read.sw3:02X}"),
                always=True,
            )
            return False
        self._emit(read.value)
        return True
