"""How the dashboard words a device's row: durations, moments and statuses in the operator's
language, every word from the catalogs (kiosk/core/catalogs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from backend.fleet.view import DeviceView
from kiosk.core.catalog import translate
from kiosk.core.heartbeat import DEVICE_PARTS, PART_STATUSES, SYNC_OUTCOMES
from kiosk.core.text import Locale


@dataclass(frozen=True, slots=True)
class PartText:
    name: str
    status: str
    text: str


@dataclass(frozen=True, slots=True)
class DeviceRow:
    device: str
    state: str
    last_heartbeat: str
    software: str
    policy: str
    policy_expires: str
    policy_warning: bool
    policy_note: str
    sync: str
    parts: tuple[PartText, ...]
    parts_ok: bool
    frame: str
    uptime: str
    clock: str
    clock_warning: bool


def duration_text(seconds: float, locale: Locale) -> str:
    seconds = abs(seconds)
    if seconds < 90:
        return translate("fleet.duration.s", locale, n=round(seconds))
    if seconds < 90 * 60:
        return translate("fleet.duration.min", locale, n=round(seconds / 60))
    if seconds < 48 * 3600:
        return translate("fleet.duration.h", locale, n=round(seconds / 3600))
    return translate("fleet.duration.d", locale, n=round(seconds / 86400))


def moment_text(moment: datetime, locale: Locale) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ago(stamp: object, now: datetime, locale: Locale) -> str:
    if not isinstance(stamp, str):
        return translate("fleet.never", locale)
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return translate("fleet.never", locale)
    return translate("fleet.ago", locale, duration=duration_text((now - moment).total_seconds(), locale))


def device_row(view: DeviceView, now: datetime, locale: Locale) -> DeviceRow:
    status = view.status
    dash = "–"
    expires = view.policy_expires_in_hours
    if status.get("policy_version") is None:
        policy_expires, note = dash, translate("fleet.policy.none", locale)
    elif expires is not None and expires <= 0:
        policy_expires, note = translate("fleet.policy.expired", locale), translate("fleet.policy.expired", locale)
    else:
        policy_expires = duration_text((expires or 0) * 3600, locale)
        note = translate("fleet.policy.warning", locale)
    outcome = status.get("last_sync_outcome")
    sync = dash
    if outcome in SYNC_OUTCOMES:
        sync = translate(
            "fleet.sync.line",
            locale,
            outcome=translate(f"fleet.sync.{outcome}", locale),
            ago=_ago(status.get("last_sync_at"), now, locale),
        )
    parts = status.get("devices") or {}
    part_texts = tuple(
        PartText(translate(f"fleet.part.{name}", locale), parts[name], translate(f"fleet.part.{parts[name]}", locale))
        for name in DEVICE_PARTS
        if parts.get(name) in PART_STATUSES
    )
    skew = status.get("clock_skew_seconds")
    if isinstance(skew, int | float):
        clock = (
            translate("fleet.clock.wrong", locale, duration=duration_text(skew, locale))
            if view.clock_warning
            else translate("fleet.clock.ok", locale)
        )
    else:
        clock = dash
    uptime = status.get("uptime_seconds")
    return DeviceRow(
        device=view.device,
        state=view.state,
        last_heartbeat=(
            translate("fleet.ago", locale, duration=duration_text(view.seconds_since, locale))
            if view.seconds_since is not None
            else translate("fleet.never", locale)
        ),
        software=str(status.get("software_version") or dash),
        policy=str(status.get("policy_version") or dash),
        policy_expires=policy_expires,
        policy_warning=view.policy_warning and bool(status),
        policy_note=note,
        sync=sync,
        parts=part_texts,
        parts_ok=view.parts_ok,
        frame=_ago(status.get("last_frame_at"), now, locale) if status else dash,
        uptime=duration_text(uptime, locale) if isinstance(uptime, int) else dash,
        clock=clock,
        clock_warning=view.clock_warning,
    )
