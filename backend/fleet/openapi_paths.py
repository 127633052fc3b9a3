"""The fleet's part of the OpenAPI document (backend/openapi.py): POST /v1/heartbeat, the one
fleet operation a device makes, with its schema built from the wire format (kiosk/core/heartbeat.py).

The operators' routes (GET /v1/fleet, the dashboard at /fleet, /metrics) take operator tokens,
which no device holds; they are described in the README, not in the devices' document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.core.heartbeat import (
    DEVICE_PARTS,
    HEARTBEAT_FIELDS,
    MAX_COUNT,
    MAX_ROWS,
    MAX_SECONDS,
    PART_STATUSES,
    SYNC_OUTCOMES,
)

_ID = "^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
_DAY = {"type": "string", "format": "date"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time", "maxLength": 40}


def _row(key: str, kind: str, kinds: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["day", key, kind, "count"],
        "properties": {
            "day": _DAY,
            key: {"type": "string", "pattern": _ID, "maxLength": 64},
            kind: {"type": "string", "enum": kinds},
            "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
        },
    }


def fleet_schemas() -> dict[str, Any]:
    return {
        "Heartbeat": {
            "type": "object",
            "additionalProperties": False,
            "description": "Exactly these fields (issue #17); a device writes only its own row.",
            "required": list(HEARTBEAT_FIELDS),
            "properties": {
                "device": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
                "software_version": {"type": "string", "pattern": "^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$"},
                "policy_version": {"type": ["string", "null"], "minLength": 1, "maxLength": 64},
                "policy_age_seconds": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_SECONDS},
                "last_sync_outcome": {"enum": [*SYNC_OUTCOMES, None]},
                "last_sync_at": _NULLABLE_TIME,
                "devices": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": list(DEVICE_PARTS),
                    "properties": {part: {"type": "string", "enum": list(PART_STATUSES)} for part in DEVICE_PARTS},
                },
                "last_frame_at": _NULLABLE_TIME,
                "uptime_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_SECONDS},
                "clock_skew_seconds": {"type": ["number", "null"], "minimum": -MAX_SECONDS, "maximum": MAX_SECONDS},
                "counters": {
                    "oneOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["batch", "outcomes", "criteria"],
                            "properties": {
                                "batch": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                                "outcomes": {
                                    "type": "array",
                                    "maxItems": MAX_ROWS,
                                    "items": _row("benefit", "outcome", ["eligible", "not_eligible", "undetermined"]),
                                },
                                "criteria": {
                                    "type": "array",
                                    "maxItems": MAX_ROWS,
                                    "items": _row("criterion", "status", ["passed", "failed", "unknown"]),
                                },
                            },
                        },
                    ],
                },
            },
        },
        "HeartbeatAnswer": {
            "type": "object",
            "additionalProperties": False,
            "required": ["accepted", "batch", "counted"],
            "properties": {
                "accepted": {"const": True},
                "batch": {"type": ["string", "null"], "description": "The counter batch acknowledged: drop it."},
                "counted": {"type": "boolean", "description": "False: that batch was counted before."},
            },
        },
    }


def fleet_paths(
    problem: Callable[[str], dict[str, Any]], unauthorized: dict[str, Any], rate_limited: dict[str, Any]
) -> dict[str, Any]:
    return {
        "/v1/heartbeat": {
            "post": {
                "operationId": "sendHeartbeat",
                "summary": "A kiosk's health and counters since its last acknowledged heartbeat.",
                "security": [{"deviceToken": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Heartbeat"}}},
                },
                "responses": {
                    "200": {
                        "description": "Kept; the answer names the counter batch it acknowledges.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HeartbeatAnswer"}}},
                    },
                    "400": problem("The body is not one UTF-8 JSON document."),
                    "401": unauthorized,
                    "403": problem("The device field is not the token's device."),
                    "413": problem("The body is larger than 1 MiB."),
                    "415": problem("The body is not sent as application/json."),
                    "422": problem("The body is not exactly a heartbeat; the problem names the field."),
                    "429": rate_limited,
                    "503": problem(
                        "The fleet's PostgreSQL database cannot be reached (Retry-After): keep the counters "
                        "and send them with the next heartbeat."
                    ),
                },
            }
        },
    }
