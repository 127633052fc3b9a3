"""JSON from outside (API bodies, feeds, token files) read strictly: a repeated key or a NaN /
Infinity constant is refused instead of silently taking the last value or a non-JSON number."""

from __future__ import annotations

import json
from typing import Any


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("duplicate key")
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Built once: json.loads with options builds a new decoder on every call.
STRICT_JSON = json.JSONDecoder(object_pairs_hook=unique_keys, parse_constant=_no_constant)
