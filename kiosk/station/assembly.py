"""From a KioskConfig to a running kiosk's parts: devices, checker, bundle sync, counters.

`kiosk run` and `kiosk demo` both build their runtime here, so the demo exercises exactly the
wiring a real kiosk uses; only the device ports and the backend address differ.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.adapters.backend_client import BackendClient
from kiosk.adapters.bundle_sync import BundleSync
from kiosk.adapters.heartbeat_ledger import HeartbeatLedger
from kiosk.adapters.heartbeat_sender import HeartbeatSender
from kiosk.adapters.store import Store
from kiosk.core.benefits import Catalog
from kiosk.core.credentials.shape import complete_line_test
from kiosk.core.receipts import ReceiptTrust
from kiosk.session.flow import Checker
from kiosk.session.printing import Printer, SlipDesk
from kiosk.session.receipt_check import ReceiptDesk
from kiosk.session.runtime import KioskRuntime, NamedDevice, PolicyInfo
from kiosk.session.staff_pin import StaffPin
from kiosk.session.what_if import WhatIf
from kiosk.station.config import KioskConfig
from kiosk.station.heartbeat import build_sender, status_reader
from kiosk.station.services import KioskServices, build_services

if TYPE_CHECKING:
    from kiosk.common.facts_table import FactSpec


@dataclass
class Station:
    runtime: KioskRuntime
    services: KioskServices
    ledger: HeartbeatLedger | None = None
    heartbeat: HeartbeatSender | None = None  # None: offline-only, or heartbeat_minutes = 0

    @property
    def client(self) -> BackendClient | None:
        return self.services.client

    @property
    def sync(self) -> BundleSync:
        return self.services.offline.sync

    def start(self) -> None:
        """Devices, the tick and the background bundle sync, on the running loop."""
        self.runtime.start()
        self.sync.start()
        if self.heartbeat is not None:
            self.heartbeat.start()

    async def aclose(self) -> None:
        if self.heartbeat is not None:
            with contextlib.suppress(Exception):
                await self.heartbeat.stop()
        await self.runtime.aclose()
        with contextlib.suppress(Exception):
            await self.services.aclose()


def build_devices(config: KioskConfig) -> list[NamedDevice]:
    """Drivers for the ports the config names; a kiosk may have one or both."""
    from hardware.idcard import IdCardReader
    from hardware.scanner import SerialScanner

    devices: list[NamedDevice] = []
    if config.scanner.port:
        scanner = SerialScanner(
            config.scanner.port,
            baud=config.scanner.baud or 9600,
            is_complete=complete_line_test(config.credential_prefix),
        )
        devices.append(NamedDevice("scanner", scanner))
    if config.idcard.port:
        bauds = (config.idcard.baud,) if config.idcard.baud else (115200, 9600)
        devices.append(NamedDevice("card_reader", IdCardReader(config.idcard.port, bauds=bauds)))
    return devices


def build_printer(config: KioskConfig) -> Printer | None:
    """The slip printer the config names, if any (opened for each slip, not held)."""
    if not config.printer.port:
        return None
    from hardware.printer import SlipPrinter

    return SlipPrinter(config.printer.port, baud=config.printer.baud or 9600)
def shipped_facts() -> Mapping[str, FactSpec]:
    """FACTS.md of the policy shipped with the software: the facts' types for the what-if."""
    from kiosk.common.facts_table import read_facts_table
    from kiosk.common.policy_folder import DEFAULT_POLICY_DIR

    return read_facts_table(DEFAULT_POLICY_DIR / "FACTS.md")


def build_station(
    config: KioskConfig,
    *,
    devices: Sequence[NamedDevice] | None = None,
    online_wrapper: Callable[[Checker], Checker] | None = None,
    store: Store | None = None,
) -> Station:
    """The runtime around the services every front end shares (kiosk/services.py)."""
    services = build_services(config, online_wrapper=online_wrapper, store=store)
    client, sync = services.client, services.offline.sync
    flow = services.new_flow()
    services.follow_policy(flow)

    async def probe() -> bool:
        if client is None:
            return False
        await client.health()
        return True

    def policy() -> PolicyInfo | None:
        bundle = sync.current
        if bundle is None:
            return None
        return PolicyInfo(version=str(bundle.version), issued_at=bundle.issued_at)

    async def sync_now() -> bool:
        return (await sync.sync_now()).ok

    def receipt_trust() -> ReceiptTrust:
        # The signers the current bundle lists: the service's key and the fleet's device keys.
        bundle = sync.current
        return bundle.receipt_trust if bundle is not None else ReceiptTrust()

    store = services.offline.store
    # Counted for the heartbeat only when heartbeats go out: nothing would ever drop them.
    beats = client is not None and config.heartbeat_minutes > 0
    ledger = HeartbeatLedger(config.data_dir)
    def held_catalog() -> Catalog:
        # The signed bundle's policy once the kiosk holds one, else what it was built with.
        bundle = sync.current
        return bundle.catalog if bundle is not None else flow.catalog

    runtime = KioskRuntime(
        flow,
        devices=build_devices(config) if devices is None else devices,
        counters=store,
        staff_pin=StaffPin(config.staff_pin_hash),
        backend_probe=probe if client is not None else None,
        policy_info=policy,
        sync_now=sync_now,
        clock_skew=lambda: sync.clock_skew_seconds,
        slips=SlipDesk(build_printer(config), lambda: flow.site),
        receipts=ReceiptDesk(receipt_trust, services.presentation_reader()),
        tally=ledger if beats else None,
        what_if=WhatIf(held_catalog, shipped_facts, client.simulate if client is not None else None),
    )
    heartbeat = None
    if beats:
        status = status_reader(
            config,
            store,
            sync,
            ledger,
            driver_statuses=runtime.device_statuses,
            last_frame=lambda: runtime.last_frame_at,
        )
        heartbeat = build_sender(config, ledger, status, token=config.device_token())
    return Station(runtime=runtime, services=services, ledger=ledger, heartbeat=heartbeat)
