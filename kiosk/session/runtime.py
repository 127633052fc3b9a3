"""The kiosk while it runs: devices feed the flow, the clock ticks it, counters record outcomes.

No Kivy here: the UI, `kiosk demo` and the benchmarks share this, and tests drive it without a
screen. Everything runs as tasks on the one asyncio loop the UI also runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from hardware.base import CardEvent, Device, DeviceEvent, DeviceStatus, ScanEvent, StatusEvent
from kiosk.core.decision_records import Decision
from kiosk.session.flow import SessionFlow
from kiosk.session.flow_view import FlowState, SessionView
from kiosk.session.printing import SlipDesk
from kiosk.session.receipt_check import ReceiptDesk
from kiosk.session.site import Site
from kiosk.session.staff_pin import StaffPin

if TYPE_CHECKING:
    from kiosk.session.what_if import WhatIf

log = logging.getLogger("kiosk.session.runtime")

GONE = frozenset({DeviceStatus.DISCONNECTED, DeviceStatus.NO_DEVICE, DeviceStatus.ERROR})


class CounterStore(Protocol):
    def bump_counter(self, benefit_id: str, outcome: Any, day: date | str) -> bool: ...

    def counters(self, day: date | str) -> dict[tuple[str, str], int]: ...


class DecisionTally(Protocol):
    """Counts each decision for the heartbeat: benefit x outcome and criterion x status, by day."""

    def count(self, benefit: str, outcome: str, criteria: Iterable[tuple[str, str]], day: date | str) -> bool: ...


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
    # Seconds the kiosk's clock is ahead of the server's (negative: behind); None: unknown.
    clock_skew_seconds: float | None = None


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
        clock_skew: Callable[[], float | None] | None = None,
        slips: SlipDesk | None = None,
        receipts: ReceiptDesk | None = None,
        what_if: WhatIf | None = None,
        tick_seconds: float = 0.25,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        tally: DecisionTally | None = None,
    ) -> None:
        self.flow = flow
        self.devices = tuple(devices)
        self.counters: CounterStore = counters or MemoryCounters()
        self.tally = tally
        # When the screen last drew a frame (the UI says so, kiosk/ui/app.py): the heartbeat's
        # proof that the kiosk is not only running but showing something.
        self.last_frame_at: datetime | None = None
        self.staff_pin = staff_pin or StaffPin(None)
        self.slips = slips or SlipDesk(None, Site)
        self.receipts = receipts  # staff's receipt check; None where nothing can verify one
        self._backend_probe = backend_probe
        self._policy_info = policy_info
        self._sync_now = sync_now
        self._clock_skew = clock_skew
        self.what_if = what_if  # staff's what-if with made-up facts; None: not offered
        self._tick_seconds = tick_seconds
        self._today = today
        self._tasks: list[asyncio.Task[None]] = []
        self._ready: dict[str, bool] = {d.name: False for d in self.devices}
        self._last_state: FlowState | None = None
        self._reads_claimed_by: Callable[[DeviceEvent], None] | None = None
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
    def claim_reads(self, consumer: Callable[[DeviceEvent], None]) -> Callable[[], None]:
        """Scans and card reads go to `consumer` (staff checking a receipt) instead of the flow,
        until the returned release is called. Status events still reach the flow."""
        self._reads_claimed_by = consumer
        for named in self.devices:
            named.device.new_session()  # a scan made before must not count as a repeat

        def release() -> None:
            if self._reads_claimed_by is consumer:
                self._reads_claimed_by = None

        return release

    def on_device_event(self, name: str, event: DeviceEvent) -> None:
        claimed = self._reads_claimed_by
        if claimed is not None and isinstance(event, ScanEvent | CardEvent):
            claimed(event)
            return
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
        if view.state is FlowState.IDLE and self._last_state not in (None, FlowState.IDLE):
            self.slips.session_ended()
        self._last_state = view.state
        self._check_devices(view)

    def _check_devices(self, view: SessionView) -> None:
        if view.state is FlowState.PRESENT and self.devices and not any(self._ready.values()):
            self.flow.no_device_available()

    def _count(self, decision: Decision) -> None:
        day = self._today()
        self.counters.bump_counter(decision.benefit, decision.outcome, day)
        if self.tally is not None:
            criteria = [(c.id, c.status.value) for c in decision.criteria]
            self.tally.count(decision.benefit, decision.outcome.value, criteria, day)

    def frame_drawn(self, moment: datetime | None = None) -> None:
        self.last_frame_at = moment or datetime.now(UTC)

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
            clock_skew_seconds=self._clock_skew() if self._clock_skew else None,
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
