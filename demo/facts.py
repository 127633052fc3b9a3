"""Fact values for demo subjects, found from the catalog's own rules.

Nothing here knows a benefit by name: for each fact a rule reads, candidate values are drawn
from what the rule compares it with (its literals, dates around today, numbers around its
thresholds), and a small search picks values that make every criterion of a subject kind pass.
From that all-passing set, `failing_change` finds the change that makes one criterion fail.
So the demo stays right when the policy authority edits or adds benefits; when it cannot,
`DemoSeedError` says which criterion defeated it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from kiosk.core.benefits import Criterion
from kiosk.core.decision_records import Status
from kiosk.core.rules import RuleError

DATE_OPERATIONS = frozenset({"plusTime", "before", "after", "not-before", "not-after"})
COMPARISONS = frozenset({"===", "!==", "<", ">", "<=", ">=", "in"})
# Days from today: the first that passes becomes the all-passing value, so the list opens with
# a date weeks away from any 1-, 2-, 3- or 4-year boundary and keeps recent ones for failing
# values; birth dates (adults, elders) need the long ones.
DATE_OFFSETS = (-1500, -60, -400, -800, -20, -3650, -12000, -25000, 400, 30, -1)
GENERIC_NUMBERS = (0, 1, 3, 10, 100, 1000, 100000)
GENERIC_STRINGS = ("A", "B", "C", "D", "M")
MAX_COMBINATIONS = 50_000


class DemoSeedError(Exception):
    """The catalog defeats the demo seed: a criterion cannot be made to pass or to fail."""


def criterion_status(criterion: Criterion, facts: Mapping[str, Any], today: date) -> Status | None:
    """Status as decide() would give it; None when the values are of a type the rule refuses."""
    if any(facts.get(name) is None for name in criterion.facts):
        return Status.UNKNOWN
    data = {"facts": dict(facts), "external": {"today": today.isoformat()}}
    try:
        return Status.PASSED if criterion.passes(data) else Status.FAILED
    except RuleError:
        return None


def candidate_values(criteria: Sequence[Criterion], today: date) -> dict[str, list[Any]]:
    """For each fact the criteria read: values worth trying, most plausible first."""
    hints: dict[str, _Hints] = {}
    for criterion in criteria:
        for name in criterion.facts:
            hints.setdefault(name, _Hints())
        _walk(criterion.rule, None, (), hints)
    return {name: hint.values(today) for name, hint in hints.items()}


class _Hints:
    def __init__(self) -> None:
        self.is_date = False
        self.is_list = False
        self.truthiness = False
        self.literals: list[Any] = []

    def values(self, today: date) -> list[Any]:
        found: list[Any] = []
        dates = [(today + timedelta(days=d)).isoformat() for d in DATE_OFFSETS]
        if self.is_list:
            found += [[v] for v in self.literals if not isinstance(v, list)] + [[]]
        if self.is_date:
            found += dates
        numbers = [v for v in self.literals if _is_number(v)]
        for n in numbers:
            found += [n * 2 if n else 5, n + 1, n, n - 1, n // 2 if isinstance(n, int) else n / 2]
        if numbers:
            found += list(GENERIC_NUMBERS)
        strings = [v for v in self.literals if isinstance(v, str)]
        if strings:
            found += strings + list(GENERIC_STRINGS)
        bools = [v for v in self.literals if isinstance(v, bool)]
        if bools or self.truthiness:
            found += [*bools, True, False]
        if not found:
            found = [True, False, *dates[:2], *GENERIC_NUMBERS[:3], *GENERIC_STRINGS[:3]]
        unique: list[Any] = []
        for value in found:
            if not any(type(value) is type(seen) and value == seen for seen in unique):
                unique.append(value)
        return unique


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fact_of(node: Any) -> str | None:
    if isinstance(node, dict) and len(node) == 1 and "var" in node:
        path = node["var"]
        if isinstance(path, str) and path.startswith("facts.") and path.count(".") == 1:
            return path[len("facts.") :]
    return None


def _walk(node: Any, operation: str | None, siblings: tuple[Any, ...], hints: dict[str, _Hints]) -> None:
    name = _fact_of(node)
    if name is not None:
        hint = hints.setdefault(name, _Hints())
        if operation in DATE_OPERATIONS:
            hint.is_date = True
        elif operation in COMPARISONS:
            for other in siblings:
                if isinstance(other, list):
                    hint.literals.extend(v for v in other if not isinstance(v, dict | list))
                elif not isinstance(other, dict):
                    hint.literals.append(other)
            if operation == "in" and siblings and siblings[0] is not node and not isinstance(
                siblings[-1], list
            ):
                hint.is_list = True
        else:
            hint.truthiness = True
        return
    if isinstance(node, dict) and len(node) == 1:
        (op, args), = node.items()
        if op == "var":
            return
        operands = tuple(args) if isinstance(args, list) else (args,)
        for operand in operands:
            _walk(operand, op, operands, hints)
    elif isinstance(node, list):
        for item in node:
            _walk(item, operation, siblings, hints)


def passing_facts(
    criteria: Sequence[Criterion], candidates: Mapping[str, Sequence[Any]], today: date
) -> dict[str, Any]:
    """One set of facts under which every criterion passes, or DemoSeedError."""
    chosen: dict[str, Any] = {}
    for index, criterion in enumerate(criteria):
        if criterion_status(criterion, chosen, today) is Status.PASSED:
            continue
        free = [name for name in criterion.facts if name not in chosen]
        change = None
        if free:
            change = _search(criterion, chosen, free, candidates, today, Status.PASSED, ())
        if change is None:
            change = _search(
                criterion, chosen, list(criterion.facts), candidates, today, Status.PASSED,
                criteria[:index],
            )
        if change is None:
            raise DemoSeedError(f"no candidate facts make criterion {criterion.id!r} pass")
        chosen.update(change)
    return chosen


def failing_change(
    criterion: Criterion,
    passing: Mapping[str, Any],
    candidates: Mapping[str, Sequence[Any]],
    today: date,
) -> dict[str, Any]:
    """The smallest change to `passing` that makes `criterion` fail, or DemoSeedError."""
    for name in criterion.facts:
        change = _search(criterion, passing, [name], candidates, today, Status.FAILED, ())
        if change is not None:
            return change
    change = _search(criterion, passing, list(criterion.facts), candidates, today, Status.FAILED, ())
    if change is None:
        raise DemoSeedError(f"no candidate facts make criterion {criterion.id!r} fail")
    return change


def _search(
    criterion: Criterion,
    base: Mapping[str, Any],
    names: Sequence[str],
    candidates: Mapping[str, Sequence[Any]],
    today: date,
    wanted: Status,
    keep_passing: Sequence[Criterion],
) -> dict[str, Any] | None:
    for values in _bounded(itertools.product(*(candidates[n] for n in names))):
        change = dict(zip(names, values, strict=True))
        trial = {**base, **change}
        if criterion_status(criterion, trial, today) is not wanted:
            continue
        if all(criterion_status(c, trial, today) is Status.PASSED for c in keep_passing):
            return change
    return None


def _bounded(combinations: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    return itertools.islice(combinations, MAX_COMBINATIONS)
