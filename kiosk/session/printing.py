"""Printing for the session: what a slip says, one print at a time, and the result in words.

The screen asks; the print runs as a task on the shared loop (the driver writes from a worker
thread), so the screen never waits. The result is a status the screen says in words: printed,
out of paper, printer off line, printer unplugged. Nothing is printed again unless the person
presses again, and a result that arrives after the session ended is not shown to the next one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from hardware.errors import PrinterError, PrinterOffline, PrinterOutOfPaper, PrinterUnplugged
from hardware.printer import DecisionSlip, HelpSlip, Slip, SlipCriterion
from kiosk.core.catalog import translate
from kiosk.core.decision_records import Decision, Mode
from kiosk.core.text import Locale
from kiosk.session.readout import local_time, ordered, short_reference
from kiosk.session.site import Site

log = logging.getLogger("kiosk.session.printing")


class PrintResult(StrEnum):
    PRINTING = "printing"
    PRINTED = "printed"
    OUT_OF_PAPER = "out_of_paper"
    OFFLINE = "offline"
    UNPLUGGED = "unplugged"
    FAILED = "failed"


# The words for each result: one short line, so the result's summary keeps its first screen
# (the driver's errors carry the longer advice for staff and `kiosk doctor`).
RESULT_KEYS = {result: f"print.{result.value}" for result in PrintResult}


class Printer(Protocol):
    """What the session needs of a slip printer (hardware.printer.SlipPrinter is one)."""

    async def print_slip(self, slip: Slip) -> None: ...


def receipt_of(decision: Decision) -> str | None:
    """The signed receipt a decision carries, if its maker signed one."""
    receipt = getattr(decision, "receipt", None)
    return receipt if isinstance(receipt, str) and receipt else None


def decision_slip(decision: Decision, benefit_title: str, locale: Locale, site: Site) -> DecisionSlip:
    """Benefit, outcome, each criterion's title and status, reference, times, counter, receipt.

    A criterion's reason is left out on purpose: it may quote a fact ("tax grade C").
    """
    zone = site.zone()
    criteria = tuple(
        SlipCriterion(c.title, c.status.value, translate(f"status.{c.status.value}", locale).lstrip("✓×? "))
        for c in ordered(decision.criteria)
    )
    times = translate(
        "result.times",
        locale,
        decided=local_time(decision.decided_at, zone, locale),
        valid=local_time(decision.valid_until, zone, locale),
    )
    details = (
        translate("result.reference", locale, reference=short_reference(decision.decision_id)),
        *times.splitlines(),
        translate("slip.counter", locale, counter=site.counter_name(locale)),
        *((translate("slip.offline", locale),) if decision.mode is Mode.OFFLINE else ()),
    )
    receipt = receipt_of(decision)
    return DecisionSlip(
        heading=translate("slip.heading", locale),
        benefit_title=benefit_title,
        outcome=translate(f"outcome.{decision.outcome.value}", locale),
        criteria=criteria,
        details=details,
        receipt=receipt,
        receipt_caption=translate("slip.qr_caption", locale) if receipt else "",
    )


def help_slip(decision: Decision | None, locale: Locale, site: Site, now: datetime) -> HelpSlip:
    """The call-staff ticket: the counter from the config and the reference, nothing else."""
    printed = local_time(now.astimezone(UTC).isoformat(), site.zone(), locale)
    return HelpSlip(
        heading=translate("slip.ticket.heading", locale),
        body=translate("slip.ticket.body", locale, counter=site.counter_name(locale)),
        reference=short_reference(decision.decision_id) if decision is not None else "",
        details=(translate("slip.printed_at", locale, time=printed),),
    )


def result_of(error: PrinterError) -> PrintResult:
    if isinstance(error, PrinterOutOfPaper):
        return PrintResult.OUT_OF_PAPER
    if isinstance(error, PrinterOffline):
        return PrintResult.OFFLINE
    if isinstance(error, PrinterUnplugged):
        return PrintResult.UNPLUGGED
    return PrintResult.FAILED


class SlipDesk:
    """One print at a time; its result, until the session ends.

    `result` is None before anything was asked this session. Listeners hear every change.
    """

    def __init__(
        self,
        printer: Printer | None,
        site: Callable[[], Site],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._printer = printer
        # Asked at each print: a synced preset may change the counter's name between sessions.
        self._site = site
        self._clock = clock
        self.result: PrintResult | None = None
        self._session = 0  # bumped when a session ends: a late result belongs to nobody
        self._task: asyncio.Task[PrintResult] | None = None
        self._listeners: list[Callable[[PrintResult | None], None]] = []

    @property
    def available(self) -> bool:
        return self._printer is not None

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def subscribe(self, listener: Callable[[PrintResult | None], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def print_receipt(self, decision: Decision, benefit_title: str, locale: Locale) -> asyncio.Task[PrintResult] | None:
        return self._start(lambda: decision_slip(decision, benefit_title, locale, self._site()))

    def print_ticket(self, decision: Decision | None, locale: Locale) -> asyncio.Task[PrintResult] | None:
        return self._start(lambda: help_slip(decision, locale, self._site(), self._clock()))

    def session_ended(self) -> None:
        # A slip still printing finishes (its bytes are in the printer already), but its result
        # is not shown to the next person, and it still holds the printer until it is done.
        self._session += 1
        self._set(None)

    def _start(self, make: Callable[[], Slip]) -> asyncio.Task[PrintResult] | None:
        if self._printer is None or self.busy:
            return None  # a second press while one slip is printing prints nothing more
        self._set(PrintResult.PRINTING)
        self._task = asyncio.ensure_future(self._print(self._printer, make(), self._session))
        return self._task

    async def _print(self, printer: Printer, slip: Slip, session: int) -> PrintResult:
        try:
            await printer.print_slip(slip)
            result = PrintResult.PRINTED
        except PrinterError as error:
            # The technical detail only: it names paths and status bits, never a slip's text.
            log.warning("slip not printed: %s", error.detail)
            result = result_of(error)
        except Exception as error:  # a bug in the driver must still leave the person words
            log.error("slip not printed: unexpected %s", type(error).__name__)
            result = PrintResult.FAILED
        if session == self._session:
            self._set(result)
        return result

    def _set(self, result: PrintResult | None) -> None:
        self.result = result
        for listener in list(self._listeners):
            listener(result)
