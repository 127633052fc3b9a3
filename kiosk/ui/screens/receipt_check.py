"""Staff check a receipt: what it says and who signed it, then whether it is the applicant's.

The screen only shows the session's ReceiptDesk; the scanner and card reader feed that desk
while this screen is up, and leaving it gives them back to the applicant flow and forgets the
receipt and the result.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.core.receipts import ReceiptCheck
from kiosk.session.flow_view import SessionView
from kiosk.session.readout import local_time
from kiosk.session.receipt_check import CheckStep, ReceiptCheckView, ReceiptDesk
from kiosk.ui.screens.base import KioskScreen


class ReceiptCheckScreen(KioskScreen):
    checked = BooleanProperty(False)
    bound = BooleanProperty(False)
    verdict = StringProperty("unknown")
    binding_status = StringProperty("unknown")
    _release: Any = None
    _unsubscribe: Any = None

    @property
    def desk(self) -> ReceiptDesk | None:
        return self.kiosk.runtime.receipts

    def on_pre_enter(self, *_: Any) -> None:
        desk = self.desk
        if desk is None:
            return
        desk.start_over()
        self._release = self.kiosk.runtime.claim_reads(desk.on_device_event)
        self._unsubscribe = desk.subscribe(lambda _view: self.show(self.kiosk.view, self.kiosk.locale))
        self.show(self.kiosk.view, self.kiosk.locale)

    def on_leave(self, *_: Any) -> None:
        for undo in (self._release, self._unsubscribe):
            if undo is not None:
                undo()
        self._release = self._unsubscribe = None
        if self.desk is not None:
            self.desk.start_over()  # nothing of either scan outlives the screen

    def forget(self) -> None:
        if self.desk is not None and self._release is None:
            self.desk.start_over()

    def start_over(self) -> None:
        if self.desk is not None:
            self.desk.start_over()

    def show(self, view: SessionView, locale: str) -> None:
        desk = self.desk
        state = desk.view if desk is not None else ReceiptCheckView()
        tr = self.kiosk.tr
        check = state.check
        self.checked = check is not None
        self.bound = state.step is CheckStep.BOUND or state.subject_problem is not None
        if check is None:
            self.ids.instruction.text = tr("receipt_check.scan_receipt", locale)
            return
        if check.valid and state.step is CheckStep.CHECKED:
            self.ids.instruction.text = tr("receipt_check.ask_subject", locale)
        else:
            self.ids.instruction.text = tr("receipt_check.scan_another", locale)
        self.verdict = "passed" if check.valid else "failed"
        self.ids.verdict.text = tr("receipt_check.valid" if check.valid else "receipt_check.invalid", locale)
        if check.valid:
            self.ids.says.text = self._says(check, locale)
            self.ids.signer.text = self._signer(check, locale)
        else:
            self.ids.says.text = check.message.get(locale) if check.message is not None else ""
            self.ids.signer.text = ""
        if state.subject_problem is not None:
            self.binding_status = "unknown"
            self.ids.binding_line.text = state.subject_problem.get(locale)
        elif state.step is CheckStep.BOUND:
            matches = check.subject_matches is True
            self.binding_status = "passed" if matches else "failed"
            key = "receipt_check.matches" if matches else "receipt_check.not_matches"
            self.ids.binding_line.text = tr(key, locale)

    def _says(self, check: ReceiptCheck, locale: str) -> str:
        tr = self.kiosk.tr
        catalog = self.kiosk.flow.catalog
        benefit = catalog.get(check.benefit or "")
        colon = ": " if locale == "en" else "："
        lines = [
            (benefit.title.get(locale) if benefit else check.benefit or "")
            + colon
            + (tr(f"outcome.{check.outcome.value}", locale) if check.outcome else ""),
        ]
        for criterion_id, status in check.criteria:
            versions = benefit.versions_of(criterion_id) if benefit else ()
            title = versions[-1].title.get(locale) if versions else criterion_id
            lines.append(tr(f"status.{status.value}", locale) + colon + title)
        zone = self.kiosk.site.zone()
        lines.append(
            tr(
                "result.times",
                locale,
                decided=local_time(check.decided_at or "", zone, locale),
                valid=local_time(check.valid_until or "", zone, locale),
            )
        )
        return "\n".join(lines)

    def _signer(self, check: ReceiptCheck, locale: str) -> str:
        key = "receipt_check.signed.device" if check.signed_by == "device" else "receipt_check.signed.backend"
        return self.kiosk.tr(key, locale, device=check.device or "—", kid=(check.key_id or "")[:8])
