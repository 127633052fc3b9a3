"""`kiosk-backend policy test | simulate | diff`: author a policy before it is signed.

    kiosk-backend policy test [--policy DIR] [--json]
    kiosk-backend policy simulate --benefit ID --facts FILE.json [--on YYYY-MM-DD]
        [--policy DIR] [--locale zh-CN|en] [--json]
    kiosk-backend policy diff OLD NEW [--json]        (policy folders or signed bundles)

Exit codes: 0 all examples and checks hold / simulated / compared (differences or not), 1 a check or example
fails (one line each), 2 usage, 3 the policy (or the facts file) does not parse.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from backend.simulation import SimulationError, Simulator, parse_on
from kiosk.common.cli import usage
from kiosk.common.facts_table import read_facts_table
from kiosk.common.policy_checks import CheckReport, check_policy
from kiosk.common.policy_diff import Change, SiteChange, diff_catalogs, diff_sites, load_side
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog
from kiosk.core.benefits import CatalogError
from kiosk.core.catalog import message
from kiosk.core.decision_records import Decision
from kiosk.core.text import parse_locale

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INVALID = 0, 1, 2, 3
MAX_FACTS_FILE_BYTES = 64 * 1024


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "policy", help="test, simulate or compare policy folders before signing",
        description="Run a policy's worked examples and checks, simulate a decision from "
        "made-up facts, or list what changed between two policies.",
    )
    actions = parser.add_subparsers(dest="policy_action", metavar="ACTION")
    test = actions.add_parser("test", help="run every worked example and policy check")
    test.add_argument("--policy", type=Path, default=DEFAULT_POLICY_DIR, metavar="DIR")
    test.add_argument("--json", action="store_true", help="print one JSON report")
    test.set_defaults(run=run_test)
    simulate = actions.add_parser("simulate", help="decide made-up facts on a date")
    simulate.add_argument("--benefit", required=True, metavar="ID")
    simulate.add_argument("--facts", required=True, type=Path, metavar="FILE.json")
    simulate.add_argument("--on", metavar="YYYY-MM-DD", help="decision day (default: today)")
    simulate.add_argument("--policy", type=Path, default=DEFAULT_POLICY_DIR, metavar="DIR")
    simulate.add_argument("--locale", default="zh-CN", metavar="zh-CN|en")
    simulate.add_argument("--json", action="store_true", help="print the decision as the API does")
    simulate.set_defaults(run=run_simulate)
    diff = actions.add_parser("diff", help="list what changed between two policies")
    diff.add_argument("old", type=Path, metavar="OLD", help="policy folder or bundle file")
    diff.add_argument("new", type=Path, metavar="NEW", help="policy folder or bundle file")
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")
    diff.set_defaults(run=run_diff)
    parser.set_defaults(run=lambda _args: usage(parser))


def report_lines(report: CheckReport) -> list[str]:
    return [problem.line() for problem in report.problems]


def run_test(args: argparse.Namespace) -> int:
    try:
        report = check_policy(args.policy)
    except CatalogError as error:
        print(f"kiosk-backend policy test: {error.detail}", file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps({
            "ok": report.ok,
            "examples": report.examples_run,
            "problems": [p.to_json() for p in report.problems],
        }, ensure_ascii=False, indent=2))
    else:
        for line in report_lines(report):
            print(line)
        benefits = len(report.catalog.benefits) if report.catalog else 0
        verdict = "all hold" if report.ok else f"{len(report.problems)} problem(s)"
        print(f"{report.examples_run} example(s) over {benefits} benefit(s): {verdict}")
    return EXIT_OK if report.ok else EXIT_FAILED


def run_simulate(args: argparse.Namespace) -> int:
    try:
        locale = parse_locale(args.locale)
    except ValueError as error:
        print(f"kiosk-backend policy simulate: --locale: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        catalog = load_catalog(args.policy)
        table = read_facts_table(args.policy / "FACTS.md")
    except CatalogError as error:
        print(f"kiosk-backend policy simulate: {error.detail}", file=sys.stderr)
        return EXIT_INVALID
    where = f"{args.facts}: benefit {args.benefit}"
    try:
        facts = _read_facts(args.facts)
        decision = Simulator(catalog, table).run(args.benefit, facts, on=parse_on(args.on), locale=locale)
    except SimulationError as error:
        print(f"kiosk-backend policy simulate: {where}, field {error.field}: {error.problem}", file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps(decision.to_json(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(decision_lines(decision)))
    return EXIT_OK


def _read_facts(path: Path) -> Any:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FACTS_FILE_BYTES + 1)
    except OSError as error:
        raise SimulationError("(file)", f"cannot be read: {error.strerror}") from None
    if len(raw) > MAX_FACTS_FILE_BYTES:
        raise SimulationError("(file)", f"is larger than {MAX_FACTS_FILE_BYTES} bytes")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise SimulationError("(file)", "is not UTF-8 JSON") from None


def decision_lines(decision: Decision) -> list[str]:
    lines = [f"{decision.benefit}: {decision.outcome.value} (policy {decision.policy_version}, "
             f"decided {decision.decided_at})"]
    for result in decision.criteria:
        lines.append(f"  [{result.status.value}] {result.id} (rule {result.rule_version}): {result.reason}")
        if result.remedy:
            lines.append(f"      -> {result.remedy}")
    return lines


def run_diff(args: argparse.Namespace) -> int:
    try:
        old, new = load_side(args.old), load_side(args.new)
    except CatalogError as error:
        print(f"kiosk-backend policy diff: {error.detail}", file=sys.stderr)
        return EXIT_INVALID
    changes: list[Change | SiteChange] = [*diff_catalogs(old, new), *diff_sites(old, new)]
    if args.json:
        print(json.dumps({"old": old.version, "new": new.version, "changes": [c.to_json() for c in changes]},
                         ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{old.version} -> {new.version}")
    for change in changes or ():
        text = change.text()
        print(f"{text.en}\n  {text.zh}")
    if not changes:
        none = message("diff.none")
        print(f"{none.en}\n  {none.zh}")
    return EXIT_OK
