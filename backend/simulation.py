"""What-if: the decision the policy gives made-up facts on a date, with the same decide().

For counter staff ("what would make this a yes") and the authority's own tools. A simulation
takes facts only, never a subject reference, so it can look nobody up; facts are checked
against FACTS.md's types first, so a typo is refused by name instead of deciding "unknown".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from kiosk.common.facts_table import FactSpec
from kiosk.core.benefits import Catalog
from kiosk.core.decision import NotInForce, decide
from kiosk.core.decision_records import Decision
from kiosk.core.policy_dates import DateFieldError, parse_day, zone
from kiosk.core.text import Locale

MAX_FACTS = 64
_NOON = time(12, 0)
SIMULATION_FIELDS = ("benefit", "facts", "on", "locale")
REQUIRED_FIELDS = ("benefit", "facts", "locale")
# Field names that would make a simulation a look-up of someone: refused by name.
SUBJECT_FIELDS = frozenset({"subject", "subject_ref", "scheme", "value", "uscc", "ric", "token", "credential"})


class SimulationError(ValueError):
    """A simulation input is wrong; ``field`` names it (never its value)."""

    def __init__(self, field: str, problem: str, *, not_found: bool = False) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.not_found = not_found


@dataclass(frozen=True, slots=True)
class Simulator:
    catalog: Catalog
    facts: Mapping[str, FactSpec]

    def run(
        self, benefit_id: str, facts: object, *, on: date | None, locale: Locale,
        now: datetime | None = None,
    ) -> Decision:
        benefit = self.catalog.get(benefit_id)
        if benefit is None:
            raise SimulationError("benefit", "no benefit with this id in the policy", not_found=True)
        checked = self.check_facts(facts)
        moment = (
            datetime.combine(on, _NOON, tzinfo=zone(benefit.time_zone)).astimezone(UTC)
            if on is not None
            else (now or datetime.now(UTC))
        )
        try:
            return decide(benefit, checked, policy_version=self.catalog.version, locale=locale, now=moment)
        except NotInForce:
            day = self.catalog.day_of(moment)
            raise SimulationError("on", f"the benefit is not in force on {day}", not_found=True) from None

    def check_facts(self, facts: object) -> dict[str, Any]:
        if not isinstance(facts, dict) or len(facts) > MAX_FACTS:
            raise SimulationError("facts", f"must be an object of at most {MAX_FACTS} facts")
        for name, value in facts.items():
            spec = self.facts.get(name) if isinstance(name, str) else None
            if spec is None:
                shown = name if isinstance(name, str) and name.isidentifier() and len(name) <= 64 else "?"
                raise SimulationError(f"facts.{shown}", "is not a fact FACTS.md declares")
            problem = spec.problem_with(value)
            if problem is not None:
                raise SimulationError(f"facts.{name}", problem)
        return dict(facts)


def parse_on(value: object) -> date | None:
    if value is None:
        return None
    try:
        return parse_day(value)
    except DateFieldError as error:
        raise SimulationError("on", str(error)) from None


def parse_simulation_body(document: object) -> tuple[str, object, date | None, Locale]:
    """The POST /v1/simulate body: benefit, facts, locale, optional on. SimulationError else."""
    if not isinstance(document, dict):
        raise SimulationError("(body)", "must be a JSON object")
    subject = sorted(k for k in document if k in SUBJECT_FIELDS)
    if subject:
        raise SimulationError(subject[0], "a simulation takes made-up facts only, never a subject reference")
    extra = [k for k in document if k not in SIMULATION_FIELDS]
    if extra:
        shown = extra[0] if isinstance(extra[0], str) and extra[0].isidentifier() and len(extra[0]) < 32 else "(body)"
        raise SimulationError(shown, f"unknown field refused; allowed: {', '.join(SIMULATION_FIELDS)}")
    for key in REQUIRED_FIELDS:
        if key not in document:
            raise SimulationError(key, "is required")
    benefit = document["benefit"]
    if not isinstance(benefit, str) or not 1 <= len(benefit) <= 64:
        raise SimulationError("benefit", "must be a benefit id")
    locale = document["locale"]
    if locale not in ("zh-CN", "en"):
        raise SimulationError("locale", "must be one of zh-CN, en")
    return benefit, document["facts"], parse_on(document.get("on")), locale


def encode(decision: Decision) -> bytes:
    return json.dumps(decision.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
