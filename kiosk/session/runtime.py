"""The kiosk while it runs: devices feed the flow, the clock ticks it, counters record outcomes.

No Kivy here: the UI, `kiosk demo` and the benchmarks share this, and tests drive it without a
screen. Everything runs as tasks on the one asyncio loop the UI also runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from hardware.base import CardEvent, Device, DeviceEvent, DeviceStatus, ScanEvent, StatusEvent
from kiosk.core.decision import Decision
from kiosk.session.flow import FlowState, SessionFlow, SessionView
from kiosk.session.staff_pin import StaffPin

if TYPE_CHECKING:
    from kiosk.session.what_if import WhatIf

log = logging.getLogger("kiosk.session.runtime")

GONE = frozenset({DeviceStatus.DISCONNECTED, DeviceStatus.NO_DEVICE, DeviceStatus.ERROR})


class CounterStore(Protocol):
    def bump_counter(self, benefit_id: str, outcome: Any, day: date | str) -> bool: ...

    def counters(self, day: date | str) -> dict[tuple[str, str], int]: ...


class MemoryCounters:
    """Counters for a kiosk without a data folder (demo, tests): benefit x outcome x day."""

    def __init__(self) -> None:
        self._table: dict[tuple[str, str, str], int] = {}

    def bump_counter(self, benefit_id: str, outcome: Any, day: date | str) -> bool:
        key = (benefit_id, str(getattr(outcome, "value", outcome)), str(day))
        self._table[key] = self._table.get(key, 0) + 1
        return True

    def counters(self, day: date | str) -> dict[tuple[str, str], int]:
        return {(b, o): n for (b, o, d), n in self._table.items() if d == str(day)}


@dataclass(frozen=True, slots=True)
class NamedDevice:
    """A driver (hardware.base.Device) and what staff call it: "scanner" or "card_reader"."""

    name: str
    device: Device


@dataclass(frozen=True, slots=True)
class Health:
    """What staff see: devices, backend, policy data, today's counts. Never a person."""

    devices: Mapping[str, str]
    backend_reachable: bool | None
    policy_version: str | None
    policy_age_hours: float | None
    counters: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    version: str
    issued_at: datetime | None


class KioskRuntime:
    def __init__(
        self,
        flow: SessionFlow,
        *,
        devices: Sequence[NamedDevice] = (),
        counters: CounterStore | None = None,
        staff_pin: StaffPin | None = None,
        backend_probe: Callable[[], Awaitable[bool]] | None = None,
        policy_info: Callable[[], PolicyInfo | None] | None = None,
        sync_now: Callable[[], Awaitable[bool]] | None = None,
        what_if: WhatIf | None = None,
        tick_seconds: float = 0.25,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self.flow = flow
        self.devices = tuple(devices)
        self.counters: CounterStore = counters or MemoryCounters()
        self.staff_pin = staff_pin or StaffPin(None)
        self._backend_probe = backend_probe
        self._policy_info = policy_info
        self._sync_now = sync_now
        self.what_if = what_if  # staff's what-if with made-up facts; None: not offered
        self._tick_seconds = tick_seconds
        self._today = today
        self._tasks: list[asyncio.Task[None]] = []
        self._ready: dict[str, bool] = {d.name: False for d in self.devices}
        self._last_state: FlowState | None = None
        flow.add_decision_listener(self._count)
        flow.subscribe(self._on_view)

    # -- running -----------------------------------------------------------------------
    def start(self) -> None:
        """Start the tick and one reader task per device on the running loop."""
        if self._tasks:
            return
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._tick_forever(), name="kiosk-tick"))
        for named in self.devices:
            self._tasks.append(loop.create_task(self._read_device(named), name=f"kiosk-{named.name}"))

    async def aclose(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for named in self.devices:
            with contextlib.suppress(Exception):
                await named.device.aclose()

    async def _tick_forever(self) -> None:
        while True:
            self.flow.tick()
            await asyncio.sleep(self._tick_seconds)

    async def _read_device(self, named: NamedDevice) -> None:
        async for event in named.device:
            self.on_device_event(named.name, event)

    # -- what devices deliver ----------------------------------------------------------
    def on_device_event(self, name: str, event: DeviceEvent) -> None:
        if isinstance(event, ScanEvent):
            self.flow.present(event.payload)
        elif isinstance(event, CardEvent):
            self.flow.present(event.id_number, holder_name_masked=event.name_masked)
        elif isinstance(event, StatusEvent):
            status = event.status
            was_ready = self._ready.get(name, False)
            self._ready[name] = status is DeviceStatus.READY
            if was_ready and status in GONE:
                log.warning("%s went away (%s)", name, status.value)
                self.flow.device_lost()
            elif status is DeviceStatus.READY and event.problem is not None:
                self.flow.device_problem(event.problem)
            self._check_devices(self.flow.view)

    def _on_view(self, view: SessionView) -> None:
        if view.state is FlowState.PRESENT and self._last_state is not FlowState.PRESENT:
            for named in self.devices:
                named.device.new_session()
        self._last_state = view.state
        self._check_devices(view)

    def _check_devices(self, view: SessionView) -> None:
        if view.state is FlowState.PRESENT and self.devices and not any(self._ready.values()):
            self.flow.no_device_available()

    def _count(self, decision: Decision) -> None:
        self.counters.bump_counter(decision.benefit, decision.outcome, self._today())

    # -- staff -------------------------------------------------------------------------
    def device_statuses(self) -> dict[str, str]:
        return {d.name: d.device.status.value for d in self.devices}

    async def health(self) -> Health:
        reachable: bool | None = None
        if self._backend_probe is not None:
            try:
                reachable = await asyncio.wait_for(self._backend_probe(), timeout=3.0)
            except Exception:  # any failure to ask is "not reachable", never a crash
                reachable = False
        info = self._policy_info() if self._policy_info else None
        age = None
        if info is not None and info.issued_at is not None:
            age = (datetime.now(UTC) - info.issued_at).total_seconds() / 3600
        return Health(
            devices=self.device_statuses(),
            backend_reachable=reachable,
            policy_version=info.version if info else self.flow.catalog.version,
            policy_age_hours=age,
            counters=self.counters.counters(self._today()),
        )

    @property
    def can_sync(self) -> bool:
        return self._sync_now is not None

    async def sync_now(self) -> bool:
        if self._sync_now is None:
            return False
        try:
            return await self._sync_now()
        except Exception:
            log.warning("sync now failed", exc_info=False)
            return False
