"""CertLogic evaluation speed: a realistic 5-criterion benefit, compiled once, evaluated many times.

Run: .venv/bin/python benchmarks/bench_rules.py [--number N] [--repeat R]

Prints min and median µs per whole-benefit evaluation (all five criteria) for
  * the compiled CertLogic rules (kiosk.core.rules.compile_expression),
  * the same rules as plain Python lambdas (a floor: what hand-written code costs),
  * the same rules through rules.evaluate (compiling each time: what not to do per check),
  * the shipped catalog's expedited-permit benefit (kiosk/common/policy), when present,
all in one run, since this machine's timings drift. No assertions: figures only.
Target (DESIGN.md §6): <= 3 µs per benefit for the compiled rules. With --json, the compiled
rules beside the plain lambdas (issue #19: already good, to keep), median of per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import timeit
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from figures import from_rounds, report

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

# The shipped catalog's expedited-permit benefit, when the repository has it, with facts that
# take its date branch (a penalty on record, 12 months checked against today).
CATALOG_BENEFIT = (
    Path(__file__).resolve().parents[1] / "kiosk" / "common" / "policy" / "benefits" / "expedited-permit.json"
)
CATALOG_DATA: dict[str, Any] = {
    "facts": {
        "serious_dishonesty_listed": False,
        "abnormal_operations_listed": False,
        "last_penalty_date": "2023-05-10",
        "tax_credit_grade": "A",
        "credit_commitment_on_file": True,
    },
    "external": {"today": "2024-11-25"},
}


def _operating_3_years(data: Mapping[str, Any]) -> bool:
    """The date criterion as a careful Python programmer would write it by hand."""
    established = datetime.fromisoformat(data["facts"]["established_on"])
    clock = datetime.fromisoformat(data["external"]["validationClock"])
    clock = clock.astimezone(UTC).replace(tzinfo=None) if clock.tzinfo else clock
    try:
        anniversary = established.replace(year=established.year + 3)
    except ValueError:  # 29 February: roll over as CertLogic (JavaScript) does
        anniversary = established.replace(year=established.year + 3, month=3, day=1)
    return anniversary <= clock


PLAIN: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "registered": lambda d: d["facts"]["registered"],
    "no-serious-violation": lambda d: not d["facts"]["serious_violation"],
    "operating-3-years": _operating_3_years,
    "tax-grade": lambda d: d["facts"]["tax_credit_score"] >= 80,
    "industry": lambda d: d["facts"]["industry"] in INDUSTRIES,
}


def _compiled_benefit(
    compiled: list[CompiledExpression], data: Mapping[str, Any] = DATA
) -> Callable[[], bool]:
    def run() -> bool:
        passed = True
        for criterion in compiled:
            passed = is_truthy(criterion.evaluate(data)) and passed
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


def _measure_round_robin(
    runs: list[tuple[Callable[[], Any], int]], repeat: int
) -> list[list[float]]:
    """µs per call of each run, `repeat` times, timed in turns so all see the same noise."""
    per_call: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat):
        for samples, (run, number) in zip(per_call, runs, strict=True):
            samples.append(timeit.timeit(run, number=number) / number * 1e6)
    return per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2_000, help="evaluations per timing")
    # Many short timings: on a busy machine the minimum finds the moments it was left alone.
    parser.add_argument("--repeat", type=int, default=60, help="timings per variant")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()

    compiled = [compile_expression(rule, criterion=cid) for cid, rule in CRITERIA.items()]
    for cid, criterion in zip(CRITERIA, compiled, strict=True):  # both ways agree first
        assert is_truthy(criterion.evaluate(DATA)) == bool(PLAIN[cid](DATA)), cid

    rows: list[tuple[str, Callable[[], Any], int]] = [
        ("CertLogic, compiled once", _compiled_benefit(compiled), args.number),
        ("plain Python lambdas", _plain_benefit(), args.number),
        ("CertLogic, evaluate() (compiles per call)", _interpreted_benefit(), args.number // 10),
    ]
    if CATALOG_BENEFIT.is_file():
        catalog = json.loads(CATALOG_BENEFIT.read_text(encoding="utf-8"))["criteria"]
        shipped = [compile_expression(c["rule"], criterion=c["id"]) for c in catalog]
        name = f"CertLogic, compiled: catalog {CATALOG_BENEFIT.stem}"
        rows.append((name, _compiled_benefit(shipped, CATALOG_DATA), args.number))
    first_criterion_row = len(rows)
    for cid, criterion in zip(CRITERIA, compiled, strict=True):
        rows.append((f"  {cid}", (lambda c: lambda: c.evaluate(DATA))(criterion), args.number))
    for cid in CRITERIA:
        rows.append((f"  {cid}", (lambda r: lambda: r(DATA))(PLAIN[cid]), args.number))
    samples = _measure_round_robin([(run, number) for _, run, number in rows], args.repeat)
    figures = [(min(s), statistics.median(s)) for s in samples]

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load}")
    print(f"5-criterion benefit, {args.repeat} timings each, taken in turns; µs per evaluation")
    print(f"{'variant':<44}{'min µs':>10}{'median µs':>12}")
    headings = {
        first_criterion_row: "compiled CertLogic, per criterion",
        first_criterion_row + len(CRITERIA): "plain Python, per criterion",
    }
    for index, ((name, _, _), (low, mid)) in enumerate(zip(rows, figures, strict=True)):
        if index in headings:
            print(headings[index])
        print(f"{name:<44}{low:>10.2f}{mid:>12.2f}")
    report("rules", [from_rounds("CertLogic, 5-criterion benefit, compiled once", samples[0],
                                 "the same rules as plain Python lambdas", samples[1], "µs", None,
                                 "DESIGN §6: <= 3 µs per benefit")], as_json=args.json)


if __name__ == "__main__":
    main()
