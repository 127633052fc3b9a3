"""Background policy-bundle sync: conditional GET, verify, keep the last good bundle, track health.

One request per attempt: ``GET /v1/bundle`` with ``If-None-Match`` (the ETag of the bundle we
hold). A new bundle is verified (signature, structure, version, expiry, clock) before it
replaces the held one; a refused bundle leaves the held one in place and the refusal's reason
in :attr:`BundleSync.last_result`. Failures back off exponentially with jitter, so a hall full
of kiosks does not hammer a backend that has just come back. Health is read from the recent
outcomes: no failure -> online, one or two in a row -> degraded, three or more -> offline.

An attempt has one total deadline and reads at most MAX_BUNDLE_BYTES (kiosk.adapters.
bounded_http); whatever the answer, it ends as a SyncResult and the loop goes on. A bundle that
verifies but cannot be written is "not_saved": held for this run, reported as a failure, and
fetched and saved again on the next attempt.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.adapters.authority_trust import AuthorityTrust
from kiosk.adapters.bounded_http import IDENTITY_HEADERS, BodyRefused, DeadlinePassed, read_body, within
from kiosk.adapters.clock_watch import ClockWatch
from kiosk.adapters.store import Store
from kiosk.common.lazy_logging import lazy_logger
from kiosk.core.bundle import (
    CLOCK_SKEW,
    MAX_BUNDLE_BYTES,
    BundleError,
    PolicyBundle,
    Reason,
    check_acceptable,
)
from kiosk.core.bundle_signing import verify_bundle
from kiosk.core.offline import DEFAULT_MAX_AGE, OfflineUnavailable, ensure_usable

log = lazy_logger("kiosk.adapters.bundle_sync")  # logging is imported at the first record (lazy_logging.py)

SyncOutcome = Literal["updated", "unchanged", "refused", "unreachable", "rejected", "not_saved"]
if TYPE_CHECKING:
    import asyncio  # imported by the methods that sync: an offline `kiosk check` never does

    import httpx

# httpx is imported at the first sync, not at start (see backend_client.py).
DEFAULT_TIMEOUTS = {"connect": 5.0, "read": 20.0, "write": 10.0, "pool": 5.0}
# One whole attempt, however slowly the bytes come: 24 MB at 200 kB/s, and then it gives up
# (and releases the lock the staff's "sync now" waits on).
DEFAULT_DEADLINE = 120.0


class Health(StrEnum):
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    """When to try: every ``interval`` while things work; on failure ``base`` doubling to ``cap``."""

    interval: timedelta = timedelta(hours=1)
    base: timedelta = timedelta(seconds=15)
    cap: timedelta = timedelta(minutes=30)
    max_age: timedelta = DEFAULT_MAX_AGE
    offline_after: int = 3  # consecutive failures that make the health "offline"

    def delay(self, failures: int, rng: random.Random) -> float:
        """Seconds to wait: ``interval`` +-10% after success; after failures "equal jitter"
        (half the exponential step fixed, half random) so the wait still grows."""
        if failures == 0:
            return self.interval.total_seconds() * rng.uniform(0.9, 1.1)
        growth = 2.0 ** min(failures - 1, 30)
        step = min(self.cap.total_seconds(), self.base.total_seconds() * growth)
        return step / 2 + rng.uniform(0, step / 2)


class HealthTracker:
    """Backend health from recent outcomes; the sync and the online checker both report here."""

    def __init__(self, offline_after: int = 3) -> None:
        self.offline_after = offline_after
        self.consecutive_failures = 0
        self.last_success_at: datetime | None = None

    def record(self, ok: bool, at: datetime | None = None) -> None:
        if ok:
            self.consecutive_failures = 0
            self.last_success_at = at or datetime.now(UTC)
        else:
            self.consecutive_failures += 1

    @property
    def health(self) -> Health:
        if self.consecutive_failures == 0:
            return Health.ONLINE if self.last_success_at is not None else Health.OFFLINE
        if self.consecutive_failures < self.offline_after:
            return Health.DEGRADED
        return Health.OFFLINE


@dataclass(frozen=True, slots=True)
class SyncResult:
    """How one sync attempt ended, and the bundle version held after it."""

    outcome: SyncOutcome
    detail: str  # technical, English, no personal data (there is none in a bundle)
    at: datetime
    version: int | None  # version held after this attempt
    refusal: BundleError | None = None

    @property
    def reachable(self) -> bool:
        return self.outcome in ("updated", "unchanged", "refused", "not_saved")

    @property
    def ok(self) -> bool:
        """The kiosk holds the backend's current bundle on disk (what every report says)."""
        return self.outcome in ("updated", "unchanged")


class BundleSync:
    """Keeps the kiosk's policy bundle fresh. Start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(
        self,
        store: Store,
        authorities: Mapping[str, ed25519.Ed25519PublicKey],
        *,
        base_url: str,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        deadline: float = DEFAULT_DEADLINE,
        policy: SyncPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        tracker: HealthTracker | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        # The configured keys, then what a key rollover taught (authority_trust.py).
        self.trust = AuthorityTrust(authorities, store)
        self.policy = policy or SyncPolicy()
        self.tracker = tracker or HealthTracker(self.policy.offline_after)
        self.clock = ClockWatch(monotonic)
        self.last_result: SyncResult | None = None
        self.load_problem: BundleError | None = None
        self._clock = clock or (lambda: datetime.now(UTC))
        self._rng = rng or random.Random()
        self._waits: tuple[asyncio.Lock, asyncio.Event] | None = None  # made at the first sync
        self._task: asyncio.Task[None] | None = None
        self._deadline = deadline
        headers = {"Accept": "application/json", **IDENTITY_HEADERS}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # Made on the first sync: building (and closing) an httpx client loads its transport
        # stack, about a quarter of a second that an offline-only `kiosk check` never needs.
        self._client_options: dict[str, Any] = dict(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport,
            follow_redirects=False, trust_env=False,
        )
        self._client: httpx.AsyncClient | None = None
        self._closed = False
        self._listeners: list[Callable[[PolicyBundle], None]] = []
        self._current, self._etag = self._load_cached()
        # The digest of the bundle on disk: until the held one is saved, every attempt
        # downloads it again (no If-None-Match) and tries to save it again.
        self._saved_digest = self._current.digest if self._current is not None else None

    # -- what the rest of the kiosk reads --------------------------------------------------
    @property
    def current(self) -> PolicyBundle | None:
        """The last good bundle (verified signature), fresh or not."""
        return self._current

    @property
    def health(self) -> Health:
        return self.tracker.health

    def offline_bundle(self) -> PolicyBundle:
        """The bundle if offline decisions may use it now; else OfflineUnavailable says why."""
        self._refuse_if_clock_wrong()
        return ensure_usable(self._current, self._clock(), self.policy.max_age)

    def held_for_offline(self) -> PolicyBundle | None:
        """The held bundle for an offline decision (which judges its age and expiry itself),
        refused while the kiosk's clock is known to be wrong."""
        self._refuse_if_clock_wrong()
        return self._current

    @property
    def clock_skew_seconds(self) -> float | None:
        """Seconds the kiosk's clock is ahead of the server's (negative: behind), as the last
        sync measured it and corrected for any jump of the clock since; None if unknown."""
        return self.clock.skew(self._clock())

    @property
    def clock_known_wrong(self) -> bool:
        """Off the server's by more than the bundle's own tolerance: a clock that wrong can
        judge neither a bundle's dates nor a credential's validity window."""
        skew = self.clock_skew_seconds
        return skew is not None and abs(skew) > CLOCK_SKEW.total_seconds()

    def _refuse_if_clock_wrong(self) -> None:
        if self._current is not None and self.clock_known_wrong:
            skew = self.clock_skew_seconds or 0.0
            raise OfflineUnavailable(
                "clock_skew", f"the kiosk's clock is {skew:+.0f} s off the server's (tolerance "
                f"{CLOCK_SKEW.total_seconds():.0f} s)"
            )

    def next_delay(self) -> float:
        return self.policy.delay(self.tracker.consecutive_failures, self._rng)

    # -- doing it --------------------------------------------------------------------------
    async def sync_now(self) -> SyncResult:
        """One attempt now (staff's "sync now" button, `kiosk sync`, and the background loop)."""
        lock, _ = self._lock_and_wake()
        async with lock:
            held = self._current
            try:
                result = await self._attempt()
            except Exception as error:  # last resort: no answer may end the sync for good
                log.error("policy bundle sync attempt failed (%s)", type(error).__name__)
                refusal = BundleError("malformed", f"unexpected {type(error).__name__}")
                result = self._result("refused", refusal.detail, self._clock(), refusal)
            self.last_result = result
            self.tracker.record(result.reachable, result.at)
            self._remember(result)
            if self._current is not None and self._current is not held:
                self._tell_new_bundle(self._current)
            return result

    def on_new_bundle(self, listener: Callable[[PolicyBundle], None]) -> None:
        """Told after each sync that brought a newer bundle (its catalog and site presets)."""
        self._listeners.append(listener)

    def _tell_new_bundle(self, bundle: PolicyBundle) -> None:
        for listener in list(self._listeners):
            try:
                listener(bundle)
            except Exception as error:  # a listener's bug must not stop the sync loop
                log.error("a new-bundle listener failed (%s)", type(error).__name__)

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            import asyncio

            self._task = asyncio.create_task(self.run(), name="bundle-sync")
        return self._task

    def wake(self) -> None:
        """Ask the background loop to try now instead of finishing its wait."""
        self._lock_and_wake()[1].set()

    async def run(self) -> None:
        import asyncio

        _, wake = self._lock_and_wake()
        while True:
            try:
                await self.sync_now()
            except Exception as error:  # e.g. the store: log, count a failure, keep the schedule
                log.error("policy bundle sync failed (%s); retrying on schedule", type(error).__name__)
                self.tracker.record(False)
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=self.next_delay())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            import asyncio

            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._closed = True
        if self._client is not None:
            await self._client.aclose()

    def _lock_and_wake(self) -> tuple[asyncio.Lock, asyncio.Event]:
        """The lock one attempt at a time holds, and the event that wakes the loop early."""
        if self._waits is None:
            import asyncio

            self._waits = (asyncio.Lock(), asyncio.Event())
        return self._waits

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            if self._closed:
                raise RuntimeError("the client has been closed")  # as httpx says when closed
            import httpx

            timeout = self._client_options["timeout"] or httpx.Timeout(**DEFAULT_TIMEOUTS)
            self._client = httpx.AsyncClient(**{**self._client_options, "timeout": timeout})
        return self._client

    async def _attempt(self) -> SyncResult:

        now = self._clock()
        try:
            fetched = await within(self._deadline, lambda: self._fetch(now))
        except DeadlinePassed as error:
            return self._result("unreachable", error.detail, now)
        if isinstance(fetched, SyncResult):
            return fetched
        body, etag = fetched
        return self._accept(body, etag, now)

    async def _fetch(self, now: datetime) -> SyncResult | tuple[bytes, str | None]:
        """The new bundle's bytes and ETag, or the result when there is nothing to verify."""
        import httpx

        headers = {}
        if self._current is not None and self._etag and self._current.digest == self._saved_digest:
            headers["If-None-Match"] = self._etag
        try:
            async with self._http().stream("GET", "/v1/bundle", headers=headers) as response:
                # Any answer's Date tells the server's time, whatever its status.
                self.clock.record(response.headers.get("Date"), self._clock())
                if response.status_code == 304 and headers:
                    return self._result("unchanged", "not modified (ETag matched)", now)
                if response.status_code == 304:
                    refusal = BundleError("malformed", "304 Not Modified to a request with no ETag")
                    return self._result("refused", refusal.detail, now, refusal)
                if response.status_code >= 500:
                    return self._result("unreachable", f"backend answered {response.status_code}", now)
                if response.status_code != 200:
                    return self._result("rejected", f"backend answered {response.status_code}", now)
                body = await read_body(response, MAX_BUNDLE_BYTES)
                return body, response.headers.get("ETag")
        except httpx.TimeoutException as error:
            return self._result("unreachable", f"no answer in time ({type(error).__name__})", now)
        except httpx.HTTPError as error:
            return self._result("unreachable", f"connection failed ({type(error).__name__})", now)
        except BodyRefused as error:
            reason: Reason = "too_large" if error.reason == "too_large" else "malformed"
            refusal = BundleError(reason, error.detail)
            return self._result("refused", refusal.detail, now, refusal)

    def _accept(self, body: bytes, etag: str | None, now: datetime) -> SyncResult:
        try:
            candidate = verify_bundle(body, self.trust.keys())
            newer = check_acceptable(candidate, current=self._current, now=now)
        except BundleError as error:
            log.warning("policy bundle refused: %s", error.reason)
            return self._result("refused", error.detail, now, error)
        if not newer and candidate.digest == self._saved_digest:
            self.trust.learn(candidate)  # catch up if a crash came between save and learn
            self._etag = etag
            return self._result("unchanged", "same bundle content", now)
        saved = self.store.save_bundle(candidate, etag) and self.store.persistent
        # Held either way: the running kiosk may use what it verified. Only a saved bundle
        # survives a restart, so only that is reported as updated (and only it teaches keys).
        if newer:
            self._current, self._etag = candidate, etag
        if not saved:
            log.error("policy bundle version %d verified but not saved", candidate.version)
            why = "; ".join(self.store.problems[-1:]) or "the data folder keeps nothing"
            return self._result(
                "not_saved", f"version {candidate.version} verified but not saved ({why})", now
            )
        self.trust.learn(candidate)
        self._saved_digest, self._etag = candidate.digest, etag
        log.info("policy bundle updated to version %d", candidate.version)
        return self._result("updated", f"now holding version {candidate.version}", now)

    def _result(
        self, outcome: SyncOutcome, detail: str, at: datetime, refusal: BundleError | None = None
    ) -> SyncResult:
        version = self._current.version if self._current is not None else None
        return SyncResult(outcome, detail, at, version, refusal)

    def _load_cached(self) -> tuple[PolicyBundle | None, str | None]:
        stored = self.store.load_bundle()
        if stored is None:
            return None, None
        try:
            held = verify_bundle(stored.raw, self.trust.keys())
            self.trust.learn(held)
            return held, stored.etag
        except BundleError as error:
            # E.g. the authority key was rotated in the config: the cache cannot be trusted.
            self.load_problem = error
            log.warning("cached policy bundle not usable: %s", error.reason)
            return None, None

    def _remember(self, result: SyncResult) -> None:
        stamp = result.at.astimezone(UTC).replace(microsecond=0).isoformat()
        state: dict[str, object] = {
            "last_sync_attempt_at": stamp,
            "last_sync_outcome": result.outcome,
            "health": self.health.value,
        }
        if result.reachable:
            state["last_sync_success_at"] = stamp
        skew = self.clock_skew_seconds
        if skew is not None:
            state["clock_skew_seconds"] = round(skew)
            state["clock_checked_at"] = stamp
        if result.outcome == "refused" and result.refusal is not None:
            state["last_refusal_reason"] = result.refusal.reason
        elif result.outcome in ("updated", "unchanged"):
            state["last_refusal_reason"] = None
        self.store.set_states(state)

