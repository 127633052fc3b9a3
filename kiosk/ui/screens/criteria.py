"""Transparency before scanning: every criterion, its source authority, the legal basis."""

from __future__ import annotations

from datetime import UTC, datetime

from kivy.factory import Factory
from kivy.properties import NumericProperty, StringProperty

from kiosk.core.announcements import announcements
from kiosk.session.flow_view import SessionView
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import Card


class CriterionCard(Card):
    title = StringProperty("")
    source = StringProperty("")


class CriteriaScreen(KioskScreen):
    columns = NumericProperty(1)
    _built_for: tuple[object, ...] | None = None

    def show(self, view: SessionView, locale: str) -> None:
        benefit = view.benefit
        if benefit is None:
            return
        app = self.kiosk
        today = app.flow.catalog.day_of(datetime.now(UTC))
        key = (benefit, locale, app.font_scale, today)
        if key == self._built_for:
            return
        self._built_for = key
        box = self.ids.criteria
        box.clear_widgets()
        schemes = ", ".join(app.tr(f"scheme.{s}", locale) for s in sorted(benefit.schemes))
        self.ids.schemes.text = app.tr("criteria.accepted", locale, schemes=schemes)
        for number, criterion in enumerate(benefit.criteria_on(today), start=1):
            source = app.tr("criteria.source", locale, source=criterion.source.get(locale))
            since = criterion.validity.valid_from
            if since is not None:
                separator = "；" if locale == "zh-CN" else "; "
                source += separator + app.tr("policy.in_force_since", locale, date=since.isoformat())
            box.add_widget(CriterionCard(title=f"{number}. {criterion.title.get(locale)}", source=source))
        box.add_widget(Factory.Body(text=app.tr("criteria.all_must_pass", locale)))
        # Announced changes, from the future versions the bundle already carries.
        for announcement in announcements(benefit, today):
            box.add_widget(Factory.Body(text=announcement.text(locale)))
