"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the service answers is one of the kinds below, so the OpenAPI document, the tests
and the kiosk agree on the vocabulary. ``detail`` is technical English for whoever reads the
kiosk's logs: it may name a *field* of the request, never a value the request carried.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_PREFIX = "urn:xinyi-kiosk:problem:"


@dataclass(frozen=True, slots=True)
class ProblemKind:
    slug: str
    status: int
    title: str

    @property
    def type_uri(self) -> str:
        return _TYPE_PREFIX + self.slug


MALFORMED_JSON = ProblemKind("malformed-json", 400, "Request body is not valid JSON")
MALFORMED_HTTP = ProblemKind("malformed-http", 400, "Request is not valid HTTP/1.1")
UNAUTHORIZED = ProblemKind("unauthorized", 401, "Unauthorized")
DEVICE_MISMATCH = ProblemKind("device-mismatch", 403, "Device does not match its token")
NOT_FOUND = ProblemKind("not-found", 404, "Not found")
UNKNOWN_BENEFIT = ProblemKind("unknown-benefit", 404, "Unknown benefit")
METHOD_NOT_ALLOWED = ProblemKind("method-not-allowed", 405, "Method not allowed")
REQUEST_TIMEOUT = ProblemKind("request-timeout", 408, "Request not received in time")
BODY_TOO_LARGE = ProblemKind("body-too-large", 413, "Request body too large")
UNSUPPORTED_MEDIA_TYPE = ProblemKind("unsupported-media-type", 415, "Unsupported media type")
INVALID_REQUEST = ProblemKind("invalid-request", 422, "Request does not match the schema")
SCHEME_NOT_ACCEPTED = ProblemKind(
    "scheme-not-accepted", 422, "Subject scheme not accepted for this benefit"
)
INVALID_SUBJECT = ProblemKind("invalid-subject", 422, "Subject reference is not valid")
RATE_LIMITED = ProblemKind("rate-limited", 429, "Too many requests")
HEADERS_TOO_LARGE = ProblemKind("headers-too-large", 431, "Request header fields too large")
SERVER_ERROR = ProblemKind("server-error", 500, "Internal server error")
SERVER_BUSY = ProblemKind("server-busy", 503, "Too many connections")
RECORDS_UNAVAILABLE = ProblemKind("records-unavailable", 503, "Records unavailable")
FLEET_UNAVAILABLE = ProblemKind("fleet-unavailable", 503, "Fleet store unavailable")

ALL_KINDS: tuple[ProblemKind, ...] = (
    MALFORMED_JSON, MALFORMED_HTTP, UNAUTHORIZED, DEVICE_MISMATCH, NOT_FOUND, UNKNOWN_BENEFIT,
    METHOD_NOT_ALLOWED, REQUEST_TIMEOUT, BODY_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, INVALID_REQUEST,
    SCHEME_NOT_ACCEPTED, INVALID_SUBJECT, RATE_LIMITED, HEADERS_TOO_LARGE, SERVER_ERROR,
    SERVER_BUSY, RECORDS_UNAVAILABLE, FLEET_UNAVAILABLE,
)


class ProblemError(Exception):
    """Raised inside a request handler; the handler turns it into a problem response."""

    def __init__(
        self,
        kind: ProblemKind,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.field = field
        self.headers = headers or {}


def problem_body(kind: ProblemKind, detail: str, field: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": kind.type_uri,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    return body


def problem_response(
    kind: ProblemKind,
    detail: str,
    *,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    content = json.dumps(problem_body(kind, detail, field), ensure_ascii=False).encode("utf-8")
    return Response(
        content, status_code=kind.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def response_for(error: ProblemError) -> Response:
    return problem_response(error.kind, error.detail, field=error.field, headers=error.headers)
