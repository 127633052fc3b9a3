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

from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog
from kiosk.core.announcements import announcements
from kiosk.core.benefits import Benefit, Catalog, CatalogError, Criterion
from kiosk.core.catalog import translate
from kiosk.core.policy_dates import DateFieldError, parse_day
from kiosk.core.text import DEFAULT_LOCALE, Locale, LocalText, parse_locale

EXIT_OK, EXIT_USAGE, EXIT_INVALID_INPUT = 0, 2, 3

_KIND = {
    "business": LocalText("企业", "Businesses"),
    "person": LocalText("个人", "Individuals"),
}
_SCHEME = {
    "uscc": LocalText("统一社会信用代码（营业执照二维码）", "Unified Social Credit Code (business licence QR)"),
    "ric": LocalText("居民身份证", "resident ID card"),
    "token": LocalText("政务App出示的核验码", "check code from the government service app"),
    "credential": LocalText("签名信用凭证二维码", "signed credit credential QR code"),
}
_ROUTE = {
    "correct_record": LocalText("请数据来源单位更正记录", "ask the source authority to correct the record"),
    "objection": LocalText("提出异议", "file an objection"),
    "credit_repair": LocalText("通过“信用中国”申请信用修复", "apply for credit repair via Credit China"),
    "retry_after": LocalText("到期后再次申请", "apply again after the date given"),
    "register": LocalText("办理登记或注册", "register"),
}
_LABELS = {
    "heading": LocalText(
        "可核验的信易+事项（共{count}项，政策版本 {version}）",
        "Benefits this kiosk can check ({count}, policy version {version})",
    ),
    "for": LocalText("适用对象", "For"),
    "present": LocalText("可出示", "Present"),
    "summary": LocalText("内容", "What it is"),
    "basis": LocalText("政策依据", "Legal basis"),
    "authority": LocalText("主管单位", "Authority"),
    "valid": LocalText("核验结果有效期", "A result is valid for"),
    "hours": LocalText("{hours}小时", "{hours} hours"),
    "criteria": LocalText("核验条件（全部符合才可享受）", "Criteria (all must be met)"),
    "source": LocalText("数据来源", "Data from"),
    "shown": LocalText(
        "结果中会显示本人的相关日期、等级或数量", "the result shows the applicant's own date, grade or number"
    ),
    "hidden": LocalText("只显示是否符合，不显示具体数据", "the result says only whether it is met, never the data"),
    "route": LocalText("不符合时的办法", "If not met"),
    "review": LocalText(
        "对核验结果有疑问，可到人工窗口申请人工复核。",
        "If you disagree with a result, ask at the staffed counter for a review by a person.",
    ),
}
# In remedy texts a {fact} stands for the applicant's own value; here there is no applicant.
_PLACEHOLDER = re.compile(r"\{[a-z0-9_]+\}")
# Identifier schemes in the order a person would reach for them.
_SCHEME_ORDER = ("uscc", "ric", "token", "credential")


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
    schemes = separator.join(_SCHEME[s].get(locale) for s in _SCHEME_ORDER if s in benefit.schemes)
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
