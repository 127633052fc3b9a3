"""The ASGI application: `create_app(settings)` loads everything once and serves DESIGN §4.1.

Per decision the work is: authenticate (one HMAC, backend/auth.py), rate-limit, read at most
16 KiB, check the body, one record lookup, ``decide()`` (or its kept answer). Handlers are
``async`` and call the store directly: a lookup (a dict probe, or one indexed SQLite
statement) takes microseconds, less than handing it to a thread.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from backend.auth import DEVICES, DeviceRegistry
from backend.bundle_source import load_bundle, signed_bundle
from backend.decision_bodies import DecisionBodies
from backend.eligibility import EligibilityService
from backend.eligibility_http import EligibilityEndpoint
from backend.fleet.dashboard import Dashboard
from backend.fleet.http import FleetEndpoints
from backend.fleet.metrics import FleetMetrics
from backend.fleet.service import Fleet, build_fleet
from backend.gate import DeviceGate, Limiter, failure_limiter
from backend.middleware import DEVICE_SCOPE_KEY, ServiceHeaders
from backend.openapi import openapi_document
from backend.problems import (
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    SERVER_ERROR,
    ProblemError,
    problem_response,
    response_for,
)
from backend.ratelimit import TokenBucketLimiter
from backend.receipts import load_receipt_issuer
from backend.records_store import open_store
from backend.settings import Settings
from backend.simulate_http import SimulateEndpoint
from backend.simulation import Simulator
from backend.token_sources import ReloadingRegistry, TokenSource, token_source
from kiosk.common.facts_table import read_facts_table
from kiosk.common.policy_folder import load_catalog
from kiosk.core.benefits import Catalog, CatalogError
from kiosk.core.errors import KioskError

LOG = logging.getLogger("backend.app")
JSON_MEDIA_TYPE = "application/json"
PATHS = ("/v1/eligibility", "/v1/simulate", "/v1/bundle", "/v1/health", "/v1/openapi.json")
# Served when the settings name a fleet_db (backend/fleet/).
FLEET_PATHS = ("/v1/heartbeat", "/v1/fleet", "/metrics", "/fleet", "/fleet/login", "/fleet/logout", "/fleet/fleet.css")


def _json_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Endpoints:
    """The routes, over state loaded once at start-up; POST /v1/eligibility is a bare ASGI app
    (eligibility_http.py), the others Starlette endpoints."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        catalog = load_catalog(settings.policy_dir)
        self.store = open_store(settings)
        # Kept answers follow the records' data generation (backend/records_store.py), so
        # every way of reading records may keep them.
        bodies = DecisionBodies() if self.store.keeps_answers else None
        self.service = EligibilityService(catalog, self.store, bodies, load_receipt_issuer(settings))
        self.limiter = _limiter(settings)
        # A tokens file or table is followed while serving (revocations apply at once); the
        # demo's in-memory credential has neither.
        self.device_tokens: TokenSource | None = None
        registry: DeviceRegistry | ReloadingRegistry = DeviceRegistry(settings.devices)
        if settings.device_tokens is not None or settings.device_tokens_url is not None:
            self.device_tokens = token_source(
                settings.device_tokens, settings.device_tokens_url, DEVICES,
                setting="device_tokens", origin=settings.origin, missing_is_empty=False,
            )
            registry = ReloadingRegistry(self.device_tokens)
        self.gate = DeviceGate(registry, self.limiter, failure_limiter())
        self.eligibility = EligibilityEndpoint(self.gate, self.service, settings.max_body_bytes)
        self.simulate = SimulateEndpoint(self.gate, _simulator(settings, catalog), settings.max_body_bytes)
        load_bundle(settings)  # sign once now: a bad key or policy stops start-up
        self.fleet: Fleet | None = build_fleet(settings, catalog, registry)
        self.health_body = _json_bytes({"status": "ok", "policy_version": catalog.version})
        self.openapi_body = _json_bytes(openapi_document(fleet=self.fleet is not None))

    async def bundle(self, request: Request) -> Response:
        try:
            client = request.client
            request.scope[DEVICE_SCOPE_KEY] = self.gate.admit(
                request.headers.get("authorization"), client.host if client else None
            )
        except ProblemError as error:
            return response_for(error)
        # load_bundle caches the signed bytes and re-signs before they expire.
        body, etag = load_bundle(self.settings)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=JSON_MEDIA_TYPE, headers=headers)

    def close(self) -> None:
        self.store.close()
        if self.fleet is not None:
            self.fleet.close()
        if self.device_tokens is not None:
            self.device_tokens.close()
        closing = getattr(self.limiter, "close", None)
        if closing is not None:
            closing()

    async def health(self, request: Request) -> Response:
        return Response(self.health_body, media_type=JSON_MEDIA_TYPE)

    async def openapi(self, request: Request) -> Response:
        return Response(
            self.openapi_body, media_type=JSON_MEDIA_TYPE, headers={"Cache-Control": "no-cache"}
        )


def _limiter(settings: Settings) -> Limiter | None:
    """Per-device rate limit: in PostgreSQL when the records are there, so every worker and
    node shares one bucket per device; else in this process (SQLite serves one worker, or
    several only with the limit off: backend/commands/serve.py)."""
    if not settings.rate_per_second:
        return None
    if settings.db_url is not None:
        from backend.pg.limiter import SharedLimiter

        return SharedLimiter(settings.db_url, settings.rate_per_second, settings.rate_burst,
                             origin=settings.origin)
    return TokenBucketLimiter(settings.rate_per_second, settings.rate_burst)


def _simulator(settings: Settings, catalog: Catalog) -> Simulator | None:
    try:
        return Simulator(catalog, read_facts_table(settings.policy_dir / "FACTS.md"))
    except CatalogError as error:
        LOG.warning("no simulations: %s", error.detail)
        return None


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: "*" or a list of entity tags, compared weakly."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


async def _problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, ProblemError)
    return response_for(error)


async def _http_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 405:
        return problem_response(
            METHOD_NOT_ALLOWED, "this path does not take this method", headers=error.headers
        )
    if error.status_code == 404:
        return problem_response(NOT_FOUND, "no such path")
    return problem_response(SERVER_ERROR, "the request could not be handled")


def _failure_problem(error: Exception) -> Response:
    # KioskError details are written for logs (no personal data); any other exception is
    # logged by ServiceHeaders by type and place only.
    if isinstance(error, KioskError):
        LOG.error("request failed: %s", error.detail)
    return problem_response(SERVER_ERROR, "the service failed to answer; try again later")


async def _server_problem(request: Request, error: Exception) -> Response:
    return _failure_problem(error)


async def _direct_problem(error: Exception) -> ASGIApp:
    """The same answer for a route ServiceHeaders serves in front of Starlette."""
    return _failure_problem(error)


def create_app(settings: Settings) -> ServiceHeaders:
    endpoints = Endpoints(settings)
    routes = [
        Route("/v1/eligibility", endpoints.eligibility, methods=["POST"]),
        Route("/v1/simulate", endpoints.simulate.handle, methods=["POST"]),
        Route("/v1/bundle", endpoints.bundle, methods=["GET"]),
        Route("/v1/health", endpoints.health, methods=["GET"]),
        Route("/v1/openapi.json", endpoints.openapi, methods=["GET"]),
    ]
    metrics: FleetMetrics | None = None
    if endpoints.fleet is not None:
        fleet_api = FleetEndpoints(endpoints.fleet, endpoints.gate)
        dashboard = Dashboard(endpoints.fleet)
        metrics = FleetMetrics(endpoints.fleet, lambda: signed_bundle(settings).issued_at, endpoints.store.changed_at)
        routes += [
            Route("/v1/heartbeat", fleet_api.heartbeat, methods=["POST"]),
            Route("/v1/fleet", fleet_api.fleet_view, methods=["GET"]),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            Route("/fleet", dashboard.page, methods=["GET"]),
            Route("/fleet/login", dashboard.login, methods=["POST"]),
            Route("/fleet/logout", dashboard.logout, methods=["POST"]),
            Route("/fleet/fleet.css", dashboard.stylesheet, methods=["GET"]),
        ]
    app = Starlette(
        routes=routes,
        # ProblemError from below a handler (the fleet store down: 503) is a problem, not a 500.
        exception_handlers={HTTPException: _http_problem, ProblemError: _problem, Exception: _server_problem},
    )
    # Starlette would answer a near-miss path ("/v1/eligibility/") with a 307 before any token
    # is read, its Location built from the client's Host header. Only exact paths are ours.
    app.router.redirect_slashes = False
    known = PATHS + (FLEET_PATHS if endpoints.fleet is not None else ())
    # The eligibility route is also served straight from ServiceHeaders, in front of
    # Starlette's middleware and router (a third of a kept answer's in-process cost); the
    # Route above still answers other methods on its path with 405.
    return ServiceHeaders(
        app, known_paths=known, log_requests=settings.log_requests, on_close=endpoints.close,
        observe=metrics.observe if metrics is not None else None,
        direct={("POST", "/v1/eligibility"): endpoints.eligibility},
        direct_error=_direct_problem,
    )
