"""The kiosk's heartbeat: POST /v1/heartbeat every few minutes, and once on demand.

Each beat sends the kiosk's status (a :class:`KioskStatus` the station reads fresh) and the
ledger's counter batch (kiosk/adapters/heartbeat_ledger.py). The batch is dropped only when
the answer names its id; any other answer (none, 5xx, 429...) leaves it for the next beat,
unchanged, so the backend, which counts a batch id once, never counts it twice or loses it.
A batch the backend refuses as malformed (422 on a counters field) would be refused forever,
so that one is dropped, and the log says so. The answer's ``Date`` header gives the clock skew
the next beat reports (kiosk/adapters/clock_skew.py).

Bounded like every exchange (kiosk/adapters/bounded_http.py): one deadline, a small answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from kiosk.adapters.bounded_http import IDENTITY_HEADERS, BodyRefused, DeadlinePassed, read_body, within
from kiosk.adapters.clock_skew import skew_seconds
from kiosk.adapters.heartbeat_ledger import HeartbeatLedger
from kiosk.core.heartbeat import Heartbeat

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("kiosk.adapters.heartbeat")

MAX_ANSWER_BYTES = 8 * 1024
BEAT_DEADLINE_SECONDS = 10.0
# The first beat comes 1 to 30 s after start (never later than one interval), and each next one
# after the interval ±10 %: a hall's kiosks, powered up together, do not beat in step forever.
FIRST_BEAT_SECONDS = (1.0, 30.0)
INTERVAL_SPREAD = 0.1

BeatOutcome = Literal["acknowledged", "delivered", "dropped", "rate_limited", "rejected", "unreachable"]


@dataclass(frozen=True, slots=True)
class KioskStatus:
    """Everything a heartbeat says about the kiosk but its counters and clock skew."""

    software_version: str
    policy_version: str | None
    policy_age_seconds: int | None
    last_sync_outcome: str | None
    last_sync_at: str | None
    devices: Mapping[str, str]
    last_frame_at: str | None
    uptime_seconds: int


@dataclass(frozen=True, slots=True)
class BeatResult:
    outcome: BeatOutcome  # acknowledged: counters counted; delivered: no counters were due
    sent: dict[str, Any] = field(repr=False)
    status: int | None = None
    detail: str = ""
    clock_skew_seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("acknowledged", "delivered")


class HeartbeatSender:
    def __init__(
        self,
        ledger: HeartbeatLedger,
        status: Callable[[], KioskStatus],
        *,
        base_url: str,
        token: str | None,
        device_id: str,
        interval_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.ledger = ledger
        self._status = status
        self._base_url = base_url.rstrip("/")
        self._token = token
        self.device_id = device_id
        self.interval_seconds = interval_seconds
        self._transport = transport
        self._clock = clock or (lambda: datetime.now(UTC))
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._random = random.Random()
        self.last_result: BeatResult | None = None

    def heartbeat(self) -> Heartbeat:
        """The beat as it would be sent now (seals pending counters into a batch if none is on its way)."""
        status = self._status()
        # KioskStatus holds exactly the beat's fields but the device, skew and counters.
        return Heartbeat(
            device=self.device_id,
            clock_skew_seconds=self.ledger.clock_skew_seconds,
            counters=self.ledger.batch_to_send(),
            **{part.name: getattr(status, part.name) for part in fields(status)},
        )

    async def beat(self) -> BeatResult:
        beat = self.heartbeat()
        body = beat.to_json()
        try:
            status, date_header, answer = await within(BEAT_DEADLINE_SECONDS, lambda: self._post(body))
        except DeadlinePassed as error:
            return self._done(BeatResult("unreachable", body, detail=error.detail))
        except _Unreachable as error:
            return self._done(BeatResult("unreachable", body, detail=str(error)))
        skew = skew_seconds(date_header, self._clock())
        self.ledger.note_beat(clock_skew_seconds=skew, last_frame_at=beat.last_frame_at)
        batch = beat.counters.batch if beat.counters is not None else None
        if status == 200 and isinstance(answer, dict) and answer.get("accepted") is True:
            if batch is None:
                return self._done(BeatResult("delivered", body, status, "no counters were due", skew))
            if answer.get("batch") == batch and self.ledger.acknowledge(batch):
                return self._done(BeatResult("acknowledged", body, status, f"batch {batch[:8]}… counted", skew))
            return self._done(BeatResult("rejected", body, status, "the answer named another batch; kept", skew))
        problem_field = str(answer.get("field", "")) if isinstance(answer, dict) else ""
        if status == 422 and batch is not None and problem_field.startswith("counters"):
            # Refused as malformed, it would be refused at every beat and hold back every count after it.
            self.ledger.acknowledge(batch)
            log.warning("the backend refused a counter batch as malformed (%s); dropped", problem_field[:60])
            return self._done(BeatResult("dropped", body, status, f"counters refused at {problem_field[:60]}", skew))
        if status == 429:
            return self._done(BeatResult("rate_limited", body, status, "the backend asked to slow down", skew))
        if status >= 500:
            return self._done(BeatResult("unreachable", body, status, f"backend answered {status}", skew))
        return self._done(BeatResult("rejected", body, status, f"backend answered {status}", skew))

    def _done(self, result: BeatResult) -> BeatResult:
        self.last_result = result
        if not result.ok:
            log.info("heartbeat not acknowledged: %s", result.outcome)
        return result

    async def _post(self, body: dict[str, Any]) -> tuple[int, str | None, object]:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self._base_url,
                transport=self._transport,
                follow_redirects=False,
                trust_env=False,
                timeout=httpx.Timeout(connect=3.0, read=8.0, write=5.0, pool=3.0),
                headers={
                    "Authorization": f"Bearer {self._token or ''}",
                    "Accept": "application/json",
                    **IDENTITY_HEADERS,
                },
            )
        try:
            async with self._client.stream("POST", "/v1/heartbeat", json=body) as response:
                try:
                    raw = await read_body(response, MAX_ANSWER_BYTES)
                except BodyRefused as error:
                    return response.status_code, response.headers.get("date"), {"detail": error.detail}
                try:
                    answer: object = json.loads(raw) if raw else None
                except (ValueError, UnicodeDecodeError, RecursionError):
                    answer = None
                return response.status_code, response.headers.get("date"), answer
        except httpx.HTTPError as error:
            raise _Unreachable(f"no answer: {type(error).__name__}") from None

    # -- every few minutes ----------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._beat_forever(), name="kiosk-heartbeat")

    async def _beat_forever(self) -> None:
        low, high = FIRST_BEAT_SECONDS
        await asyncio.sleep(self._random.uniform(min(low, self.interval_seconds), min(high, self.interval_seconds)))
        while True:
            try:
                await self.beat()
            except Exception as error:  # a beat must never end the kiosk; the next one tries again
                log.error("heartbeat failed: %s", type(error).__name__)
            spread = self.interval_seconds * INTERVAL_SPREAD
            await asyncio.sleep(self.interval_seconds + self._random.uniform(-spread, spread))

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


class _Unreachable(Exception):
    pass
