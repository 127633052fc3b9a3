"""`kiosk receipt verify`: check a decision receipt offline, and optionally whose it is.

    kiosk receipt verify PAYLOAD [--trust PEM ...] [--config FILE] [--subject SCHEME:VALUE]
                         [--at ISO-8601] [--json] [--locale zh-CN|en]

Trust: the receipt signers in the kiosk's cached, verified bundle (the config's data folder
and authority keys; ``--config`` or the usual config lookup), plus any ``--trust`` key files
(a service receipt key, or a device key naming its device; see kiosk/core/receipts/trust.py).
Exit codes: 0 a genuine receipt (and, with --subject, issued for that subject); 3 invalid,
tampered, expired, unknown signer, or a binding that does not match; 2 usage (no trust at
all, a bad --at). Nothing is logged or kept: the receipt and the subject go to stdout only.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, usage
from kiosk.core.benefits import Catalog
from kiosk.core.catalog import message
from kiosk.core.credentials.trust import TrustKeyError
from kiosk.core.errors import KioskError
from kiosk.core.receipts import RECEIPT_LIMITS, ReceiptCheck, ReceiptTrust, verify_receipt
from kiosk.core.text import Locale, parse_locale

MAX_TRUST_FILE_BYTES = 64 * 1024


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "receipt",
        help="verify a decision receipt (offline)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="receipt_action", metavar="ACTION")
    verify = actions.add_parser("verify", help="check a receipt's signature, validity and binding")
    verify.add_argument("payload", metavar="PAYLOAD", help="the receipt text (XKR:...); - reads stdin")
    verify.add_argument(
        "--trust",
        action="append",
        default=[],
        type=Path,
        metavar="PEM",
        help="a receipt or device public key file to trust (repeatable)",
    )
    verify.add_argument("--config", type=Path, help="kiosk config whose cached bundle to trust")
    verify.add_argument(
        "--subject", metavar="SCHEME:VALUE", help="check the receipt was issued for this code (uscc:, ric: or token:)"
    )
    verify.add_argument("--at", metavar="ISO-8601", help="check validity at this moment (default now)")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.add_argument("--locale", default=None, help="zh-CN or en")
    verify.set_defaults(run=run_verify)
    parser.set_defaults(run=lambda _args: usage(parser))


def _fail(text: str) -> int:
    print(f"kiosk receipt verify: {text}", file=sys.stderr)
    return EXIT_USAGE


def _trust(args: argparse.Namespace) -> tuple[ReceiptTrust, Catalog | None, str | None]:
    """The signers to trust, the bundle's catalog (for titles), and why the bundle could not
    be used (None when it was)."""
    trust = ReceiptTrust()
    for path in args.trust:
        try:
            data = read_bounded(path, MAX_TRUST_FILE_BYTES)
        except FileReadError as error:
            raise TrustKeyError(f"{path}: {error}") from None
        trust = trust.merged(ReceiptTrust.from_pem(data, str(path)).values())
    from kiosk.adapters.store import Store
    from kiosk.station.config import resolve_config
    from kiosk.station.offline import authority_keys, cached_bundle

    try:
        config = resolve_config(args.config)
        bundle = cached_bundle(Store(config.data_dir), authority_keys(config.authority_keys))
    except KioskError as error:
        if args.config is not None and not args.trust:
            raise
        return trust, None, error.detail
    return trust.merged(bundle.receipt_trust.values()), bundle.catalog, None


def run_verify(args: argparse.Namespace) -> int:
    try:
        locale: Locale = parse_locale(args.locale) if args.locale else "zh-CN"
    except ValueError as error:
        return _fail(str(error))
    at = None
    if args.at is not None:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            return _fail("--at must be an ISO 8601 moment with a zone, e.g. 2026-12-01T10:00:00+08:00")
        if at.tzinfo is None:
            return _fail("--at needs a zone (Z or +08:00): a receipt's times are absolute")
    try:
        trust, catalog, bundle_problem = _trust(args)
    except KioskError as error:
        return _fail(error.detail)
    if not trust:
        return _fail(
            f"no receipt signers to trust: name --trust files, or a --config whose kiosk holds "
            f"a bundle ({bundle_problem})"
        )
    payload: str | bytes = (
        sys.stdin.buffer.read(RECEIPT_LIMITS.max_payload_bytes + 1) if args.payload == "-" else args.payload
    )
    check = verify_receipt(payload, trust, subject=args.subject, at=at)
    if args.json:
        print(json.dumps(check.to_json(), ensure_ascii=False, indent=2))
    else:
        print(describe(check, locale, catalog))
    return EXIT_OK if check.ok else EXIT_INVALID_INPUT


def describe(check: ReceiptCheck, locale: Locale, catalog: Catalog | None = None) -> str:
    """What a person at the counter reads: the verdict, and what the receipt says, with the
    benefit's and criteria's titles from the bundle's catalog when it has them (a receipt
    carries ids only)."""
    lines = []
    benefit = catalog.get(check.benefit) if catalog is not None and check.benefit is not None else None
    titles = {c.id: c.title.get(locale) for c in benefit.criteria} if benefit is not None else {}
    if check.valid and check.outcome is not None and check.mode is not None:
        signer = (
            message("commands.receipt.signer_backend")
            if check.signed_by == "backend"
            else message("commands.receipt.signer_device", device=check.device)
        )
        mode = message(f"commands.receipt.mode_{check.mode.value}")
        lines.append(
            message(
                "commands.receipt.valid",
                outcome=message(f"outcome.{check.outcome.value}").get(locale),
                benefit=benefit.title.get(locale) if benefit is not None else check.benefit,
                decided_at=check.decided_at,
                mode=mode.get(locale),
                valid_until=check.valid_until,
                signer=signer.get(locale),
            ).get(locale)
        )
        colon = "：" if locale == "zh-CN" else ": "  # a Chinese line takes the full-width colon
        lines.extend(
            f"  {titles.get(criterion, criterion)}{colon}{message(f'status.{status.value}').get(locale)}"
            for criterion, status in check.criteria
        )
        lines.append(f"  {check.receipt_id} · {check.policy_version} · {check.key_id}")
        if check.subject_matches:
            lines.append(message("commands.receipt.subject_matches").get(locale))
    else:
        lines.append(message("commands.receipt.invalid").get(locale))
    if check.message is not None:
        lines.append(check.message.get(locale))
    if check.failed_step is not None:
        lines.append(f"  ({check.failed_step}: {check.detail})")
    return "\n".join(lines)
