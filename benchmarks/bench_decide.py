"""decide() for the shipped 5-criterion benefit beside evaluating its compiled rules (issue #19).

Run: .venv/bin/python benchmarks/bench_decide.py [--rounds R] [--number N] [--json]

The benefit is the shipped catalog's expedited-permit (5 criteria, one a date rule, three that
show their values in the texts). The floor is what no decision can skip: each criterion's
compiled CertLogic rule evaluated over the same data, with its truthiness. The figure is the
whole public ``decide()``: unknown-fact checks, the texts in the person's language, the
decision id and dates, the Decision object. Both are timed in batches taken in turns; the
ratio is per round, and its median is reported. Target: <= 4x.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from figures import from_rounds, report, timed_batches

from kiosk.common.policy_folder import load_catalog
from kiosk.core.decision import decide
from kiosk.core.rules import is_truthy

BENEFIT = "expedited-permit"
FACTS: dict[str, Any] = {
    "serious_dishonesty_listed": False,
    "abnormal_operations_listed": False,
    "last_penalty_date": "2023-05-10",
    "tax_credit_grade": "A",
    "credit_commitment_on_file": True,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)

    catalog = load_catalog()
    benefit = catalog.get(BENEFIT)
    assert benefit is not None and len(benefit.criteria) == 5
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    rules = [c.compiled.evaluate for c in benefit.criteria]

    def floor() -> object:
        data = {"facts": FACTS, "external": {"today": "2026-11-25"}}
        return [is_truthy(rule(data)) for rule in rules]

    def whole() -> object:
        return decide(benefit, FACTS, policy_version=catalog.version, locale="zh-CN", now=now)

    assert decide(benefit, FACTS, policy_version="x", locale="zh-CN", now=now).outcome == "eligible"
    values, floors = timed_batches([whole, floor], rounds=args.rounds, number=args.number)
    figure = from_rounds(f"decide(), {BENEFIT} (5 criteria)", values,
                         "its 5 compiled rules evaluated", floors, "µs", "<= 4")
    report("decide", [figure], as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
