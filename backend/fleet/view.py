"""The operators' view of the fleet, computed from what the store holds: pure, no I/O.

A device is *live* while its last heartbeat is younger than ``late_seconds``, *late* until
``silent_seconds``, then *silent*; a device that holds a token and never sent one is silent.
A device's policy bundle expires when its age reaches the validity of the bundles this
service signs; the view warns ``policy_warning_hours`` before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.fleet.store import DeviceBeat
from kiosk.core.heartbeat import OutcomeCount

STATES = ("live", "late", "silent")
# The kiosk shows a clock wrong by more than this on its staff screen (issue #17).
SKEW_WARNING_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Thresholds:
    late_seconds: float
    silent_seconds: float
    policy_warning_hours: float
    bundle_valid_hours: float


@dataclass(frozen=True, slots=True)
class DeviceView:
    device: str
    state: str
    received_at: datetime | None
    seconds_since: float | None
    status: Mapping[str, Any]
    policy_expires_in_hours: float | None
    policy_warning: bool
    clock_warning: bool
    parts_ok: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "state": self.state,
            "last_heartbeat_at": self.received_at.isoformat().replace("+00:00", "Z") if self.received_at else None,
            "seconds_since_heartbeat": round(self.seconds_since) if self.seconds_since is not None else None,
            "policy_expires_in_hours": _rounded(self.policy_expires_in_hours),
            "policy_warning": self.policy_warning,
            "clock_warning": self.clock_warning,
            "heartbeat": dict(self.status) if self.status else None,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def state_of(seconds_since: float | None, thresholds: Thresholds) -> str:
    if seconds_since is None or seconds_since >= thresholds.silent_seconds:
        return "silent"
    return "late" if seconds_since >= thresholds.late_seconds else "live"


def device_views(
    known: Iterable[str], beats: Iterable[DeviceBeat], now: datetime, thresholds: Thresholds
) -> list[DeviceView]:
    """Every device that holds a token or has ever sent a heartbeat, by state then name."""
    by_device = {beat.device: beat for beat in beats}
    views = [_view(name, by_device.get(name), now, thresholds) for name in sorted(set(known) | set(by_device))]
    return sorted(views, key=lambda v: (STATES.index(v.state), v.device))


def _view(device: str, beat: DeviceBeat | None, now: datetime, thresholds: Thresholds) -> DeviceView:
    if beat is None:
        return DeviceView(device, "silent", None, None, {}, None, False, False, False)
    since = max(0.0, (now - beat.received_at).total_seconds())
    status = beat.status
    age = status.get("policy_age_seconds")
    expires_in = None
    if isinstance(age, int):
        # The age was measured when the beat was sent; it has grown since.
        expires_in = thresholds.bundle_valid_hours - (age + since) / 3600
    skew = status.get("clock_skew_seconds")
    parts = status.get("devices") or {}
    return DeviceView(
        device=device,
        state=state_of(since, thresholds),
        received_at=beat.received_at,
        seconds_since=since,
        status=status,
        policy_expires_in_hours=expires_in,
        policy_warning=expires_in is None or expires_in <= thresholds.policy_warning_hours,
        clock_warning=isinstance(skew, int | float) and abs(skew) > SKEW_WARNING_SECONDS,
        parts_ok=all(value in ("ready", "not_configured") for value in parts.values()),
    )


def fleet_document(
    views: list[DeviceView], outcomes: list[OutcomeCount], now: datetime, thresholds: Thresholds, first_day: str
) -> dict[str, Any]:
    """The body of GET /v1/fleet."""
    states = Counter(view.state for view in views)
    by_outcome: Counter[str] = Counter()
    by_benefit: dict[str, Counter[str]] = {}
    for row in outcomes:
        by_outcome[row.outcome] += row.count
        by_benefit.setdefault(row.benefit, Counter())[row.outcome] += row.count
    return {
        "generated_at": now.isoformat().replace("+00:00", "Z"),
        "thresholds": {
            "late_seconds": thresholds.late_seconds,
            "silent_seconds": thresholds.silent_seconds,
            "policy_warning_hours": thresholds.policy_warning_hours,
        },
        "totals": {
            "devices": len(views),
            **{state: states.get(state, 0) for state in STATES},
            "policy_warnings": sum(1 for view in views if view.policy_warning and view.state != "silent"),
            "decisions_since": first_day,
            "decisions": dict(sorted(by_outcome.items())),
            "decisions_by_benefit": {b: dict(sorted(c.items())) for b, c in sorted(by_benefit.items())},
        },
        "devices": [view.to_json() for view in views],
    }
