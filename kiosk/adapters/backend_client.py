"""httpx client for the eligibility API (DESIGN §4.1), and the online Checker built on it.

One `httpx.AsyncClient` per kiosk keeps the connection alive between checks. The transport is
a constructor argument, so tests point the client at the real backend in-process (ASGI) or
over loopback without replacing any function here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kiosk.core.credentials import Presentation, SubjectRef
from kiosk.core.decision import Decision, DecisionFormatError, Mode, decision_from_json
from kiosk.core.errors import KioskError
from kiosk.core.text import Locale, LocalText

if TYPE_CHECKING:
    import httpx

# httpx is imported when the first request is made, not at start: its import is a tenth of a
# second or more of the kiosk's start-up, before the idle screen, which needs nothing of it.
MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_TIMEOUTS = {"connect": 3.0, "read": 8.0, "write": 5.0, "pool": 3.0}


class BackendError(KioskError):
    """Base of everything that can go wrong talking to the backend."""

    retryable_offline = False


class BackendUnavailable(BackendError):
    """No answer (refused, dropped, timed out, 5xx): an offline decision may still be possible."""

    retryable_offline = True

    def __init__(self, detail: str) -> None:
        super().__init__(
            detail,
            LocalText(
                "暂时连不上核验服务，请稍后再试，或到人工窗口办理。",
                "The eligibility service cannot be reached right now. Please try again later, "
                "or go to the staffed counter.",
            ),
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
        return LocalText(
            "本机未获授权使用核验服务，请联系工作人员。",
            "This kiosk is not authorised by the eligibility service. Please ask a member of staff.",
        )
    if status == 404:
        return LocalText(
            "核验服务不提供所选事项，请联系工作人员。",
            "The eligibility service does not offer the chosen benefit. Please ask a member of staff.",
        )
    if status == 429:
        return LocalText(
            "核验请求过于频繁，请稍候片刻再试。",
            "Too many checks in a short time. Please wait a moment and try again.",
        )
    return LocalText(
        "核验服务未能处理这个码，请到人工窗口办理。",
        "The eligibility service could not process this code. Please go to the staffed counter.",
    )


class BackendClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        device_id: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.device_id = device_id
        # Made on the first request, like the import: building an httpx client loads its
        # transport stack, another fifth of a second of start-up.
        self._options: dict[str, Any] = dict(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
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
        response = await self._send("POST", "/v1/eligibility", json=body)
        return _decision(response)

    async def health(self) -> dict[str, Any]:
        response = await self._send("GET", "/v1/health")
        document = _json_body(response)
        if not isinstance(document, dict):
            raise InvalidResponse("health answer is not a JSON object")
        return document

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        # One retry, only when the connection failed or was dropped before an answer: a
        # stale keep-alive connection is the common case and a second try fixes it.
        import httpx

        for attempt in (1, 2):
            try:
                response = await self._http().request(method, path, **kwargs)
                await response.aread()
                break
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as error:
                if attempt == 2:
                    raise BackendUnavailable(f"connection failed twice: {type(error).__name__}") from None
            except httpx.TimeoutException as error:
                raise BackendUnavailable(f"no answer in time: {type(error).__name__}") from None
            except httpx.HTTPError as error:
                raise BackendUnavailable(f"transport error: {type(error).__name__}") from None
        if response.status_code >= 500:
            raise BackendUnavailable(f"backend answered {response.status_code}")
        if response.status_code >= 400:
            raise BackendRejected(response.status_code, _problem(response))
        if response.status_code != 200:
            raise InvalidResponse(f"unexpected status {response.status_code}")
        return response


def _json_body(response: httpx.Response) -> object:
    if len(response.content) > MAX_RESPONSE_BYTES:
        raise InvalidResponse(f"answer larger than {MAX_RESPONSE_BYTES} bytes")
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in ("application/json", "application/problem+json"):
        raise InvalidResponse(f"answer is {content_type or 'untyped'}, not JSON")
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise InvalidResponse("answer is not valid JSON") from None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = _json_body(response)
    except InvalidResponse:
        return {"status": response.status_code}
    return body if isinstance(body, dict) else {"status": response.status_code}


def _decision(response: httpx.Response) -> Decision:
    try:
        return decision_from_json(_json_body(response), mode=Mode.ONLINE)
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
