"""The service's OpenAPI 3.1 document, written by hand as data and served at /v1/openapi.json.

It states exactly what the code does (tests/test_backend_openapi.py runs schemathesis against
the live server with this document): every status each path can answer, strict request
schemas (no additional properties), and the decision and problem shapes.
"""

from __future__ import annotations

from typing import Any

from backend.auth import DEVICE_ID_PATTERN
from backend.eligibility import (
    BENEFIT_ID_PATTERN,
    LOCALES,
    MAX_SUBJECT_VALUE_CHARS,
    SCHEMES,
)
from backend.fleet.openapi_paths import fleet_paths, fleet_schemas
from backend.problems import ALL_KINDS, PROBLEM_MEDIA_TYPE
from backend.settings import MAX_BODY_BYTES
from kiosk.core.credentials.settings import RECEIPT_PREFIX
from kiosk.core.decision_records import MAX_RECEIPT_CHARS

EXAMPLE_REQUEST = {
    "benefit": "expedited-permit",
    "subject": {"scheme": "uscc", "value": "91990000123456788C"},  # synthetic: region 99
    "locale": "zh-CN",
    "device": "kiosk-demo",
}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        response["headers"] = headers
    return response


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Whole seconds until this device may send again.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {"description": "Bearer challenge.", "schema": {"type": "string"}}
}
_ETAG = {"ETag": {"description": "Strong entity tag of the bundle.", "schema": {"type": "string"}}}
_UNAUTHORIZED = _problem(
    "No device token, or one the service does not know. Nothing else is said.", _WWW_AUTHENTICATE
)
_RATE_LIMITED = _problem("This device sent too many requests.", _RETRY_AFTER)


def _schemas() -> dict[str, Any]:
    return {
        "EligibilityRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["benefit", "subject", "locale", "device"],
            "properties": {
                "benefit": {"type": "string", "pattern": f"^{BENEFIT_ID_PATTERN.pattern}$"},
                "subject": {"$ref": "#/components/schemas/Subject"},
                "locale": {"type": "string", "enum": list(LOCALES)},
                "device": {
                    "type": "string",
                    "pattern": f"^{DEVICE_ID_PATTERN.pattern}$",
                    "description": "Must be the device the bearer token belongs to (else 403).",
                },
            },
            "examples": [EXAMPLE_REQUEST],
        },
        "SimulationRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["benefit", "facts", "locale"],
            "description": "Made-up facts only: a body with a subject reference (subject, "
            "scheme, value, uscc, ric, token, credential) is refused with 422.",
            "properties": {
                "benefit": {"type": "string", "pattern": f"^{BENEFIT_ID_PATTERN.pattern}$"},
                "facts": {
                    "type": "object",
                    "maxProperties": 64,
                    "description": "Fact name -> value, typed as the policy's FACTS.md says; "
                    "null or absent means unknown.",
                },
                "on": {"type": "string", "format": "date",
                       "description": "Decision day in the policy's time zone (default today)."},
                "locale": {"type": "string", "enum": list(LOCALES)},
            },
            "examples": [{"benefit": "expedited-permit", "facts": {"tax_credit_grade": "C"},
                          "on": "2026-06-01", "locale": "en"}],
        },
        "Subject": {
            "type": "object",
            "additionalProperties": False,
            "required": ["scheme", "value"],
            "properties": {
                "scheme": {
                    "type": "string",
                    "enum": list(SCHEMES),
                    "description": "uscc (GB 32100), ric (GB 11643), token (XKT: + base64url). "
                    "credential is refused with 422: the kiosk decides signed credentials "
                    "itself and sends the uscc/ric they name.",
                },
                "value": {"type": "string", "minLength": 1, "maxLength": MAX_SUBJECT_VALUE_CHARS},
            },
        },
        "Decision": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "decision_id", "benefit", "outcome", "criteria", "policy_version",
                "decided_at", "valid_until", "receipt",
            ],
            "properties": {
                "decision_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                "benefit": {"type": "string"},
                "outcome": {"type": "string", "enum": ["eligible", "not_eligible", "undetermined"]},
                "criteria": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/components/schemas/CriterionResult"},
                },
                "policy_version": {"type": "string"},
                "decided_at": {"type": "string", "format": "date-time"},
                "valid_until": {"type": "string", "format": "date-time"},
                "receipt": {
                    "type": ["string", "null"],
                    "pattern": f"^{RECEIPT_PREFIX}:[0-9A-Z $%*+./:-]+$",
                    "maxLength": MAX_RECEIPT_CHARS,
                    "description": "The signed decision receipt the applicant takes away: XKR: + "
                    "base45(zlib(COSE_Sign1(CWT))), signed with the service's receipt key (its "
                    "public key is in the policy bundle's receipt_keys). Its claims are the "
                    "decision id, benefit, outcome, each criterion's id, status and as-of date, "
                    "policy version, decided_at, valid_until, mode, device, and a salted SHA-256 "
                    "binding to the subject reference; no name, identifier or fact. null when "
                    "the service has no receipt key. Verify with `kiosk receipt verify`.",
                },
            },
        },
        "CriterionResult": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "id", "title", "status", "reason", "as_of", "source", "remedy", "rule_version",
            ],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "string", "enum": ["passed", "failed", "unknown"]},
                "reason": {"type": "string"},
                "as_of": {"type": ["string", "null"], "format": "date"},
                "source": {"type": "string"},
                "remedy": {"type": ["string", "null"]},
                "rule_version": {
                    "type": "string",
                    "description": "The criterion version that decided: its valid_from date "
                    "(YYYY-MM-DD), or \"-\" for a criterion without dates.",
                },
            },
        },
        "Problem": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string", "enum": [k.type_uri for k in ALL_KINDS]},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "field": {
                    "type": "string",
                    "description": "The request field at fault; never its value.",
                },
            },
        },
        "Health": {
            "type": "object",
            "additionalProperties": False,
            "required": ["status", "policy_version"],
            "properties": {
                "status": {"const": "ok"},
                "policy_version": {"type": "string"},
            },
        },
        "Bundle": {
            "type": "object",
            "description": "The signed policy bundle; format in kiosk/core/bundle.py.",
            "additionalProperties": False,
            "required": ["payload", "signature"],
            "properties": {
                "payload": {
                    "type": "object",
                    "required": [
                        "format", "version", "issued_at", "expires_at", "catalog",
                        "trust_keys", "revoked",
                    ],
                    "properties": {
                        "format": {"type": "string"},
                        "version": {"type": "integer", "minimum": 1},
                        "issued_at": {"type": "string", "format": "date-time"},
                        "expires_at": {"type": "string", "format": "date-time"},
                        "catalog": {"type": "object"},
                        "trust_keys": {"type": "array", "items": {"type": "object"}},
                        "revoked": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "signature": {
                    "type": "object",
                    "required": ["alg", "kid", "value"],
                    "properties": {
                        "alg": {"const": "Ed25519"},
                        "kid": {"type": "string"},
                        "value": {"type": "string"},
                    },
                },
            },
        },
    }


def openapi_document(*, fleet: bool = True) -> dict[str, Any]:
    """The document; ``fleet`` False leaves out POST /v1/heartbeat (a service without fleet_db)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Xinyi Kiosk eligibility service",
            "version": "1",
            "description": "Does this applicant qualify for this one benefit now, and why. "
            "Errors are RFC 9457 problem details. Every response carries "
            "X-Content-Type-Options, Content-Security-Policy and Referrer-Policy headers.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"deviceToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {**_schemas(), **(fleet_schemas() if fleet else {})},
        },
        "paths": {
            "/v1/eligibility": {
                "post": {
                    "operationId": "decideEligibility",
                    "summary": "Decide one benefit for one subject reference.",
                    "security": [{"deviceToken": []}],
                    "requestBody": {
                        "required": True,
                        "description": f"At most {MAX_BODY_BYTES} bytes.",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/EligibilityRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "A decision, criterion by criterion. A valid "
                            "reference with no record is answered undetermined, every "
                            "criterion unknown.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Decision"}
                                }
                            },
                        },
                        "400": _problem("The body is not one UTF-8 JSON document."),
                        "401": _UNAUTHORIZED,
                        "403": _problem("The device field is not the token's device."),
                        "404": _problem("No benefit with this id."),
                        "413": _problem(f"The body is larger than {MAX_BODY_BYTES} bytes."),
                        "415": _problem("The body is not sent as application/json."),
                        "422": _problem(
                            "The body breaks the schema, the benefit does not take this "
                            "scheme, or the subject reference is malformed (format or check "
                            "character). The problem names the field, never its value."
                        ),
                        "429": _RATE_LIMITED,
                    },
                }
            },
            "/v1/simulate": {
                "post": {
                    "operationId": "simulateDecision",
                    "summary": "What-if: decide one benefit for made-up facts on a date.",
                    "security": [{"deviceToken": []}],
                    "requestBody": {
                        "required": True,
                        "description": f"At most {MAX_BODY_BYTES} bytes.",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/SimulationRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The decision the policy gives these facts, in the "
                            "eligibility answer's shape.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Decision"}
                                }
                            },
                        },
                        "400": _problem("The body is not one UTF-8 JSON document."),
                        "401": _UNAUTHORIZED,
                        "404": _problem("No benefit with this id, or none in force on that day."),
                        "413": _problem(f"The body is larger than {MAX_BODY_BYTES} bytes."),
                        "415": _problem("The body is not sent as application/json."),
                        "422": _problem(
                            "The body breaks the schema, names a subject reference, or a fact "
                            "is unknown or of the wrong type. The problem names the field."
                        ),
                        "429": _RATE_LIMITED,
                    },
                }
            },
            "/v1/bundle": {
                "get": {
                    "operationId": "getBundle",
                    "summary": "The policy bundle; honours If-None-Match.",
                    "security": [{"deviceToken": []}],
                    "parameters": [
                        {
                            "name": "If-None-Match",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The bundle.",
                            "headers": _ETAG,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Bundle"}
                                }
                            },
                        },
                        "304": {"description": "The bundle has not changed.", "headers": _ETAG},
                        "401": _UNAUTHORIZED,
                        "429": _RATE_LIMITED,
                    },
                }
            },
            "/v1/health": {
                "get": {
                    "operationId": "getHealth",
                    "summary": "Liveness and the policy version served. No authentication.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The service is up.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Health"}
                                }
                            },
                        }
                    },
                }
            },
            **(fleet_paths(_problem, _UNAUTHORIZED, _RATE_LIMITED) if fleet else {}),
            "/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document. No authentication.",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
    }
