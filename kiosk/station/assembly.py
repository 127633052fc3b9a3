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
from kiosk.adapters.store import Store
from kiosk.core.benefits import Catalog
from kiosk.core.credentials.shape import complete_line_test
from kiosk.session.flow import Checker
from kiosk.session.runtime import KioskRuntime, NamedDevice, PolicyInfo
from kiosk.session.staff_pin import StaffPin
from kiosk.session.what_if import WhatIf
from kiosk.station.config import KioskConfig
from kiosk.station.services import KioskServices, build_services

if TYPE_CHECKING:
    from kiosk.common.facts_table import FactSpec


@dataclass
class Station:
    runtime: KioskRuntime
    services: KioskServices

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

    async def aclose(self) -> None:
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

    def held_catalog() -> Catalog:
        # The signed bundle's policy once the kiosk holds one, else what it was built with.
        bundle = sync.current
        return bundle.catalog if bundle is not None else flow.catalog

    runtime = KioskRuntime(
        flow,
        devices=build_devices(config) if devices is None else devices,
        counters=services.offline.store,
        staff_pin=StaffPin(config.staff_pin_hash),
        backend_probe=probe if client is not None else None,
        policy_info=policy,
        sync_now=sync_now,
        what_if=WhatIf(held_catalog, shipped_facts, client.simulate if client is not None else None),
    )
    return Station(runtime=runtime, services=services)
