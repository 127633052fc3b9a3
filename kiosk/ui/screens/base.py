"""What every screen shares: access to the app, and a hook to rebuild content from a view."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView

from kiosk.session.flow import SessionView


class KioskScreen(Screen):
    @property
    def kiosk(self) -> Any:
        """The running KioskApp (typed loosely: screens only call its public helpers)."""
        return App.get_running_app()

    def show(self, view: SessionView, locale: str) -> None:
        """Rebuild lists that depend on the view; screens bound only in .kv need nothing."""

    def reset_scroll(self) -> None:
        """Open at the top: nobody should land where the previous person stopped reading."""
        for widget in self.walk(restrict=True):
            if isinstance(widget, ScrollView):
                for effect in (widget.effect_x, widget.effect_y):
                    if effect is not None:
                        effect.velocity = 0
                widget.scroll_x = 0
                widget.scroll_y = 1

    def forget(self) -> None:
        """Drop anything built for the last session (called when a session ends)."""
