"""Run a benefit's worked examples through the same decide() the backend and kiosk use.

Each example is decided at noon, policy time, on its ``on`` day (so the day, and the versions
in force, are the ones the author wrote), in both languages; a mismatch is one Failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from kiosk.core.benefits import Benefit, Catalog
from kiosk.core.decision import NotInForce, decide
from kiosk.core.decision_records import Decision
from kiosk.core.examples import Example
from kiosk.core.policy_dates import zone
from kiosk.core.text import LOCALES

_NOON = time(12, 0)


@dataclass(frozen=True, slots=True)
class Failure:
    benefit: str
    example: str
    criterion: str | None  # None: the outcome
    expected: str
    got: str

    def to_json(self) -> dict[str, str | None]:
        return {
            "benefit": self.benefit, "example": self.example, "criterion": self.criterion,
            "expected": self.expected, "got": self.got,
        }


def decide_example(benefit: Benefit, example: Example, policy_version: str, locale: str) -> Decision:
    moment = datetime.combine(example.on, _NOON, tzinfo=zone(benefit.time_zone))
    return decide(
        benefit, example.facts, policy_version=policy_version,
        locale="en" if locale == "en" else "zh-CN", as_of=example.as_of, now=moment,
    )


def run_example(benefit: Benefit, example: Example, policy_version: str) -> list[Failure]:
    failures: list[Failure] = []

    def fail(criterion: str | None, expected: str, got: str) -> None:
        failures.append(Failure(benefit.id, example.name, criterion, expected, got))

    decisions = []
    for locale in LOCALES:
        try:
            decisions.append(decide_example(benefit, example, policy_version, locale))
        except NotInForce:
            fail(None, example.outcome, f"benefit not in force on {example.on}")
            return failures
    decision = decisions[0]
    if decision.outcome.value != example.outcome:
        fail(None, example.outcome, decision.outcome.value)
    statuses = {c.id: c.status.value for c in decision.criteria}
    for criterion_id, expected in example.criteria.items():
        got = statuses.get(criterion_id, f"not in force on {example.on}")
        if got != expected:
            fail(criterion_id, expected, got)
    for criterion_id, needle in example.remedy_mentions.items():
        for each in decisions:
            remedy = next((c.remedy for c in each.criteria if c.id == criterion_id), None) or ""
            if needle not in remedy:
                fail(criterion_id, f"remedy mentioning {needle!r}", f"remedy {remedy[:80]!r}")
                break
    return failures


def run_examples(catalog: Catalog) -> tuple[int, list[Failure]]:
    """(number of examples run, failures) over every benefit of the catalog."""
    count, failures = 0, []
    for benefit in catalog.benefits:
        for example in benefit.examples:
            count += 1
            failures.extend(run_example(benefit, example, catalog.version))
    return count, failures
