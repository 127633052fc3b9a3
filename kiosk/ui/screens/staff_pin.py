"""Staff PIN entry in the usual phone layout; a dot per digit shows each press registered."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.session.flow_view import SessionView
from kiosk.ui.screens.base import KioskScreen


class StaffPinScreen(KioskScreen):
    dots = StringProperty("")
    _entered = ""
    message_key = "pin.prompt"

    def show(self, view: SessionView, locale: str) -> None:
        self.ids.message.text = self.kiosk.tr(self.message_key, locale)

    def on_pre_enter(self, *_: Any) -> None:
        self._set("")
        self.message_key = "pin.prompt"

    def press_digit(self, digit: str) -> None:
        if len(self._entered) < 12:
            self._set(self._entered + digit)

    def clear(self) -> None:
        self._set("")

    def _set(self, entered: str) -> None:
        self._entered = entered
        self.dots = "●" * len(entered)

    def submit(self) -> None:
        app = self.kiosk
        attempt = self._entered
        self._set("")
        pin = app.runtime.staff_pin
        if not pin.configured:
            self.message_key = "pin.not_configured"
        elif pin.seconds_locked() > 0:
            self.message_key = "pin.locked"
        elif pin.check(attempt):
            self.message_key = "pin.prompt"
            app.enter_staff()
            return
        else:
            self.message_key = "pin.locked" if pin.seconds_locked() > 0 else "pin.wrong"
        self.ids.message.text = app.tr(self.message_key, app.locale)
