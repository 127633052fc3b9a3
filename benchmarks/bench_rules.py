"""CertLogic evaluation speed: a realistic 5-criterion benefit, compiled once, evaluated many times.

Run: .venv/bin/python benchmarks/bench_rules.py [--number N] [--repeat R]

Prints min and median µs per whole-benefit evaluation (all five criteria) for
  * the compiled CertLogic rules (kiosk.core.rules.compile_expression),
  * the same rules as plain Python lambdas (a floor: what hand-written code costs),
  * the same rules through rules.evaluate (compiling each time: what not to do per check),
all in one run, since this machine's timings drift. No assertions: figures only.
Target (DESIGN.md §6): <= 3 µs per benefit for the compiled rules.
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kiosk.core.rules import CompiledExpression, compile_expression, evaluate, is_truthy

# An expedited-permit benefit for a business, as the policy authority would write it.
CRITERIA: dict[str, Any] = {
    "registered": {"var": "facts.registered"},
    "no-serious-violation": {"!": [{"var": "facts.serious_violation"}]},
    "operating-3-years": {
        "not-after": [
            {"plusTime": [{"var": "facts.established_on"}, 3, "year"]},
            {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
        ]
    },
    "tax-grade": {">=": [{"var": "facts.tax_credit_score"}, 80]},
    "industry": {"in": [{"var": "facts.industry"}, ["C13", "C14", "C17", "I65", "M73"]]},
}

DATA: dict[str, Any] = {
    "facts": {
        "registered": True,
        "serious_violation": False,
        "established_on": "2016-05-20",
        "tax_credit_score": 91,
        "industry": "I65",
    },
    "external": {"validationClock": "2024-11-25T09:30:00Z"},
}

INDUSTRIES = frozenset(CRITERIA["industry"]["in"][1])


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plus_years(day: date, years: int) -> datetime:
    # Same JS roll-over CertLogic uses (29 Feb + 1 year = 1 Mar), the cheap way.
    try:
        moved = day.replace(year=day.year + years)
    except ValueError:
        moved = day.replace(year=day.year + years, month=3, day=1)
    return datetime(moved.year, moved.month, moved.day, tzinfo=UTC)


PLAIN: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "registered": lambda d: d["facts"]["registered"],
    "no-serious-violation": lambda d: not d["facts"]["serious_violation"],
    "operating-3-years": lambda d: _plus_years(date.fromisoformat(d["facts"]["established_on"]), 3)
    <= _parse(d["external"]["validationClock"]).replace(hour=0, minute=0, second=0)
    + timedelta(0),
    "tax-grade": lambda d: d["facts"]["tax_credit_score"] >= 80,
    "industry": lambda d: d["facts"]["industry"] in INDUSTRIES,
}


def _compiled_benefit(compiled: list[CompiledExpression]) -> Callable[[], bool]:
    def run() -> bool:
        passed = True
        for criterion in compiled:
            passed = is_truthy(criterion.evaluate(DATA)) and passed
        return passed

    return run


def _plain_benefit() -> Callable[[], bool]:
    rules = list(PLAIN.values())

    def run() -> bool:
        passed = True
        for rule in rules:
            passed = bool(rule(DATA)) and passed
        return passed

    return run


def _interpreted_benefit() -> Callable[[], bool]:
    rules = list(CRITERIA.values())

    def run() -> bool:
        passed = True
        for rule in rules:
            passed = is_truthy(evaluate(rule, DATA)) and passed
        return passed

    return run


def _measure(run: Callable[[], bool], number: int, repeat: int) -> tuple[float, float]:
    times = timeit.repeat(run, number=number, repeat=repeat)
    per_call = [t / number * 1e6 for t in times]
    return min(per_call), statistics.median(per_call)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20_000, help="evaluations per timing")
    parser.add_argument("--repeat", type=int, default=15, help="timings")
    args = parser.parse_args()

    compiled = [compile_expression(rule, criterion=cid) for cid, rule in CRITERIA.items()]
    for cid, criterion in zip(CRITERIA, compiled, strict=True):  # both ways agree first
        assert is_truthy(criterion.evaluate(DATA)) == bool(PLAIN[cid](DATA)), cid

    rows = [
        ("CertLogic, compiled once", _compiled_benefit(compiled), args.number),
        ("plain Python lambdas", _plain_benefit(), args.number),
        ("CertLogic, evaluate() (compiles per call)", _interpreted_benefit(), args.number // 10),
    ]
    per_criterion = []
    for cid, criterion in zip(CRITERIA, compiled, strict=True):
        run = (lambda c: lambda: c.evaluate(DATA))(criterion)
        per_criterion.append((cid, *_measure(run, args.number, args.repeat)))

    print(f"5-criterion benefit, {args.repeat} x timings; µs per benefit evaluation")
    print(f"{'variant':<44}{'min µs':>10}{'median µs':>12}")
    for name, run, number in rows:
        low, mid = _measure(run, number, args.repeat)
        print(f"{name:<44}{low:>10.2f}{mid:>12.2f}")
    print()
    print("compiled, per criterion (µs per evaluate call)")
    for cid, low, mid in per_criterion:
        print(f"  {cid:<42}{low:>10.2f}{mid:>12.2f}")


if __name__ == "__main__":
    main()
