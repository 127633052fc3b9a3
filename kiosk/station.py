"""From a KioskConfig to a running kiosk's parts: devices, checker, bundle sync, counters.

`kiosk run` and `kiosk demo` both build their runtime here, so the demo exercises exactly the
wiring a real kiosk uses; only the device ports and the backend address differ.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kiosk.checkers import Checker, FallbackChecker, OfflineChecker
from kiosk.client import BackendClient, OnlineChecker
from kiosk.config import KioskConfig
from kiosk.core.credentials import CredentialSettings, Presentation, TrustStore, read_presentation
from kiosk.core.offline import credential_settings
from kiosk.flow import SessionFlow
from kiosk.offline_session import authority_keys
from kiosk.policy_source import load_catalog
from kiosk.runtime import KioskRuntime, NamedDevice, PolicyInfo
from kiosk.staff_pin import StaffPin
from kiosk.store import Store
from kiosk.sync import BundleSync


@dataclass
class Station:
    runtime: KioskRuntime
    client: BackendClient | None
    sync: BundleSync | None

    def start(self) -> None:
        """Devices, the tick and the background bundle sync, on the running loop."""
        self.runtime.start()
        if self.sync is not None:
            self.sync.start()

    async def aclose(self) -> None:
        await self.runtime.aclose()
        if self.sync is not None:
            with contextlib.suppress(Exception):
                await self.sync.stop()
        if self.client is not None:
            await self.client.aclose()


def build_devices(config: KioskConfig) -> list[NamedDevice]:
    """Drivers for the ports the config names; a kiosk may have one or both."""
    from hardware.idcard import IdCardReader
    from hardware.scanner import SerialScanner

    devices: list[NamedDevice] = []
    if config.scanner.port:
        devices.append(NamedDevice("scanner", SerialScanner(config.scanner.port, baud=config.scanner.baud or 9600)))
    if config.idcard.port:
        bauds = (config.idcard.baud,) if config.idcard.baud else (115200, 9600)
        devices.append(NamedDevice("card_reader", IdCardReader(config.idcard.port, bauds=bauds)))
    return devices


def build_station(
    config: KioskConfig,
    *,
    devices: Sequence[NamedDevice] | None = None,
    online_wrapper: Callable[[Checker], Checker] | None = None,
    store: Store | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Station:
    catalog = load_catalog()
    store = store or Store(config.data_dir)
    configured_trust = TrustStore.from_files(config.trust_files) if config.trust_files else TrustStore()
    sync: BundleSync | None = None
    client: BackendClient | None = None
    token = config.device_token()
    if not config.offline_only:
        client = BackendClient(config.backend_url, token or "", config.device_id)
    # Without configured authority keys no bundle verifies, so nothing offline is trusted.
    authorities = authority_keys(config.authority_keys) if config.authority_keys else {}
    sync = BundleSync(store, authorities, base_url=config.backend_url, token=token)

    def settings_now() -> CredentialSettings:
        bundle = sync.current if sync is not None else None
        if bundle is None:
            return CredentialSettings(prefix=config.credential_prefix, trust=configured_trust)
        from_bundle = credential_settings(bundle, config.credential_prefix)
        return CredentialSettings(
            prefix=config.credential_prefix,
            trust=from_bundle.trust.merged(configured_trust),
            revoked=from_bundle.revoked,
        )

    def read(raw: bytes | str) -> Presentation:
        return read_presentation(raw, settings_now(), now=clock())

    offline = OfflineChecker(lambda: sync.current if sync is not None else None, clock=clock)
    checker: Checker = offline
    if client is not None:
        online: Checker = OnlineChecker(client)
        if online_wrapper is not None:
            online = online_wrapper(online)
        checker = FallbackChecker(online, offline)
    flow = SessionFlow(catalog, read, checker, timeouts=config.timeouts)

    async def probe() -> bool:
        if client is None:
            return False
        await client.health()
        return True

    def policy() -> PolicyInfo | None:
        bundle = sync.current if sync is not None else None
        if bundle is None:
            return None
        return PolicyInfo(version=str(bundle.version), issued_at=bundle.issued_at)

    async def sync_now() -> bool:
        assert sync is not None
        result = await sync.sync_now()
        return result.outcome in ("updated", "unchanged")

    runtime = KioskRuntime(
        flow,
        devices=build_devices(config) if devices is None else devices,
        counters=store,
        staff_pin=StaffPin(config.staff_pin_hash),
        backend_probe=probe if client is not None else None,
        policy_info=policy,
        sync_now=sync_now,
        today=lambda: clock().date(),
    )
    return Station(runtime=runtime, client=client, sync=sync)
