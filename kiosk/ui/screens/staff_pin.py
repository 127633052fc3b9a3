"""Staff PIN entry. Shows no dots and no count, so a bystander learns nothing of the PIN."""

from __future__ import annotations

from typing import Any

from kiosk.session.flow import SessionView
from kiosk.ui.screens.base import KioskScreen


class StaffPinScreen(KioskScreen):
    _entered = ""
    message_key = "pin.prompt"

    def show(self, view: SessionView, locale: str) -> None:
        self.ids.message.text = self.kiosk.tr(self.message_key, locale)

    def on_pre_enter(self, *_: Any) -> None:
        self._entered = ""
        self.message_key = "pin.prompt"

    def press_digit(self, digit: str) -> None:
        if len(self._entered) < 12:
            self._entered += digit

    def clear(self) -> None:
        self._entered = ""

    def submit(self) -> None:
        app = self.kiosk
        attempt, self._entered = self._entered, ""
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
