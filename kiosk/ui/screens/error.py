"""Errors a person understands: what happened, in plain words, and what to do next."""

from __future__ import annotations

from kiosk.session.flow import SessionView
from kiosk.ui.screens.base import KioskScreen


class ErrorScreen(KioskScreen):
    def show(self, view: SessionView, locale: str) -> None:
        app = self.kiosk
        category = view.error_category.value if view.error_category else "unavailable"
        self.ids.title.text = app.tr(f"error.{category}", locale)
        self.ids.message.text = view.error.get(locale) if view.error else ""
        self.ids.retry.disabled = view.benefit is None
