"""Shared helpers for the hardware tests: fast driver settings and waiting for events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

from hardware.base import DeviceEvent, DeviceStatus, StatusEvent

# Short gaps and backoffs keep the whole hardware run fast; the behaviour is the same.
FAST_SCANNER = {
    "terminator_gap": 0.02,
    "idle_gap": 0.08,
    "backoff_initial": 0.02,
    "backoff_cap": 0.1,
    "repeat_window": 0.5,
}
FAST_READER = {
    "poll_interval": 0.02,
    "command_timeout": 0.15,
    "read_timeout": 0.5,
    "backoff_initial": 0.02,
    "backoff_cap": 0.1,
}
PATIENCE = 5.0  # seconds before a test gives up waiting for an event (never reached when green)

E = TypeVar("E")


async def next_of(
    events: AsyncIterator[DeviceEvent], kind: type[E], *, skip_status: bool = True, timeout: float = PATIENCE
) -> E:
    """The next event of `kind`; status events are skipped unless asked for."""

    async def wait() -> E:
        while True:
            event = await anext(events)
            if isinstance(event, kind):
                return event
            if not skip_status and isinstance(event, StatusEvent):
                raise AssertionError(f"unexpected {event!r}")

    return await asyncio.wait_for(wait(), timeout)


async def status_of(events: AsyncIterator[DeviceEvent], status: DeviceStatus, timeout: float = PATIENCE) -> StatusEvent:
    """Skip events until a StatusEvent with `status`; fails on any scan or card on the way."""

    async def wait() -> StatusEvent:
        while True:
            event = await anext(events)
            if isinstance(event, StatusEvent):
                if event.status is status:
                    return event
                continue
            raise AssertionError(f"unexpected {event!r} while waiting for {status}")

    return await asyncio.wait_for(wait(), timeout)
