"""Staff mode: device health, policy data, today's counts, sync now, pick a benefit.

It shows aggregate numbers only; there is no list of people to show, because none is kept.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from kivy.factory import Factory

from kiosk.core.bundle import CLOCK_SKEW
from kiosk.session.flow_view import SessionView
from kiosk.session.readout import local_time
from kiosk.session.runtime import Health
from kiosk.session.site import PresetState
from kiosk.ui.screens.base import KioskScreen

# A clock this far off the server's is shown to staff (issue 17); offline decisions stop only
# past the bundle's own tolerance (CLOCK_SKEW).
SHOWN_SKEW_SECONDS = 5 * 60


class StaffScreen(KioskScreen):
    health: Health | None = None
    sync_message = ""
    _refreshing: asyncio.Future[None] | None = None

    def on_pre_enter(self, *_: Any) -> None:
        self.health = None
        self.sync_message = ""
        self._refreshing = asyncio.ensure_future(self.refresh_health())

    async def refresh_health(self) -> None:
        self.health = await self.kiosk.runtime.health()
        self.show(self.kiosk.view, self.kiosk.locale)

    async def sync(self) -> None:
        app = self.kiosk
        self.sync_message = "staff.syncing"
        self.show(app.view, app.locale)
        ok = await app.runtime.sync_now()
        self.sync_message = "staff.sync_ok" if ok else "staff.sync_failed"
        await self.refresh_health()

    def show(self, view: SessionView, locale: str) -> None:
        app = self.kiosk
        tr = app.tr
        lines: list[str] = []
        colon = ": " if locale == "en" else "："
        health = self.health
        if health is None:
            lines.append(tr("staff.loading", locale))
        else:
            for name, status in sorted(health.devices.items()):
                lines.append(tr(f"staff.device.{name}", locale) + colon + tr(f"device.{status}", locale))
            if not health.devices:
                lines.append(tr("staff.no_devices", locale))
            backend = {True: "staff.reachable", False: "staff.unreachable", None: "staff.not_configured"}
            lines.append(tr("staff.backend", locale) + colon + tr(backend[health.backend_reachable], locale))
            lines.append(tr("staff.policy", locale, version=self._version_text(health.policy_version, locale),
                            age=self._age_text(health.policy_age_hours, locale)))
            lines += self._clock_lines(health.clock_skew_seconds, locale)
        lines += self._site_lines(locale)
        self.ids.health.text = "\n".join(lines)
        counts = health.counters if health else {}
        rows = [
            f"{self._benefit_title(b, locale)} · {tr(f'outcome.{o}', locale)}{colon}{n}"
            for (b, o), n in sorted(counts.items())
        ]
        self.ids.counters.text = "\n".join(rows) or tr("staff.no_counts", locale)
        self.ids.sync_message.text = tr(self.sync_message, locale) if self.sync_message else ""
        self.ids.sync.disabled = not app.runtime.can_sync
        box = self.ids.benefits
        box.clear_widgets()
        for benefit in app.flow.offered():
            button = Factory.KioskButton(text=benefit.title.get(locale))
            button.benefit_id = benefit.id
            button.bind(on_release=lambda b: app.staff_choose(b.benefit_id))
            box.add_widget(button)

    def _site_lines(self, locale: str) -> list[str]:
        site = self.kiosk.site
        if site.preset is PresetState.UNKNOWN:
            return [self.kiosk.tr("staff.site_unknown", locale, id=site.site_id)]
        if site.preset is PresetState.APPLIED:
            name = site.name.get(locale) if site.name is not None else site.site_id
            return [self.kiosk.tr("staff.site", locale, name=name, id=site.site_id)]
        return []

    def _clock_lines(self, skew: float | None, locale: str) -> list[str]:
        """Only a clock off by more than SHOWN_SKEW is worth a line; past the bundle's
        tolerance, staff also learn that offline checks have stopped."""
        if skew is None or abs(skew) <= SHOWN_SKEW_SECONDS:
            return []
        minutes = round(abs(skew) / 60)
        lines = [self.kiosk.tr("staff.clock_ahead" if skew > 0 else "staff.clock_behind", locale, minutes=minutes)]
        if abs(skew) > CLOCK_SKEW.total_seconds():
            tolerance = int(CLOCK_SKEW.total_seconds() // 60)
            lines.append(self.kiosk.tr("staff.clock_offline_paused", locale, tolerance=tolerance))
        return lines

    def _age_text(self, hours: float | None, locale: str) -> str:
        # "0.0 hours" told staff nothing; whole hours, or "under an hour".
        if hours is None:
            return "—"
        if hours < 1:
            return self.kiosk.tr("staff.age.under_hour", locale)
        return self.kiosk.tr("staff.age.hours", locale, hours=int(hours))

    def _version_text(self, version: str | None, locale: str) -> str:
        """A bundle version that is a Unix time is shown as the time it stands for."""
        if not version:
            return "—"
        if version.isdigit() and len(version) == 10:
            moment = datetime.fromtimestamp(int(version), UTC).isoformat()
            return local_time(moment, self.kiosk.site.zone(), locale)
        return version

    def _benefit_title(self, benefit_id: str, locale: str) -> str:
        benefit = self.kiosk.flow.catalog.get(benefit_id)
        return benefit.title.get(locale) if benefit else benefit_id
