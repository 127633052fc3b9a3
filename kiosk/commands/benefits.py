"""`kiosk benefits`: every benefit, its criteria, legal basis and sources, before anything is scanned.

This is the transparency screen in text form (DESIGN §2.6): what is checked, who holds the
data, and what a person can do when a criterion is not met; since when each rule is in force
and what change is announced ("From 2027-01-01: ..."). `--on` shows another day's policy.
`--json` prints the catalog document itself, the same data the signed bundle carries.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog
from kiosk.core.announcements import announcements
from kiosk.core.benefits import Benefit, Catalog, CatalogError, Criterion
from kiosk.core.catalog import message, translate
from kiosk.core.credentials.schemes import SCHEME_NAMES
from kiosk.core.policy_dates import DateFieldError, parse_day
from kiosk.core.text import DEFAULT_LOCALE, Locale, parse_locale

_KIND = {
    "business": message("commands.benefits.business"),
    "person": message("commands.benefits.person"),
}
_SCHEME = {
    "uscc": message("commands.benefits.uscc"),
    "ric": message("commands.benefits.ric"),
    "token": message("commands.benefits.token"),
    "credential": message("commands.benefits.credential"),
}
_ROUTE = {
    "correct_record": message("commands.benefits.correct_record"),
    "objection": message("commands.benefits.objection"),
    "credit_repair": message("commands.benefits.credit_repair"),
    "retry_after": message("commands.benefits.retry_after"),
    "register": message("commands.benefits.register"),
}
_LABELS = {
    "heading": message("commands.benefits.heading"),
    "for": message("commands.benefits.for"),
    "present": message("commands.benefits.present"),
    "summary": message("commands.benefits.summary"),
    "basis": message("commands.benefits.basis"),
    "authority": message("commands.benefits.authority"),
    "valid": message("commands.benefits.valid"),
    "hours": message("commands.benefits.hours"),
    "criteria": message("commands.benefits.criteria"),
    "source": message("commands.benefits.source"),
    "shown": message("commands.benefits.shown"),
    "hidden": message("commands.benefits.hidden"),
    "route": message("commands.benefits.route"),
    "review": message("result.review"),
}
# In remedy texts a {fact} stands for the applicant's own value; here there is no applicant.
_PLACEHOLDER = re.compile(r"\{[a-z0-9_]+\}")
# Identifier schemes in the order a person would reach for them.


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "benefits",
        help="list every benefit with its criteria, legal basis and sources",
        description="Show what this kiosk checks for each benefit, where the data comes from, "
        "and what to do when a criterion is not met.",
    )
    parser.add_argument("--json", action="store_true", help="print the catalog document as JSON")
    parser.add_argument("--locale", default=None, help="zh-CN (default) or en")
    parser.add_argument(
        "--policy", type=Path, default=None, metavar="DIR",
        help="policy folder holding policy.json and benefits/*.json (default: the shipped one)",
    )
    parser.add_argument("--on", default=None, metavar="YYYY-MM-DD",
                        help="show the policy in force on this day (default: today)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        locale: Locale = parse_locale(args.locale) if args.locale else DEFAULT_LOCALE
    except ValueError as error:
        print(f"kiosk benefits: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        day = parse_day(args.on) if args.on else None
    except DateFieldError as error:
        print(f"kiosk benefits: --on {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        catalog = load_catalog(args.policy if args.policy is not None else DEFAULT_POLICY_DIR)
    except CatalogError as error:
        print(f"kiosk benefits: {error.detail}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    if args.json:
        output = json.dumps(catalog.to_json(), ensure_ascii=False, indent=2)
    else:
        output = render_catalog(catalog, locale, day or catalog.day_of(datetime.now(UTC)))
    try:
        print(output)
        sys.stdout.flush()
    except BrokenPipeError:
        # `kiosk benefits | head` closed the pipe: nothing left to say, and no traceback at
        # exit when Python flushes stdout again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def render_catalog(catalog: Catalog, locale: Locale, day: date) -> str:
    label = {key: text.get(locale) for key, text in _LABELS.items()}
    offered = catalog.offered(day)
    lines = [label["heading"].format(count=len(offered), version=catalog.version), ""]
    for benefit in offered:
        lines.extend(_benefit_lines(benefit, locale, label, day))
        lines.append("")
    lines.append(label["review"])
    return "\n".join(lines)


def _benefit_lines(benefit: Benefit, locale: Locale, label: dict[str, str], day: date) -> list[str]:
    colon, _, _ = _punctuation(locale)
    separator = "、" if locale == "zh-CN" else ", "
    schemes = separator.join(_SCHEME[s].get(locale) for s in SCHEME_NAMES if s in benefit.schemes)
    lines = [
        f"== {benefit.title.get(locale)}  [{benefit.id}]" + _since(benefit, locale),
        f"{label['for']}{colon}{_KIND[benefit.kind].get(locale)}",
        f"{label['present']}{colon}{schemes}",
        f"{label['summary']}{colon}{benefit.summary.get(locale)}",
        f"{label['basis']}{colon}{benefit.legal_basis.get(locale)}",
        f"{label['authority']}{colon}{benefit.authority.get(locale)}",
        f"{label['valid']}{colon}{label['hours'].format(hours=benefit.valid_hours)}",
        f"{label['criteria']}{colon.rstrip()}",
    ]
    for number, criterion in enumerate(benefit.criteria_on(day), start=1):
        lines.extend(_criterion_lines(number, criterion, locale, label))
    lines.extend(f"  * {announcement.text(locale)}" for announcement in announcements(benefit, day))
    return lines


def _since(item: Benefit | Criterion, locale: Locale) -> str:
    _, opening, closing = _punctuation(locale)
    parts = []
    if item.validity.valid_from is not None:
        parts.append(translate("policy.in_force_since", locale, date=item.validity.valid_from.isoformat()))
    if item.validity.valid_to is not None:
        parts.append(translate("policy.ends_after", locale, date=item.validity.valid_to.isoformat()))
    separator = "，" if locale == "zh-CN" else ", "
    return f"{opening}{separator.join(parts)}{closing}" if parts else ""


def _criterion_lines(number: int, criterion: Criterion, locale: Locale, label: dict[str, str]) -> list[str]:
    colon, opening, closing = _punctuation(locale)
    shown = label["shown"] if criterion.show_value else label["hidden"]
    route = _ROUTE[criterion.remedy_route].get(locale)
    remedy = _PLACEHOLDER.sub("…", criterion.remedy.get(locale))
    return [
        f"  {number}. {criterion.title.get(locale)}{_since(criterion, locale)}",
        f"     {label['source']}{colon}{criterion.source.get(locale)}{opening}{shown}{closing}",
        f"     {label['route']}{opening}{route}{closing}{colon}{remedy}",
    ]


def _punctuation(locale: Locale) -> tuple[str, str, str]:
    """Colon and brackets: full-width in Chinese text, as a Chinese reader expects."""
    return ("：", "（", "）") if locale == "zh-CN" else (": ", " (", ")")
