"""Checkers the session flow calls (`kiosk.session.flow.Checker`): offline, and online-then-offline.

`FallbackChecker` asks the backend first. When the backend cannot be reached, before or in the
middle of a check (an error whose ``retryable_offline`` is true, e.g.
`kiosk.adapters.backend_client.BackendUnavailable`), it finishes the same check offline from the cached bundle,
so the session goes on and the person gets an answer labelled "offline" instead of an error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from kiosk.common.lazy_logging import lazy_logger
from kiosk.core.bundle import PolicyBundle
from kiosk.core.credentials import Presentation
from kiosk.core.decision_records import Decision
from kiosk.core.errors import KioskError
from kiosk.core.offline import DEFAULT_MAX_AGE, OfflineUnavailable, decide_offline
from kiosk.core.text import Locale

if TYPE_CHECKING:
    # Made only for a kiosk with a device key (station/device_key.py); its signing code is
    # a few ms of import an offline `kiosk check` without one need not pay.
    from kiosk.session.receipts import DeviceReceipts

log = lazy_logger("kiosk.session.checkers")  # logging is imported at the first record (lazy_logging.py)


class Checker(Protocol):
    """Same shape as `kiosk.session.flow.Checker` (repeated so this module does not import the flow)."""

    async def check(self, benefit_id: str, presentation: Presentation, locale: Locale) -> Decision: ...


class HealthSink(Protocol):
    def record(self, ok: bool, at: datetime | None = None) -> None: ...


def can_finish_offline(error: BaseException) -> bool:
    """The agreed marker: a KioskError subclass with ``retryable_offline = True``."""
    return isinstance(error, KioskError) and bool(getattr(error, "retryable_offline", False))


class OfflineChecker:
    """Decides from the cached bundle; ``bundle_provider`` returns the last good bundle (or None).

    Read presentations with `kiosk.core.offline.credential_settings(bundle)` (or a trust store
    that includes the bundle's keys): the facts used here are only as trustworthy as the keys
    the credential was verified with.
    """

    def __init__(
        self,
        bundle_provider: Callable[[], PolicyBundle | None],
        *,
        max_age: timedelta = DEFAULT_MAX_AGE,
        clock: Callable[[], datetime] | None = None,
        receipts: DeviceReceipts | None = None,
    ) -> None:
        self._bundle_provider = bundle_provider
        self._max_age = max_age
        self._clock = clock or (lambda: datetime.now(UTC))
        self._receipts = receipts

    async def check(self, benefit_id: str, presentation: Presentation, locale: Locale) -> Decision:
        decision = decide_offline(
            presentation, self._bundle_provider(), benefit_id, locale, self._clock(),
            max_age=self._max_age,
        )
        if self._receipts is None:
            return decision
        return self._receipts.attach(decision, presentation)


class FallbackChecker:
    """Online first; offline when the backend is unreachable. Other errors pass through."""

    def __init__(self, online: Checker, offline: Checker, *, health: HealthSink | None = None) -> None:
        self.online = online
        self.offline = offline
        self._health = health

    async def check(self, benefit_id: str, presentation: Presentation, locale: Locale) -> Decision:
        try:
            decision = await self.online.check(benefit_id, presentation, locale)
        except KioskError as error:
            if not can_finish_offline(error):
                raise
            log.info("backend unreachable during a check; finishing offline")
            if self._health is not None:
                self._health.record(False)
            try:
                return await self.offline.check(benefit_id, presentation, locale)
            except OfflineUnavailable as offline_error:
                if offline_error.reason != "no_bundle":
                    raise
                # Never synced: the person needs to hear that the service is unreachable,
                # not that a cache they never heard of is empty.
                raise error from None
        if self._health is not None:
            self._health.record(True)
        return decision
