"""`kiosk check`: one eligibility check from the command line, through the session flow."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.commands.decision_text import render_decision
from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from kiosk.core.credentials import CredentialLimits
from kiosk.core.errors import KioskError
from kiosk.core.text import Locale, parse_locale
from kiosk.session.at_once import finish_at_once, start_at_once
from kiosk.session.flow import SessionFlow
from kiosk.session.flow_view import FlowState
from kiosk.station.config import KioskConfig, resolve_config
from kiosk.station.services import build_services

MAX_SCAN_BYTES = CredentialLimits().max_payload_bytes

# Errors about what was presented (exit 3) as opposed to why nothing could be decided (4).
_INPUT_ERRORS = frozenset({"CredentialError", "FlowError"})


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check one benefit for one presented code",
        description="Check whether the presented code qualifies for one benefit, and why.",
    )
    parser.add_argument("--benefit", required=True, help="benefit id (see `kiosk benefits`)")
    parser.add_argument("--scan", required=True, metavar="PAYLOAD", help="what the scanner read; - reads stdin")
    parser.add_argument("--backend", metavar="URL", help="eligibility service (or XINYI_BACKEND_URL)")
    parser.add_argument("--token", help="device token (or XINYI_DEVICE_TOKEN)")
    parser.add_argument("--data-dir", type=Path, help="kiosk data folder (bundle cache)")
    parser.add_argument(
        "--config", type=Path, help="config file (default $XINYI_CONFIG or /etc/xinyi-kiosk/kiosk.toml)"
    )
    parser.add_argument("--locale", default=None, help="zh-CN or en")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")
    parser.add_argument(
        "--offline", action="store_true", help="decide only from the cached signed bundle (see `kiosk sync`)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = resolve_config(args.config, backend_url=args.backend, token=args.token, data_dir=args.data_dir)
        locale: Locale = parse_locale(args.locale) if args.locale else config.locale
    except ValueError as error:
        print(f"kiosk check: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KioskError as error:
        print(f"kiosk check: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    # One byte past the largest payload is enough to refuse it as too large.
    payload: bytes | str = sys.stdin.buffer.read(MAX_SCAN_BYTES + 1) if args.scan == "-" else args.scan
    offline = args.offline or config.offline_only
    check = _check(config, args.benefit, payload, locale, as_json=args.json, offline=offline)
    if offline:
        # Deciding from the cached bundle waits on nothing, so it needs no event loop (at_once.py).
        return finish_at_once(check)
    import asyncio  # here: only a check that asks the backend waits, and an offline one is 20 ms quicker

    return asyncio.run(check)


async def _check(
    config: KioskConfig, benefit_id: str, payload: bytes | str, locale: Locale, *, as_json: bool, offline: bool
) -> int:
    try:
        services = build_services(config, offline_only=offline or None)
    except KioskError as error:
        print(f"kiosk check: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    try:
        flow = services.new_flow(start_check=start_at_once) if offline else services.new_flow()
        if services.catalog.get(benefit_id) is None:
            known = ", ".join(b.id for b in services.catalog.benefits)
            print(f"kiosk check: unknown benefit {benefit_id!r}; known: {known}", file=sys.stderr)
            return EXIT_USAGE
        return await _walk(flow, benefit_id, payload, locale, as_json=as_json)
    finally:
        await services.aclose()


async def _walk(flow: SessionFlow, benefit_id: str, payload: bytes | str, locale: Locale, *, as_json: bool) -> int:
    flow.set_locale(locale)
    flow.start()
    flow.choose_benefit(benefit_id)
    flow.ready_to_present()
    task = flow.present(payload)
    if task is not None:
        await task
    view = flow.view
    if view.state is FlowState.RESULT and view.decision is not None:
        if as_json:
            print(json.dumps(view.decision.to_json(with_mode=True), ensure_ascii=False, indent=2))
        else:
            print(render_decision(view.decision, view.benefit, locale))
        flow.finish()
        return EXIT_OK
    message = view.error.get(locale) if view.error else "no decision"
    kind = view.error_kind or ""
    flow.cancel()
    print(f"kiosk check: {message}", file=sys.stderr)
    return EXIT_INVALID_INPUT if kind in _INPUT_ERRORS else EXIT_UNAVAILABLE
