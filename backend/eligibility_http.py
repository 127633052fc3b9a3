"""POST /v1/eligibility as a bare ASGI app: the one route whose cost matters.

Starlette's Request/Response objects cost more than the whole decision once answers are kept
(decision_bodies.py), so this route reads the three headers it needs and the body straight
from the ASGI messages and sends two messages back. Order of checks: token and rate (401/429,
before any body is read), media type (415), size (413: the declared Content-Length, then every
byte actually received, so chunked bodies are bounded too), JSON and schema (400/422), device
(403), then the decision (404/422 for benefit and subject).
"""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from backend.eligibility import EligibilityService, parse_request
from backend.gate import DeviceGate
from backend.middleware import DEVICE_SCOPE_KEY
from backend.problems import (
    BODY_TOO_LARGE,
    DEVICE_MISMATCH,
    MALFORMED_JSON,
    UNSUPPORTED_MEDIA_TYPE,
    ProblemError,
    response_for,
)

_JSON_HEADERS = [(b"content-type", b"application/json")]


class EligibilityEndpoint:
    def __init__(self, gate: DeviceGate, service: EligibilityService, max_body_bytes: int) -> None:
        self.gate = gate
        self.service = service
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = content_type = content_length = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                content_length = value
        try:
            client = scope.get("client")
            device = self.gate.admit(authorization, client[0] if client else None)
            scope[DEVICE_SCOPE_KEY] = device
            if content_type is None or content_type.split(b";")[0].strip().lower() != b"application/json":
                raise ProblemError(UNSUPPORTED_MEDIA_TYPE, "send the body as application/json")
            parsed = parse_request(await self._body(receive, content_length))
            if parsed.device != device:
                raise ProblemError(
                    DEVICE_MISMATCH, "device differs from the device the token belongs to",
                    field="device",
                )
            body = self.service.answer_body(parsed)
        except ProblemError as error:
            await response_for(error)(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*_JSON_HEADERS, (b"content-length", str(len(body)).encode("ascii"))],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _body(self, receive: Receive, content_length: bytes | None) -> bytes:
        return await read_bounded(receive, content_length, self.max_body_bytes)


async def read_bounded(receive: Receive, content_length: bytes | None, limit: int) -> bytes:
    """The request body from the ASGI messages, refused (413) past ``limit`` bytes."""
    too_large = ProblemError(BODY_TOO_LARGE, f"the body may hold at most {limit} bytes")
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ProblemError(MALFORMED_JSON, "the body ended early")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
