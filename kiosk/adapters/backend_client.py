"""httpx client for the eligibility API (DESIGN §4.1), and the online Checker built on it.

One `httpx.AsyncClient` per kiosk keeps the connection alive between checks. The transport is
a constructor argument, so tests point the client at the real backend in-process (ASGI) or
over loopback without replacing any function here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from kiosk.adapters.bounded_http import IDENTITY_HEADERS, BodyRefused, DeadlinePassed, read_body, within
from kiosk.core.catalog import message
from kiosk.core.credentials import Presentation, SubjectRef
from kiosk.core.decision_records import Decision, DecisionFormatError, Mode, decision_from_json
from kiosk.core.errors import KioskError
from kiosk.core.text import Locale, LocalText

if TYPE_CHECKING:
    import httpx

# httpx is imported when the first request is made, not at start: its import is a tenth of a
# second or more of the kiosk's start-up, before the idle screen, which needs nothing of it.
MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_TIMEOUTS = {"connect": 3.0, "read": 8.0, "write": 5.0, "pool": 3.0}
# Whole exchanges, whatever the per-read timeouts: a check gets the flow's checking time less
# a second kept for the offline answer (kiosk.station.services); anything else this.
DEFAULT_CHECK_DEADLINE = 19.0
DEFAULT_DEADLINE = 10.0


class BackendError(KioskError):
    """Base of everything that can go wrong talking to the backend."""

    retryable_offline = False


class BackendUnavailable(BackendError):
    """No answer (refused, dropped, timed out, 5xx): an offline decision may still be possible."""

    retryable_offline = True

    def __init__(self, detail: str) -> None:
        super().__init__(
            detail,
            message("adapters.backend_client.text_5"),
        )


class BackendRejected(BackendError):
    """The backend answered with a problem (RFC 9457); `problem` holds its fields."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        title = str(problem.get("title") or "rejected")[:200]
        super().__init__(f"backend answered {status}: {title}", _rejection_text(status))
        self.status = status
        self.problem = problem


class InvalidResponse(BackendError):
    def __init__(self, detail: str) -> None:
        super().__init__(detail, DecisionFormatError(detail).text)


def _rejection_text(status: int) -> LocalText:
    if status in (401, 403):
        return message("adapters.backend_client.text_2")
    if status == 404:
        return message("adapters.backend_client.text_3")
    if status == 429:
        return message("adapters.backend_client.text_4")
    return message("adapters.backend_client.text")


class BackendClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        device_id: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        check_deadline: float = DEFAULT_CHECK_DEADLINE,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        self.device_id = device_id
        self.check_deadline = check_deadline
        self.deadline = deadline
        # Made on the first request, like the import: building an httpx client loads its
        # transport stack, another fifth of a second of start-up.
        self._options: dict[str, Any] = dict(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json", **IDENTITY_HEADERS},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )
        self._client: httpx.AsyncClient | None = None
        self._closed = False

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            if self._closed:
                raise RuntimeError("the client has been closed")  # as httpx says when closed
            import httpx

            timeout = self._options["timeout"] or httpx.Timeout(**DEFAULT_TIMEOUTS)
            self._client = httpx.AsyncClient(**{**self._options, "timeout": timeout})
        return self._client

    async def aclose(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> BackendClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def check(self, benefit_id: str, subject: SubjectRef, locale: Locale) -> Decision:
        body = {
            "benefit": benefit_id,
            "subject": subject.to_json(),
            "locale": locale,
            "device": self.device_id,
        }
        answer = await self._send("POST", "/v1/eligibility", json=body, deadline=self.check_deadline)
        return _decision(answer)

    async def simulate(self, benefit_id: str, facts: Mapping[str, Any], on: date | None, locale: Locale) -> Decision:
        """POST /v1/simulate: made-up facts only; the body has no subject field to fill."""
        body: dict[str, Any] = {"benefit": benefit_id, "facts": dict(facts), "locale": locale}
        if on is not None:
            body["on"] = on.isoformat()
        return _decision(await self._send("POST", "/v1/simulate", json=body))

    async def health(self) -> dict[str, Any]:
        document = _json_body(await self._send("GET", "/v1/health"))
        if not isinstance(document, dict):
            raise InvalidResponse("health answer is not a JSON object")
        return document

    async def _send(self, method: str, path: str, *, deadline: float | None = None, **kwargs: Any) -> _Answer:
        seconds = self.deadline if deadline is None else deadline
        try:
            answer = await within(seconds, lambda: self._exchange(method, path, **kwargs))
        except DeadlinePassed as error:
            raise BackendUnavailable(error.detail) from None
        if answer.status >= 500:
            raise BackendUnavailable(f"backend answered {answer.status}")
        if answer.status >= 400:
            raise BackendRejected(answer.status, _problem(answer))
        if answer.status != 200:
            raise InvalidResponse(f"unexpected status {answer.status}")
        return answer

    async def _exchange(self, method: str, path: str, **kwargs: Any) -> _Answer:
        # One retry, only when the connection failed or was dropped before an answer: a
        # stale keep-alive connection is the common case and a second try fixes it.
        import httpx

        for attempt in (1, 2):
            try:
                async with self._http().stream(method, path, **kwargs) as response:
                    if response.status_code >= 500:
                        return _Answer(response.status_code, "", b"")
                    body = await read_body(response, MAX_RESPONSE_BYTES)
                    content_type = response.headers.get("content-type", "").split(";")[0].strip()
                    return _Answer(response.status_code, content_type, body)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as error:
                if attempt == 2:
                    raise BackendUnavailable(f"connection failed twice: {type(error).__name__}") from None
            except httpx.TimeoutException as error:
                raise BackendUnavailable(f"no answer in time: {type(error).__name__}") from None
            except httpx.HTTPError as error:
                raise BackendUnavailable(f"transport error: {type(error).__name__}") from None
            except BodyRefused as error:
                raise InvalidResponse(error.detail) from None
        raise AssertionError("unreachable: the loop returns or raises")


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    content_type: str
    body: bytes = field(repr=False)


def _json_body(answer: _Answer) -> object:
    if answer.content_type not in ("application/json", "application/problem+json"):
        raise InvalidResponse(f"answer is {answer.content_type or 'untyped'}, not JSON")
    try:
        return json.loads(answer.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # ValueError also covers an integer of more digits than Python converts (4300).
        raise InvalidResponse("answer is not valid JSON") from None


def _problem(answer: _Answer) -> dict[str, Any]:
    try:
        body = _json_body(answer)
    except InvalidResponse:
        return {"status": answer.status}
    return body if isinstance(body, dict) else {"status": answer.status}


def _decision(answer: _Answer) -> Decision:
    try:
        return decision_from_json(_json_body(answer), mode=Mode.ONLINE)
    except DecisionFormatError as error:
        raise InvalidResponse(error.detail) from None


class OnlineChecker:
    """flow.Checker asking the backend; sends exactly one subject reference."""

    def __init__(self, client: BackendClient) -> None:
        self._client = client

    async def check(self, benefit_id: str, presentation: Presentation, locale: Locale) -> Decision:
        decision = await self._client.check(benefit_id, presentation.subject, locale)
        if decision.benefit != benefit_id:
            raise InvalidResponse("answer is about another benefit than the one asked")
        return decision
