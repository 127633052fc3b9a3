"""The session flow's own error (a code of the wrong kind for the benefit) and how any error is
sorted into the category a person is shown (`ErrorCategory`).

Apart from the state machine (kiosk.session.flow), so which trouble is shown as which is decided
in one place, not among the steps.
"""

from __future__ import annotations

from kiosk.core.credentials import CredentialError
from kiosk.core.errors import KioskError
from kiosk.session.flow_view import ErrorCategory

_STEP_CATEGORY = {
    "expired": ErrorCategory.EXPIRED,
    "not_yet_valid": ErrorCategory.EXPIRED,
    "revoked": ErrorCategory.EXPIRED,
    "unknown_key": ErrorCategory.UNVERIFIABLE,
    "bad_signature": ErrorCategory.UNVERIFIABLE,
}


def categorise(error: KioskError) -> ErrorCategory:
    if isinstance(error, CredentialError):
        return _STEP_CATEGORY.get(error.step, ErrorCategory.UNREADABLE)
    if isinstance(error, FlowError):
        return ErrorCategory.WRONG_KIND
    return ErrorCategory.UNAVAILABLE


class FlowError(KioskError):
    """The person did something the current step does not take (e.g. wrong kind of code)."""
