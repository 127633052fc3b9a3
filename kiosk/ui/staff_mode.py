"""Staff mode on the kiosk: which staff screen is up (PIN, staff, receipt check, what-if), and
its closing after a while without a touch (KioskApp takes these in as a mixin).

Apart from the App because staff mode is a second way through the screens, beside the
person's session, with its own clock; the .kv files call these as ``app.<method>``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.session.flow import SessionFlow
from kiosk.session.flow_view import FlowState
from kiosk.session.runtime import KioskRuntime

STAFF_IDLE_SECONDS = 120.0


class StaffMode:
    """The staff screens' part of KioskApp, which mixes it in and holds the state it uses."""

    # What KioskApp provides (kiosk.ui.app).
    flow: SessionFlow
    runtime: KioskRuntime
    staff_mode: str
    _staff_deadline: float
    _show: Callable[..., None]

    # -- staff -------------------------------------------------------------------------------
    def open_staff(self) -> None:
        if self.flow.view.state is FlowState.IDLE:
            self._staff_deadline = self.flow_clock() + STAFF_IDLE_SECONDS
            self.staff_mode = "staff_pin"
            self._show()

    def enter_staff(self) -> None:
        self._staff_deadline = self.flow_clock() + STAFF_IDLE_SECONDS
        self.staff_mode = "staff"
        self._show()

    def open_receipt_check(self) -> None:
        if self.staff_mode == "staff" and self.runtime.receipts is not None:
            self._staff_deadline = self.flow_clock() + STAFF_IDLE_SECONDS
            self.staff_mode = "receipt_check"
            self._show()

    def open_what_if(self) -> None:
        """Staff's what-if with made-up facts (only from staff mode, behind the PIN)."""
        if self.staff_mode and self.runtime.what_if is not None:
            self._staff_deadline = self.flow_clock() + STAFF_IDLE_SECONDS
            self.staff_mode = "what_if"
            self._show()

    def close_staff(self) -> None:
        self.staff_mode = ""
        self._show()

    def staff_choose(self, benefit_id: str) -> None:
        self.staff_mode = ""
        self.flow.choose_benefit(benefit_id)

    def check_staff_timeout(self) -> None:
        if self.staff_mode and self.flow_clock() > self._staff_deadline:
            self.close_staff()

    def flow_clock(self) -> float:
        return time.monotonic()
