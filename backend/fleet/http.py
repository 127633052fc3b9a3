"""POST /v1/heartbeat (device token) and GET /v1/fleet (operator token).

Order of checks for a heartbeat: token and rate (401/429, before any body is read), media type
(415), size (413), JSON (400), the heartbeat format (422, naming the field), the device (403:
a kiosk writes only its own row), then the device's heartbeat allowance (429 with Retry-After,
kept in the fleet store so every worker counts the same). Nothing is stored on any refusal.
The answer names the counter batch it acknowledges; the kiosk drops a batch only then.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from backend.eligibility import decode_body
from backend.eligibility_http import read_bounded
from backend.fleet.service import Fleet
from backend.fleet.store import Flooded
from backend.gate import DeviceGate
from backend.middleware import DEVICE_SCOPE_KEY
from backend.problems import (
    DEVICE_MISMATCH,
    INVALID_REQUEST,
    RATE_LIMITED,
    UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
    ProblemError,
    response_for,
)
from kiosk.core.heartbeat import HeartbeatFormatError, heartbeat_from_json

# Two tables of at most 4096 rows of ~90 bytes, with room to spare.
MAX_HEARTBEAT_BYTES = 1024 * 1024 - 1


def _json(document: object) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, media_type="application/json")


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


class FleetEndpoints:
    def __init__(self, fleet: Fleet, device_gate: DeviceGate) -> None:
        self.fleet = fleet
        self.device_gate = device_gate

    async def heartbeat(self, request: Request) -> Response:
        try:
            device = self.device_gate.admit(request.headers.get("authorization"), _address(request))
            request.scope[DEVICE_SCOPE_KEY] = device
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json":
                raise ProblemError(UNSUPPORTED_MEDIA_TYPE, "send the body as application/json")
            length = request.headers.get("content-length")
            raw = await read_bounded(request.receive, length.encode("latin-1") if length else None, MAX_HEARTBEAT_BYTES)
            try:
                beat = heartbeat_from_json(decode_body(raw), today=self.fleet.today())
            except HeartbeatFormatError as error:
                raise ProblemError(INVALID_REQUEST, error.problem, field=error.field) from None
            if beat.device != device:
                raise ProblemError(
                    DEVICE_MISMATCH, "device differs from the device the token belongs to", field="device"
                )
            outcome = self.fleet.store.record(beat, self.fleet.clock(), self.fleet.allowance)
            if isinstance(outcome, Flooded):
                raise ProblemError(
                    RATE_LIMITED,
                    "this device sent heartbeats too often; retry later",
                    headers={"Retry-After": str(outcome.retry_after)},
                )
        except ProblemError as error:
            return response_for(error)
        return _json(
            {
                "accepted": True,
                "batch": beat.counters.batch if beat.counters is not None else None,
                "counted": outcome.counted,
            }
        )

    async def fleet_view(self, request: Request) -> Response:
        try:
            admit_operator(self.fleet, request)
        except ProblemError as error:
            return response_for(error)
        return _json(self.fleet.document())


def admit_operator(fleet: Fleet, request: Request) -> str:
    """The operator an ``Authorization: Bearer`` header names, or ProblemError 401 / 429."""
    try:
        return fleet.operator_gate.admit(request.headers.get("authorization"), _address(request))
    except ProblemError as error:
        if error.kind is UNAUTHORIZED:
            raise ProblemError(UNAUTHORIZED, "a valid operator token is required", headers=error.headers) from None
        raise
