"""The one small interface every device driver offers: an async stream of events and a status.

A driver is used like this, whether it is a real device or a simulator behind a pty::

    async with SerialScanner("/dev/xinyi-scanner") as scanner:
        async for event in scanner:
            ...

Events never carry photo or fingerprint bytes, and their reprs show only lengths, so an
event that ends up in a log or a traceback reveals nothing about the person.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from hardware.errors import DeviceError, PortNotFound
from hardware.ports import Backoff, SerialLink

log = logging.getLogger(__name__)


class DeviceStatus(enum.StrEnum):
    READY = "ready"
    NO_DEVICE = "no_device"  # never opened since start: the port does not exist (yet)
    DISCONNECTED = "disconnected"  # was open, went away; the driver keeps retrying
    ERROR = "error"  # port open but the device misbehaves (no answer, self-test failed)


@dataclass(frozen=True, slots=True, repr=False)
class ScanEvent:
    """One scan: the raw bytes (decoding is the credentials layer's job) and its AIM symbology."""

    payload: bytes
    symbology: str | None  # AIM identifier such as "]Q1", None when the scanner sent none
    eci: int | None = None  # first ECI designator of an ECI-escaped scan (26 = UTF-8)

    def __repr__(self) -> str:
        return f"ScanEvent(symbology={self.symbology!r}, length={len(self.payload)})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True, repr=False)
class CardEvent:
    """One resident ID card read: the number and the masked name, nothing else from the card."""

    id_number: str
    name_masked: str  # first character, then one '*' per remaining character: 张*, 欧阳**

    def __repr__(self) -> str:
        return (
            f"CardEvent(id_number_length={len(self.id_number)}, "
            f"name_masked_length={len(self.name_masked)})"
        )

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """The device's status changed, or something worth telling a person happened.

    `problem` is set when there is something to say (why the port is missing, a code that was
    too long, a card that could not be read); the status may still be READY then.
    """

    status: DeviceStatus
    problem: DeviceError | None = None


DeviceEvent = ScanEvent | CardEvent | StatusEvent


class Device(Protocol):
    """What the session flow, `kiosk listen` and `kiosk demo` rely on."""

    @property
    def status(self) -> DeviceStatus: ...

    def __aiter__(self) -> AsyncIterator[DeviceEvent]: ...

    def new_session(self) -> None:
        """A new applicant begins: forget anything kept for the last one (a scanner's repeat memory)."""

    async def aclose(self) -> None: ...


class EventStream:
    """Shared plumbing: a bounded event queue, the status, and the driver's background task.

    Subclasses implement `_run()`, which loops until cancelled. The task starts on
    `async with` or on the first iteration, on the running loop. One consumer per device:
    iterating twice shares (splits) the same queue.
    """

    def __init__(self, *, max_queued: int = 64) -> None:
        self._status = DeviceStatus.NO_DEVICE
        self._status_reported = False
        self._max_queued = max_queued
        self._queue: asyncio.Queue[DeviceEvent | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def status(self) -> DeviceStatus:
        return self._status

    async def _run(self) -> None:
        raise NotImplementedError

    async def _open_serial(self, port: str, baud: int, backoff: Backoff, *, seen_before: bool) -> SerialLink:
        """Open `port`; until it opens, say why not and try again after a growing pause.

        A port that vanished after it had been open is "disconnected" (unplugged); one never
        seen is "no device"; anything else (permissions, not a tty) is an error.
        """
        while True:
            try:
                return SerialLink.open(port, baud)
            except DeviceError as exc:
                if isinstance(exc, PortNotFound):
                    status = DeviceStatus.DISCONNECTED if seen_before else DeviceStatus.NO_DEVICE
                else:
                    status = DeviceStatus.ERROR
                self._set_status(status, exc)
                await asyncio.sleep(backoff.next())

    def new_session(self) -> None:
        """A new person is about to present: forget anything kept to de-duplicate reads."""

    def start(self) -> None:
        if self._task is None and not self._closed:
            self._queue = asyncio.Queue(self._max_queued)
            self._task = asyncio.get_running_loop().create_task(
                self._run_guarded(), name=f"{type(self).__name__}"
            )

    async def _run_guarded(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # A bug, not an expected failure: name it without the exception text, which might
            # hold bytes from the device.
            log.error("%s stopped by an unexpected %s", type(self).__name__, type(exc).__name__)
            self._set_status(DeviceStatus.ERROR)

    async def aclose(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._queue is not None:
            self._put(None)

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[DeviceEvent]:
        self.start()
        return self

    async def __anext__(self) -> DeviceEvent:
        if self._queue is None:
            raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            self._queue.put_nowait(None)  # keep later iterators finished too
            raise StopAsyncIteration
        return event

    def _put(self, event: DeviceEvent | None) -> None:
        if self._queue is None:
            return
        if self._queue.full():
            # A consumer that stopped reading must not make memory grow: the oldest goes.
            self._queue.get_nowait()
        self._queue.put_nowait(event)

    def _emit(self, event: DeviceEvent) -> None:
        self._put(event)

    def _set_status(
        self, status: DeviceStatus, problem: DeviceError | None = None, *, always: bool = False
    ) -> None:
        """Emit a StatusEvent when the status changes (or always, to tell a one-off problem).

        Retry loops call this on every attempt; only the first attempt of a new status is
        reported, so a missing port gives one line, not one per retry.
        """
        if status is self._status and self._status_reported and not always:
            return
        self._status_reported = True
        self._status = status
        self._put(StatusEvent(status, problem))
