"""Benefit list, business and personal, each with what it gives; a touch shows its criteria."""

from __future__ import annotations

from datetime import UTC, datetime

from kivy.factory import Factory
from kivy.properties import StringProperty

from kiosk.session.flow_view import SessionView
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import TappableCard

SECTIONS = (("business", "benefits.business"), ("person", "benefits.personal"))


class BenefitCard(TappableCard):
    benefit_id = StringProperty("")
    title = StringProperty("")
    summary = StringProperty("")


class BenefitsScreen(KioskScreen):
    _built_for: tuple[object, ...] | None = None

    def show(self, view: SessionView, locale: str) -> None:
        app = self.kiosk
        # The list only changes with the language, the view size or the catalog: keep it.
        today = app.flow.catalog.day_of(datetime.now(UTC))
        key = (locale, app.font_scale, id(app.flow.catalog), app.flow.site.benefits, today)
        if key == self._built_for:
            return
        self._built_for = key
        box = self.ids.entries
        box.clear_widgets()
        # A benefit with no version in force today is not offered at all; a site offers its
        # own choice in its own order, and a section it offers nothing in is left out.
        offered = app.flow.offered(today)
        chosen = app.flow.site.benefits is not None
        for kind, heading_key in SECTIONS:
            benefits = [b for b in offered if b.kind == kind]
            if chosen and not benefits and offered:
                continue
            box.add_widget(Factory.Heading(text=app.tr(heading_key, locale)))
            if not benefits:
                box.add_widget(Factory.Body(text=app.tr("benefits.none", locale)))
                continue
            grid = Factory.BenefitGrid()
            for benefit in benefits:
                card = BenefitCard(
                    benefit_id=benefit.id, title=benefit.title.get(locale), summary=benefit.summary.get(locale)
                )
                card.bind(on_release=lambda card: app.choose_benefit(card.benefit_id))
                # As tall as its row, text at the top: two cards side by side line up.
                card.size_hint_y = 1
                card.size_hint_min_y = card.minimum_height
                card.bind(minimum_height=card.setter("size_hint_min_y"))
                grid.add_widget(card)
            box.add_widget(grid)
