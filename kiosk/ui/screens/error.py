"""Errors a person understands: what happened, in plain words, and what to do next."""

from __future__ import annotations

from kiosk.session.flow_view import SessionView
from kiosk.ui.screens.base import KioskScreen


class ErrorScreen(KioskScreen):
    def show(self, view: SessionView, locale: str) -> None:
        app = self.kiosk
        category = view.error_category.value if view.error_category else "unavailable"
        self.ids.title.text = app.tr(f"error.{category}", locale)
        self.ids.message.text = view.error.get(locale) if view.error else ""
        # "Try again" only where trying again can help; an expired or forged credential needs
        # another one, so the button says so.
        retry_key = "error.retry_other" if category in ("expired", "unverifiable", "wrong_kind") else "error.retry"
        self.ids.retry.text = app.tr(retry_key, locale)
        self.ids.retry.disabled = view.benefit is None
