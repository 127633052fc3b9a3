"""The session state machine: idle -> benefit -> criteria -> present -> checking -> result -> idle.

One `SessionFlow` serves the Kivy UI and `kiosk check` alike. It holds the only copy of
anything about the person (the presentation, the masked name, the decision) and drops it on
every way out: done, timeout, cancel, error, device unplugged. Time comes from an injected
clock and advances only through `tick()`, so tests drive every timeout without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

from kiosk.core.benefits import Benefit, Catalog
from kiosk.core.catalog import message
from kiosk.core.credentials import Presentation
from kiosk.core.decision_records import Decision, Outcome
from kiosk.core.errors import KioskError
from kiosk.core.kiosk_dates import with_birth_dates
from kiosk.core.text import DEFAULT_LOCALE, Locale, LocalText
from kiosk.session.flow_errors import FlowError, categorise
from kiosk.session.flow_view import EndReason, ErrorCategory, FlowState, SessionView
from kiosk.session.site import Site


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds each step waits for the person; a touch starts the count again."""

    choose_benefit: float = 90.0
    criteria: float = 180.0
    present: float = 60.0
    checking: float = 20.0
    result: float = 120.0  # a full readout of five criteria takes ~45 s, reading more
    error: float = 30.0

    def for_state(self, state: FlowState) -> float | None:
        return {
            FlowState.CHOOSE_BENEFIT: self.choose_benefit,
            FlowState.CRITERIA: self.criteria,
            FlowState.PRESENT: self.present,
            FlowState.CHECKING: self.checking,
            FlowState.RESULT: self.result,
            FlowState.ERROR: self.error,
        }.get(state)


class Checker(Protocol):
    """Where decisions come from: the backend, the cached bundle, or one then the other."""

    async def check(self, benefit_id: str, presentation: Presentation, locale: Locale) -> Decision: ...


PresentationReader = Callable[[bytes | str], Presentation]


class CheckTask(Protocol):
    """A started check: an asyncio task, or `kiosk.session.at_once.Finished` without a loop."""

    def done(self) -> bool: ...

    def cancel(self) -> bool: ...

    def __await__(self) -> Generator[Any, None, None]: ...


def in_event_loop(check: Coroutine[Any, Any, None]) -> CheckTask:
    """Starts a check as a task of the running loop (the touch screen, an online check)."""
    import asyncio  # here: `kiosk check --offline` runs its check without a loop (at_once.py)

    return asyncio.ensure_future(check)


_WRONG_KIND = message("session.flow.wrong_kind")
_NEEDS = {
    "business": ("企业统一社会信用代码或企业信用码", "a business's Unified Social Credit Code or credential"),
    "person": ("居民身份证或个人信用码", "a resident ID card or a personal credential"),
}
_DEVICE_UNAVAILABLE = message("session.flow.device_unavailable")
_CHECK_FAILED = message("session.flow.check_failed")
_TIMED_OUT = message("session.flow.timed_out")


class SessionFlow:
    def __init__(
        self,
        catalog: Catalog,
        read_presentation: PresentationReader,
        checker: Checker,
        *,
        timeouts: Timeouts | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_decision: Callable[[Decision], None] | None = None,
        default_locale: Locale | None = None,
        site: Site | None = None,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        start_check: Callable[[Coroutine[Any, Any, None]], CheckTask] = in_event_loop,
    ) -> None:
        self._catalog = catalog
        self._site = site or Site(locale=default_locale or DEFAULT_LOCALE)
        if default_locale is None:
            default_locale = self._site.locale
        self._pending: tuple[Catalog, Site] | None = None
        self._site_listeners: list[Callable[[Site], None]] = []
        self._wall_clock = wall_clock
        self._read_presentation = read_presentation
        self._checker = checker
        self._timeouts = timeouts or Timeouts()
        self._clock = clock
        self._decision_listeners: list[Callable[[Decision], None]] = [on_decision] if on_decision else []
        self._listeners: list[Callable[[SessionView], None]] = []
        self._default_locale: Locale = default_locale
        self._view = SessionView(locale=default_locale)
        self._deadline: float | None = None
        self._presentation: Presentation | None = None
        self._start_check = start_check
        self._check_task: CheckTask | None = None

    # -- observing ---------------------------------------------------------------------
    @property
    def view(self) -> SessionView:
        return self._view

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def site(self) -> Site:
        return self._site

    def offered(self, day: date | None = None) -> tuple[Benefit, ...]:
        """The benefits this site offers on ``day`` (default: today), in its order."""
        when = day if day is not None else self._catalog.day_of(self._wall_clock())
        return self._catalog.offered(when, self._site.benefits)

    def subscribe_site(self, listener: Callable[[Site], None]) -> Callable[[], None]:
        """Told whenever another site takes effect (between two people, never during one)."""
        self._site_listeners.append(listener)
        return lambda: self._site_listeners.remove(listener)

    def apply_policy(self, catalog: Catalog, site: Site) -> None:
        """A new policy (and the site it gives) from a sync: at once if nobody is at the
        kiosk, else when the current session ends, so no one's screen changes under them."""
        self._pending = (catalog, site)
        if self._view.state is FlowState.IDLE:
            self._apply_pending()
            self._publish(SessionView(locale=self._default_locale, last_end=self._view.last_end))

    def _apply_pending(self) -> None:
        if self._pending is None:
            return
        (self._catalog, self._site), self._pending = self._pending, None
        self._default_locale = self._site.locale
        for listener in list(self._site_listeners):
            listener(self._site)

    def subscribe(self, listener: Callable[[SessionView], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        listener(self._view)
        return lambda: self._listeners.remove(listener)

    def add_decision_listener(self, listener: Callable[[Decision], None]) -> None:
        """Told once per decision shown (aggregate counters); gets no presentation."""
        self._decision_listeners.append(listener)

    def _publish(self, view: SessionView) -> None:
        self._view = view
        for listener in list(self._listeners):
            listener(view)
            if self._view is not view:
                # A listener moved the flow on (e.g. no device at PRESENT): the newer view has
                # reached everyone already, so this stale one must not reach the rest.
                return

    def _enter(self, state: FlowState, **changes: object) -> None:
        limit = self._timeouts.for_state(state)
        self._deadline = None if limit is None else self._clock() + limit
        self._publish(replace(self._view, state=state, seconds_left=limit, **changes))  # type: ignore[arg-type]

    # -- what the person does ------------------------------------------------------------
    def set_locale(self, locale: Locale) -> None:
        """Switching language keeps the step; a decision already made stays in its language."""
        self.touch()
        self._publish(replace(self._view, locale=locale))

    @property
    def default_locale(self) -> Locale:
        return self._default_locale

    def set_default_locale(self, locale: Locale) -> None:
        """The site's language: every session ends back in it, whatever the last person chose."""
        self._default_locale = locale
        self._site = replace(self._site, locale=locale)
        if self._view.state is FlowState.IDLE:
            self._publish(replace(self._view, locale=locale))

    def touch(self) -> None:
        """Any touch gives the person the full time again, except while checking."""
        state = self._view.state
        if state in (FlowState.IDLE, FlowState.CHECKING):
            return
        limit = self._timeouts.for_state(state)
        if limit is not None:
            self._deadline = self._clock() + limit
            self._publish(replace(self._view, seconds_left=limit))

    def start(self) -> None:
        if self._view.state is not FlowState.IDLE:
            return
        offered = self.offered() if self._site.single_benefit else ()
        if len(offered) == 1:
            # A single-benefit site (a 信易租 counter): no list to choose from.
            self._enter(FlowState.CRITERIA, benefit=offered[0], last_end=None)
        else:
            self._enter(FlowState.CHOOSE_BENEFIT, last_end=None)

    @property
    def skips_list(self) -> bool:
        return self._site.single_benefit and len(self.offered()) == 1

    def choose_benefit(self, benefit_id: str) -> None:
        if self._view.state not in (FlowState.IDLE, FlowState.CHOOSE_BENEFIT, FlowState.CRITERIA):
            return
        benefit = self._catalog.get(benefit_id)
        if benefit is None:
            raise ValueError(f"unknown benefit {benefit_id!r}")
        self._enter(FlowState.CRITERIA, benefit=benefit, last_end=None)

    def ready_to_present(self) -> None:
        if self._view.state is FlowState.CRITERIA and self._view.benefit is not None:
            self._enter(FlowState.PRESENT)

    def back(self) -> None:
        """One step back where that makes sense; elsewhere the same as cancel."""
        state = self._view.state
        if state is FlowState.CRITERIA and self.skips_list:
            self.cancel()  # there is no list to go back to
        elif state is FlowState.CRITERIA:
            self._enter(FlowState.CHOOSE_BENEFIT, benefit=None)
        elif state is FlowState.PRESENT:
            self._enter(FlowState.CRITERIA)
        else:
            self.cancel()

    def cancel(self) -> None:
        self._end(EndReason.CANCELLED)

    def finish(self) -> None:
        """The person is done reading the result (or the error)."""
        if self._view.state in (FlowState.RESULT, FlowState.ERROR):
            self._end(EndReason.DONE if self._view.state is FlowState.RESULT else EndReason.ERROR)

    def device_lost(self) -> None:
        """The reader or scanner went away mid-session: nothing of the session may linger."""
        if self._view.state in (FlowState.PRESENT, FlowState.CHECKING):
            self._end(EndReason.DEVICE_LOST)

    def retry(self) -> None:
        """From an error back to presenting a code for the same benefit (or to the list)."""
        if self._view.state is not FlowState.ERROR:
            return
        if self._view.benefit is None:
            self._enter(FlowState.CHOOSE_BENEFIT, error=None, error_kind=None, error_category=None)
        else:
            self._enter(FlowState.PRESENT, error=None, error_kind=None, error_category=None)

    def internal_error(self) -> None:
        """Something below the screens failed unexpectedly: whatever the step, end it and show
        the error (which times out to idle), so the person is never left on a frozen screen."""
        self._cancel_check()
        self._fail(_CHECK_FAILED, "internal", ErrorCategory.UNAVAILABLE)

    # -- what the devices deliver --------------------------------------------------------
    def device_problem(self, error: KioskError) -> None:
        """A device could not read what the person offered (card misread, code too long)."""
        if self._view.state is FlowState.PRESENT:
            self._fail(error.text, type(error).__name__, ErrorCategory.DEVICE)

    def no_device_available(self) -> None:
        """Neither scanner nor card reader works: say so instead of waiting for a scan."""
        if self._view.state is FlowState.PRESENT:
            self._fail(_DEVICE_UNAVAILABLE, "no_device", ErrorCategory.DEVICE)

    def present(self, raw: bytes | str, *, holder_name_masked: str | None = None) -> Awaitable[None] | None:
        """A code was scanned or a card read. Returns the check's task, if one started.

        Reads are only taken in the PRESENT step; a scan at any other time is dropped, so a
        code left on the scanner cannot start a check for the next person.
        """
        if self._view.state is not FlowState.PRESENT or self._view.benefit is None:
            return None
        benefit = self._view.benefit
        try:
            presentation = self._read_presentation(raw)
            self._require_fit(benefit, presentation)
        except KioskError as error:
            self._fail_with(error)
            return None
        self._presentation = presentation
        self._enter(FlowState.CHECKING, holder_name_masked=holder_name_masked)
        task = self._start_check(self._run_check(benefit, presentation))
        if not task.done():  # one that ran at once has cleared itself already
            self._check_task = task
        return task

    def _require_fit(self, benefit: Benefit, presentation: Presentation) -> None:
        kind_ok = presentation.subject_kind in (None, benefit.kind)
        if presentation.scheme.value not in benefit.schemes or not kind_ok:
            zh, en = _NEEDS[benefit.kind]
            text = LocalText(_WRONG_KIND.zh.format(need=zh), _WRONG_KIND.en.format(need=en))
            raise FlowError("presented scheme does not fit the benefit", text)

    async def _run_check(self, benefit: Benefit, presentation: Presentation) -> None:
        locale = self._view.locale
        try:
            # A cancelled check's CancelledError is a BaseException: it passes both handlers.
            decision = await self._checker.check(benefit.id, presentation, locale)
        except KioskError as error:
            if self._view.state is FlowState.CHECKING:
                self._fail_with(error)
            return
        except Exception:  # a bug below must still leave the person a way out
            if self._view.state is FlowState.CHECKING:
                self._fail(_CHECK_FAILED, "internal", ErrorCategory.UNAVAILABLE)
            raise
        finally:
            self._presentation = None
            self._check_task = None
        if self._view.state is not FlowState.CHECKING:
            return
        # The ID number in memory dates the age remedy; the birth date never leaves the kiosk.
        decision = with_birth_dates(decision, benefit, presentation, locale)
        for listener in self._decision_listeners:
            listener(decision)
        self._enter(FlowState.RESULT, decision=decision)

    def _fail_with(self, error: KioskError) -> None:
        self._fail(error.text, type(error).__name__, categorise(error))

    def _fail(self, text: LocalText, kind: str, category: ErrorCategory) -> None:
        self._presentation = None
        self._enter(
            FlowState.ERROR,
            error=text,
            error_kind=kind,
            error_category=category,
            decision=None,
            holder_name_masked=None,
        )

    # -- time --------------------------------------------------------------------------
    def tick(self) -> None:
        """Called a few times a second by whoever drives the loop."""
        if self._deadline is None:
            return
        left = self._deadline - self._clock()
        if left > 0:
            rounded = float(int(left + 0.999))
            if rounded != self._view.seconds_left:
                self._publish(replace(self._view, seconds_left=rounded))
            return
        if self._view.state is FlowState.CHECKING:
            self._cancel_check()
            self._fail(_TIMED_OUT, "timeout", ErrorCategory.TIMEOUT)
        elif self._view.state is FlowState.RESULT:
            self._end(EndReason.DONE)
        else:
            self._end(EndReason.TIMEOUT)

    # -- endings -----------------------------------------------------------------------
    def _cancel_check(self) -> None:
        task, self._check_task = self._check_task, None
        if task is not None and not task.done():
            task.cancel()

    def _end(self, reason: EndReason) -> None:
        self._cancel_check()
        self._presentation = None
        self._deadline = None
        self._apply_pending()
        # The next person starts in the site's language, not in the last person's choice.
        self._publish(SessionView(locale=self._default_locale, last_end=reason))

    @property
    def holds_personal_data(self) -> bool:
        """For tests and the privacy suite: does anything about a person remain?"""
        view = self._view
        held = (self._presentation, view.decision, view.holder_name_masked, self._check_task)
        return any(x is not None for x in held)

    def outcome(self) -> Outcome | None:
        return self._view.decision.outcome if self._view.decision else None
