"""The fleet's parts, built once per process from the settings: its store, who may see it, and
the thresholds its view is computed with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from backend.auth import OPERATORS, DeviceRegistry
from backend.bundle_source import DEFAULT_VALIDITY
from backend.fleet.insights import days_until
from backend.fleet.sqlite_store import SQLiteFleetStore
from backend.fleet.store import BeatAllowance, FleetStore
from backend.fleet.view import DeviceView, Thresholds, device_views, fleet_document
from backend.gate import DeviceGate, failure_limiter
from backend.settings import FleetSettings, Settings
from backend.token_sources import ReloadingRegistry, TokenSource, token_source
from kiosk.core.benefits import Catalog

# The dashboard and GET /v1/fleet count decisions over this many days, today included.
WINDOW_DAYS = 14


class Holders(Protocol):
    """Who holds a token of one kind (a registry, which may follow its file)."""

    @property
    def devices(self) -> tuple[str, ...]: ...


@dataclass
class Fleet:
    store: FleetStore
    catalog: Catalog
    devices: Holders
    operators: DeviceRegistry | ReloadingRegistry
    operator_gate: DeviceGate
    thresholds: Thresholds
    allowance: BeatAllowance
    clock: Callable[[], datetime]
    operator_tokens: TokenSource | None = None

    def close(self) -> None:
        self.store.close()
        if self.operator_tokens is not None:
            self.operator_tokens.close()

    def today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def window(self) -> list[str]:
        return days_until(self.today(), WINDOW_DAYS)

    def views(self) -> list[DeviceView]:
        return device_views(self.devices.devices, self.store.devices(), self.clock(), self.thresholds)

    def document(self) -> dict[str, Any]:
        first_day = self.window()[0]
        return fleet_document(
            self.views(), self.store.outcome_totals(first_day), self.clock(), self.thresholds, first_day
        )


def build_fleet(
    settings: Settings, catalog: Catalog, device_registry: Holders, clock: Callable[[], datetime] | None = None
) -> Fleet | None:
    """The fleet, or None when the settings name no ``fleet_db`` (the routes are then absent)."""
    fleet = settings.fleet
    store = open_fleet_store(fleet, settings.origin)
    if store is None:
        return None
    operators: DeviceRegistry | ReloadingRegistry = DeviceRegistry(settings.operators)
    operator_tokens: TokenSource | None = None
    if settings.operator_tokens is not None or settings.operator_tokens_url is not None:
        # A file not written yet is followed too: the first `operator-token issue` opens the view.
        operator_tokens = token_source(
            settings.operator_tokens, settings.operator_tokens_url, OPERATORS,
            setting="operator_tokens", origin=settings.origin, missing_is_empty=True,
        )
        operators = ReloadingRegistry(operator_tokens)
    return Fleet(
        store=store,
        catalog=catalog,
        devices=device_registry,
        operators=operators,
        operator_gate=DeviceGate(operators, None, failure_limiter()),
        thresholds=Thresholds(
            fleet.late_seconds, fleet.silent_seconds, fleet.policy_warning_hours, DEFAULT_VALIDITY / timedelta(hours=1)
        ),
        allowance=BeatAllowance(fleet.per_hour / 3600, fleet.burst),
        clock=clock or (lambda: datetime.now(UTC)),
        operator_tokens=operator_tokens,
    )


def open_fleet_store(fleet: FleetSettings, origin: str) -> FleetStore | None:
    """The store the settings name (PostgreSQL, SQLite), or None: the fleet is off."""
    if fleet.db_url is not None:
        from backend.pg.fleet_store import PostgresFleetStore  # SQLite sites never import psycopg

        return PostgresFleetStore(fleet.db_url, origin=origin)
    return SQLiteFleetStore(fleet.db) if fleet.db is not None else None
