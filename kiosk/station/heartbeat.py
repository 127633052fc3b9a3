"""The heartbeat's wiring: what the kiosk reports about itself, read fresh at each beat.

Shared by the running kiosk (kiosk/station/assembly.py), which knows its drivers' statuses and
its last frame, and by the field tool `kiosk heartbeat`, which runs beside it and reports the
ports it can see and the last frame the kiosk reported at its own last beat.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kiosk import __version__
from kiosk.adapters.bundle_sync import BundleSync
from kiosk.adapters.heartbeat_ledger import HeartbeatLedger
from kiosk.adapters.heartbeat_sender import HeartbeatSender, KioskStatus
from kiosk.adapters.store import Store
from kiosk.core.bundle import iso_utc
from kiosk.core.heartbeat import SYNC_OUTCOMES
from kiosk.station.config import DeviceConfig, KioskConfig

if TYPE_CHECKING:
    import httpx


def machine_uptime_seconds() -> int:
    """Seconds since the kiosk's computer started (suspend included), whichever process asks."""
    boottime = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)
    return max(0, int(time.clock_gettime(boottime)))


def port_status(device: DeviceConfig) -> str:
    """For a part no driver in this process holds: is its port there at all?"""
    if not device.port:
        return "not_configured"
    return "ready" if os.path.exists(device.port) else "no_device"


def status_reader(
    config: KioskConfig,
    store: Store,
    sync: BundleSync,
    ledger: HeartbeatLedger,
    *,
    driver_statuses: Callable[[], Mapping[str, str]] | None = None,
    last_frame: Callable[[], datetime | None] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Callable[[], KioskStatus]:
    now = clock or (lambda: datetime.now(UTC))

    def read() -> KioskStatus:
        bundle = sync.current
        age = max(0, int(bundle.age(now()).total_seconds())) if bundle is not None else None
        drivers = dict(driver_statuses()) if driver_statuses is not None else {}
        parts = {
            "scanner": drivers.get("scanner") or port_status(config.scanner),
            "card_reader": drivers.get("card_reader") or port_status(config.idcard),
            "printer": port_status(config.printer),
        }
        frame = last_frame() if last_frame is not None else None
        outcome = store.get_state("last_sync_outcome")
        return KioskStatus(
            software_version=__version__,
            policy_version=str(bundle.version) if bundle is not None else None,
            policy_age_seconds=age,
            last_sync_outcome=outcome if outcome in SYNC_OUTCOMES else None,
            last_sync_at=store.get_state("last_sync_attempt_at"),
            devices=parts,
            last_frame_at=iso_utc(frame) if frame is not None else ledger.last_frame_at,
            uptime_seconds=machine_uptime_seconds(),
        )

    return read


def build_sender(
    config: KioskConfig,
    ledger: HeartbeatLedger,
    status: Callable[[], KioskStatus],
    *,
    token: str | None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> HeartbeatSender:
    return HeartbeatSender(
        ledger,
        status,
        base_url=config.backend_url,
        token=token,
        device_id=config.device_id,
        interval_seconds=max(1, config.heartbeat_minutes) * 60.0,
        transport=transport,
    )
