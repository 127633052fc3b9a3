"""Staff check a receipt: scan it, read what it says and who signed it, then optionally scan or
read the applicant's code to confirm the receipt is theirs.

While the check screen is open the scanner and the card reader feed this desk instead of the
applicant flow (KioskRuntime.claim_reads). The receipt text is held in memory only between the
two scans, because the binding is checked against it; the applicant's code is used for the one
comparison and dropped. Leaving the screen, starting over or the staff timeout forgets both.
Nothing is written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from hardware.base import CardEvent, DeviceEvent, ScanEvent
from kiosk.core.credentials import Presentation, Scheme, SubjectRef
from kiosk.core.errors import KioskError
from kiosk.core.receipts import ReceiptCheck, ReceiptTrust, verify_receipt
from kiosk.core.text import LocalText


class CheckStep(StrEnum):
    RECEIPT = "receipt"  # waiting for the receipt
    CHECKED = "checked"  # the receipt was read; a genuine one waits for the applicant's code
    BOUND = "bound"  # the applicant's code was compared with the receipt


@dataclass(frozen=True, slots=True)
class ReceiptCheckView:
    """What the check screen shows; never the receipt text or the applicant's code."""

    step: CheckStep = CheckStep.RECEIPT
    check: ReceiptCheck | None = None
    subject_problem: LocalText | None = None  # the applicant's code could not be read


SubjectReader = Callable[[bytes | str], Presentation]


class ReceiptDesk:
    def __init__(
        self,
        trust: Callable[[], ReceiptTrust],
        read_subject: SubjectReader,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._trust = trust
        self._read_subject = read_subject
        self._clock = clock
        self._receipt: str | bytes | None = None
        self._view = ReceiptCheckView()
        self._listeners: list[Callable[[ReceiptCheckView], None]] = []

    @property
    def view(self) -> ReceiptCheckView:
        return self._view

    @property
    def holds_a_receipt(self) -> bool:
        return self._receipt is not None

    def subscribe(self, listener: Callable[[ReceiptCheckView], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def start_over(self) -> None:
        """Ready for the next receipt; the last one and its result are forgotten."""
        self._receipt = None
        self._publish(ReceiptCheckView())

    def on_device_event(self, event: DeviceEvent) -> None:
        if isinstance(event, ScanEvent):
            if self._view.step is CheckStep.RECEIPT:
                self.receipt_scanned(event.payload)
            else:
                self.subject_presented(event.payload)
        elif isinstance(event, CardEvent) and self._view.step is not CheckStep.RECEIPT:
            self.subject_presented(SubjectRef(Scheme.RIC, event.id_number))

    def receipt_scanned(self, payload: bytes | str) -> ReceiptCheckView:
        check = verify_receipt(payload, self._trust(), at=self._clock())
        # Kept only if genuine: a binding is checked against a receipt worth believing.
        self._receipt = payload if check.valid else None
        return self._publish(ReceiptCheckView(CheckStep.CHECKED, check))

    def subject_presented(self, raw: bytes | str | SubjectRef) -> ReceiptCheckView:
        """The applicant's code or card, compared with the receipt's binding and dropped."""
        receipt = self._receipt
        if receipt is None or self._view.check is None or not self._view.check.valid:
            return self._view
        try:
            subject = raw if isinstance(raw, SubjectRef) else self._read_subject(raw).subject
        except KioskError as error:
            return self._publish(replace(self._view, subject_problem=error.text))
        check = verify_receipt(receipt, self._trust(), subject=subject, at=self._clock())
        return self._publish(ReceiptCheckView(CheckStep.BOUND, check))

    def _publish(self, view: ReceiptCheckView) -> ReceiptCheckView:
        self._view = view
        for listener in list(self._listeners):
            listener(view)
        return view
