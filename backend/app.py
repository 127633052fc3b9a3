"""The ASGI application: `create_app(settings)` loads everything once and serves DESIGN §4.1.

Per request the work is: authenticate (HMAC per configured device), rate-limit, read at most
16 KiB, check the body, one SQLite lookup, ``decide()``. Handlers are ``async`` and call
SQLite directly: an indexed lookup takes microseconds, less than handing it to a thread.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from backend.auth import DeviceRegistry
from backend.bundle_source import load_bundle
from backend.db import SubjectStore
from backend.eligibility import EligibilityService, parse_request
from backend.middleware import DEVICE_SCOPE_KEY, ServiceHeaders
from backend.openapi import openapi_document
from backend.problems import (
    BODY_TOO_LARGE,
    DEVICE_MISMATCH,
    MALFORMED_JSON,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    RATE_LIMITED,
    SERVER_ERROR,
    UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
    ProblemError,
    problem_response,
    response_for,
)
from backend.ratelimit import TokenBucketLimiter
from backend.settings import Settings
from kiosk.core.errors import KioskError
from kiosk.policy_source import load_catalog

LOG = logging.getLogger("backend.app")
JSON_MEDIA_TYPE = "application/json"
PATHS = ("/v1/eligibility", "/v1/bundle", "/v1/health", "/v1/openapi.json")
_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="xinyi-kiosk"'}


def _json_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Endpoints:
    """The four routes, over state loaded once at start-up."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        catalog = load_catalog(settings.policy_dir)
        store = SubjectStore(settings.db_path, preload=settings.preload_records)
        self.service = EligibilityService(catalog, store)
        self.registry = DeviceRegistry(settings.devices)
        self.limiter = (
            TokenBucketLimiter(settings.rate_per_second, settings.rate_burst)
            if settings.rate_per_second
            else None
        )
        load_bundle(settings)  # sign once now: a bad key or policy stops start-up
        self.health_body = _json_bytes({"status": "ok", "policy_version": catalog.version})
        self.openapi_body = _json_bytes(openapi_document())

    def _device(self, request: Request) -> str:
        """The authenticated device, or ProblemError 401 / 429 — before reading any body."""
        device = self.registry.device_for(request.headers.get("authorization"))
        if device is None:
            raise ProblemError(
                UNAUTHORIZED, "a valid device token is required", headers=_UNAUTHORIZED_HEADERS
            )
        request.scope[DEVICE_SCOPE_KEY] = device
        if self.limiter is not None:
            wait = self.limiter.retry_after(device)
            if wait:
                raise ProblemError(
                    RATE_LIMITED, "this device sent too many requests; retry later",
                    headers={"Retry-After": str(wait)},
                )
        return device

    async def eligibility(self, request: Request) -> Response:
        try:
            device = self._device(request)
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != JSON_MEDIA_TYPE:
                raise ProblemError(UNSUPPORTED_MEDIA_TYPE, "send the body as application/json")
            parsed = parse_request(await self._body(request))
            if parsed.device != device:
                raise ProblemError(
                    DEVICE_MISMATCH, "device differs from the device the token belongs to",
                    field="device",
                )
            decision = self.service.answer(parsed)
        except ProblemError as error:
            return response_for(error)
        return Response(_json_bytes(decision.to_json()), media_type=JSON_MEDIA_TYPE)

    async def _body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ProblemError(BODY_TOO_LARGE, f"the body may hold at most {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ProblemError(BODY_TOO_LARGE, f"the body may hold at most {limit} bytes")
                chunks.append(chunk)
        except ClientDisconnect:
            raise ProblemError(MALFORMED_JSON, "the body ended early") from None
        return b"".join(chunks)

    async def bundle(self, request: Request) -> Response:
        try:
            self._device(request)
        except ProblemError as error:
            return response_for(error)
        # load_bundle caches the signed bytes and re-signs before they expire.
        body, etag = load_bundle(self.settings)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=JSON_MEDIA_TYPE, headers=headers)

    async def health(self, request: Request) -> Response:
        return Response(self.health_body, media_type=JSON_MEDIA_TYPE)

    async def openapi(self, request: Request) -> Response:
        return Response(
            self.openapi_body, media_type=JSON_MEDIA_TYPE, headers={"Cache-Control": "no-cache"}
        )


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: "*" or a list of entity tags, compared weakly."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


async def _http_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 405:
        return problem_response(
            METHOD_NOT_ALLOWED, "this path does not take this method", headers=error.headers
        )
    if error.status_code == 404:
        return problem_response(NOT_FOUND, "no such path")
    return problem_response(SERVER_ERROR, "the request could not be handled")


async def _server_problem(request: Request, error: Exception) -> Response:
    # KioskError details are written for logs (no personal data); any other exception is
    # logged by ServiceHeaders by type and place only.
    if isinstance(error, KioskError):
        LOG.error("request failed: %s", error.detail)
    return problem_response(SERVER_ERROR, "the service failed to answer; try again later")


def create_app(settings: Settings) -> ASGIApp:
    endpoints = Endpoints(settings)
    app = Starlette(
        routes=[
            Route("/v1/eligibility", endpoints.eligibility, methods=["POST"]),
            Route("/v1/bundle", endpoints.bundle, methods=["GET"]),
            Route("/v1/health", endpoints.health, methods=["GET"]),
            Route("/v1/openapi.json", endpoints.openapi, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _http_problem, Exception: _server_problem},
    )
    return ServiceHeaders(app, known_paths=PATHS, log_requests=settings.log_requests)
