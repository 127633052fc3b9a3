"""Worked examples in a benefit file: made-up facts, a date, and what the policy must answer.

Like OpenFisca's YAML tests beside its parameters and the DCC business-rule tests beside each
rule, the examples live with the benefit they test and must hold before a bundle is signed
(see kiosk.core.example_runs and ``kiosk-backend policy test``). They are parsed here, with
the catalog, so a malformed one stops loading with the file, benefit and field named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kiosk.core.policy_dates import DateFieldError, parse_day

OUTCOMES = ("eligible", "not_eligible", "undetermined")
STATUSES = ("passed", "failed", "unknown")
_KEYS = {"name", "on", "facts", "outcome", "criteria"}
_OPTIONAL = {"as_of", "remedy_mentions"}
_FACT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_MAX_EXAMPLES = 64


class ExampleError(ValueError):
    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field_name = field_name
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Example:
    name: str
    on: date
    facts: Mapping[str, Any]
    as_of: Mapping[str, str]
    outcome: str
    criteria: Mapping[str, str]  # criterion id -> expected status
    # criterion id -> text its remedy must contain (in either language), e.g. a computed date
    remedy_mentions: Mapping[str, str] = field(default_factory=dict)


def parse_examples(raw: object, criterion_ids: set[str]) -> tuple[Example, ...]:
    if not isinstance(raw, list) or len(raw) > _MAX_EXAMPLES:
        raise ExampleError("examples", f"must be a list of at most {_MAX_EXAMPLES} examples")
    examples: list[Example] = []
    for index, item in enumerate(raw):
        example = _example(item, f"examples[{index}]", criterion_ids)
        if any(e.name == example.name for e in examples):
            raise ExampleError(f"examples[{index}].name", f"{example.name!r} is used twice")
        examples.append(example)
    return tuple(examples)


def _example(item: object, where: str, criterion_ids: set[str]) -> Example:
    if not isinstance(item, dict):
        raise ExampleError(where, "must be a JSON object")
    missing, extra = _KEYS - set(item), set(item) - _KEYS - _OPTIONAL
    if missing:
        raise ExampleError(where, f"is missing {sorted(missing)}")
    if extra:
        raise ExampleError(where, f"has unknown field(s) {sorted(extra)}")
    name = item["name"]
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        raise ExampleError(f"{where}.name", "must be a short non-empty string")
    try:
        on = parse_day(item["on"])
    except DateFieldError as error:
        raise ExampleError(f"{where}.on", str(error)) from None
    facts = item["facts"]
    if not isinstance(facts, dict) or not all(isinstance(k, str) and _FACT_NAME.fullmatch(k) for k in facts):
        raise ExampleError(f"{where}.facts", "must be an object of fact names (lower_case)")
    as_of = item.get("as_of", {})
    if not isinstance(as_of, dict):
        raise ExampleError(f"{where}.as_of", "must map source authority ids to dates")
    for source, day in as_of.items():
        try:
            parse_day(day)
        except DateFieldError as error:
            raise ExampleError(f"{where}.as_of.{source}", str(error)) from None
    outcome = item["outcome"]
    if outcome not in OUTCOMES:
        raise ExampleError(f"{where}.outcome", f"must be one of {OUTCOMES}")
    expected = item["criteria"]
    if not isinstance(expected, dict) or not expected:
        raise ExampleError(f"{where}.criteria", "must map criterion ids to passed/failed/unknown")
    for criterion_id, status in expected.items():
        if criterion_id not in criterion_ids:
            raise ExampleError(f"{where}.criteria.{criterion_id}", "names no criterion of this benefit")
        if status not in STATUSES:
            raise ExampleError(f"{where}.criteria.{criterion_id}", f"must be one of {STATUSES}")
    mentions = item.get("remedy_mentions", {})
    if not isinstance(mentions, dict) or not all(isinstance(v, str) and v for v in mentions.values()):
        raise ExampleError(f"{where}.remedy_mentions", "must map criterion ids to non-empty text")
    for criterion_id in mentions:
        if criterion_id not in criterion_ids:
            raise ExampleError(f"{where}.remedy_mentions.{criterion_id}", "names no criterion of this benefit")
    return Example(name.strip(), on, dict(facts), dict(as_of), outcome, dict(expected), dict(mentions))
