"""A backend with its fleet on, and heartbeats to send it, for the fleet tests."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from backend.auth import DeviceCredential
from backend.commands.serve import DEMO_OPERATOR_TOKEN, demo_settings
from backend.settings import FleetSettings, Settings
from demo.records import DEMO_DEVICE_ID, DEMO_TOKEN
from tests.support.backend import running_server
from tests.support.deployment import STORES

OPERATOR = {"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"}
DEVICE = {"Authorization": f"Bearer {DEMO_TOKEN}"}
KIOSK_TOKENS = {f"kiosk-{n:04d}": f"kiosk-{n:04d}-token-for-tests" for n in (1, 2, 3)}


def fleet_settings(tmp: Path, *, demo_device: bool = True, **fleet: Any) -> Settings:
    """Demo records and keys; kiosk-0001..3 (and the demo device); the fleet file in ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    settings = demo_settings(tmp / "demo.sqlite3", rate_per_second=None)
    kiosks = tuple(DeviceCredential.from_token(d, t) for d, t in KIOSK_TOKENS.items())
    devices = (settings.devices if demo_device else ()) + kiosks
    options = {"db": tmp / "fleet.sqlite3", **fleet}
    return Settings(
        **{
            **{name: getattr(settings, name) for name in settings.__dataclass_fields__},
            "devices": devices,
            "fleet": FleetSettings(**options),
        }
    )


@contextmanager
def fleet_server(tmp: Path, *, demo_device: bool = True, **fleet: Any) -> Iterator[str]:
    with running_server(fleet_settings(tmp, demo_device=demo_device, **fleet)) as url:
        yield url


@pytest.fixture(params=STORES)
def fleet_db(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """FleetSettings options for a test that runs on both fleet stores: a SQLite file in the
    test's folder, or a fresh schema in the session's PostgreSQL cluster (made by `db init`'s
    own function, as an operator would)."""
    if request.param == "sqlite":
        return {"db": tmp_path / "fleet.sqlite3"}
    from backend.pg import schema

    url = str(request.getfixturevalue("postgres_url"))
    with psycopg.connect(url, autocommit=True) as connection:
        schema.init(connection)
    return {"db": None, "db_url": url}


def today() -> str:
    return datetime.now(UTC).date().isoformat()


BEAT: dict[str, Any] = {
    "device": DEMO_DEVICE_ID,
    "software_version": "0.1.0",
    "policy_version": "1764576000",
    "policy_age_seconds": 3600,
    "last_sync_outcome": "updated",
    "last_sync_at": "2026-12-01T08:00:00Z",
    "devices": {"scanner": "ready", "card_reader": "ready", "printer": "not_configured"},
    "last_frame_at": "2026-12-01T08:59:59Z",
    "uptime_seconds": 86400,
    "clock_skew_seconds": 0.0,
    "counters": None,
}


def beat(batch: str | None = None, *, eligible: int = 1, unknown: int = 0, **fields: Any) -> dict[str, Any]:
    """A valid heartbeat; with ``batch``, counters for expedited-permit today."""
    body = copy.deepcopy(BEAT)
    body.update(fields)
    if batch is not None:
        day = today()
        body["counters"] = {
            "batch": batch,
            "outcomes": [{"day": day, "benefit": "expedited-permit", "outcome": "eligible", "count": eligible}],
            "criteria": [{"day": day, "criterion": "tax-credit-a-or-b", "status": "passed", "count": eligible}]
            + (
                [{"day": day, "criterion": "tax-credit-a-or-b", "status": "unknown", "count": unknown}]
                if unknown
                else []
            ),
        }
    return body
