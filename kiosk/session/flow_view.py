"""What a screen is shown of a session: the step it is in (`FlowState`), the snapshot it draws
(`SessionView`), what kind of trouble it shows and how the last session ended.

Apart from the state machine (kiosk.session.flow): the screens draw from these and need nothing
of the machine's workings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kiosk.core.benefits import Benefit
from kiosk.core.decision_records import Decision
from kiosk.core.text import DEFAULT_LOCALE, Locale, LocalText


class FlowState(StrEnum):
    IDLE = "idle"
    CHOOSE_BENEFIT = "choose_benefit"
    CRITERIA = "criteria"
    PRESENT = "present"
    CHECKING = "checking"
    RESULT = "result"
    ERROR = "error"


class ErrorCategory(StrEnum):
    """What kind of trouble a person is shown; the screen picks its heading and icon by it."""

    UNREADABLE = "unreadable"  # damaged, unknown kind of code, wrong check digit
    EXPIRED = "expired"  # genuine but expired, not yet valid, or withdrawn
    UNVERIFIABLE = "unverifiable"  # signature bad or signer unknown
    WRONG_KIND = "wrong_kind"  # a business code for a personal benefit, or the other way round
    DEVICE = "device"  # scanner or card reader unavailable or misread
    UNAVAILABLE = "unavailable"  # no decision possible now (backend, policy data)
    TIMEOUT = "timeout"  # the check took too long


class EndReason(StrEnum):
    DONE = "done"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    ERROR = "error"
    DEVICE_LOST = "device_lost"


@dataclass(frozen=True, slots=True)
class SessionView:
    """Everything a screen may show; a snapshot, replaced on every change."""

    state: FlowState = FlowState.IDLE
    locale: Locale = DEFAULT_LOCALE
    benefit: Benefit | None = None
    decision: Decision | None = None
    error: LocalText | None = None
    error_kind: str | None = None
    error_category: ErrorCategory | None = None
    holder_name_masked: str | None = None
    seconds_left: float | None = None
    last_end: EndReason | None = None
