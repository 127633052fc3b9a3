"""POST /v1/simulate: a decision for made-up facts, for counter staff and the authority's tools.

Authenticated and rate-limited like every device call; the body is bounded like an
eligibility request's; a body naming a subject reference is refused (422), so a simulation
can never look anyone up. The answer has the eligibility answer's shape.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.eligibility import decode_body
from backend.eligibility_http import read_bounded
from backend.gate import DeviceGate
from backend.middleware import DEVICE_SCOPE_KEY
from backend.problems import (
    INVALID_REQUEST,
    SERVER_ERROR,
    UNKNOWN_BENEFIT,
    UNSUPPORTED_MEDIA_TYPE,
    ProblemError,
    response_for,
)
from backend.simulation import SimulationError, Simulator, encode, parse_simulation_body


class SimulateEndpoint:
    def __init__(self, gate: DeviceGate, simulator: Simulator | None, max_body_bytes: int) -> None:
        self.gate = gate
        self.simulator = simulator
        self.max_body_bytes = max_body_bytes

    async def handle(self, request: Request) -> Response:
        try:
            request.scope[DEVICE_SCOPE_KEY] = self.gate.admit(request.headers.get("authorization"))
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json":
                raise ProblemError(UNSUPPORTED_MEDIA_TYPE, "send the body as application/json")
            length = request.headers.get("content-length")
            raw = await read_bounded(request.receive, length.encode("latin-1") if length else None,
                                     self.max_body_bytes)
            document = decode_body(raw)
            if self.simulator is None:
                raise ProblemError(SERVER_ERROR, "this service's policy declares no facts (FACTS.md)")
            try:
                benefit, facts, on, locale = parse_simulation_body(document)
                decision = self.simulator.run(benefit, facts, on=on, locale=locale)
            except SimulationError as error:
                kind = UNKNOWN_BENEFIT if error.not_found else INVALID_REQUEST
                raise ProblemError(kind, error.problem, field=error.field) from None
        except ProblemError as error:
            return response_for(error)
        return Response(encode(decision), media_type="application/json")
