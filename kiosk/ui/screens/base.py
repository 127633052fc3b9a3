"""What every screen shares: access to the app, and a hook to rebuild content from a view."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.uix.screenmanager import Screen

from kiosk.session.flow import SessionView


class KioskScreen(Screen):
    @property
    def kiosk(self) -> Any:
        """The running KioskApp (typed loosely: screens only call its public helpers)."""
        return App.get_running_app()

    def show(self, view: SessionView, locale: str) -> None:
        """Rebuild lists that depend on the view; screens bound only in .kv need nothing."""
