"""`issue | revoke | list` over a tokens file or table: shared by `device-token` and
`operator-token`.

Both kinds of token are random secrets kept as salted HMACs (backend/auth.py); only the file
or table (backend/token_sources.py), its shape (``devices`` / ``operators``) and the config
setting that names it differ.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.auth import DEVICE_ID_PATTERN, DeviceCredential, DeviceTokensError, TokensFileShape, new_token, now_stamp
from backend.settings import load_settings
from backend.token_sources import TokenFile, TokenSource, token_source
from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, usage
from kiosk.core.errors import KioskError


@dataclass(frozen=True, slots=True)
class TokenCommand:
    command: str  # "device-token"
    shape: TokensFileShape
    setting: str  # the backend config key naming the file: "device_tokens"
    file_flag: str  # "--tokens"
    example: str  # "kiosk-0042"


def register_token_command(subparsers: Any, spec: TokenCommand, description: str | None) -> None:
    holder = spec.shape.name_key
    parser = subparsers.add_parser(
        spec.command,
        help=f"issue, revoke or list {holder} tokens",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="token_action", metavar="ACTION")
    for name, text in (
        ("issue", f"issue (or replace) a {holder}'s token"),
        ("revoke", f"revoke a {holder}'s token"),
        ("list", f"list the {spec.shape.list_key} that hold a token"),
    ):
        action = actions.add_parser(name, help=text)
        source = action.add_mutually_exclusive_group(required=True)
        source.add_argument("--config", type=Path, help=f"backend config naming {spec.setting}")
        source.add_argument(spec.file_flag, dest="tokens", type=Path, help=f"{holder} tokens file (JSON)")
        if name != "list":
            action.add_argument(f"--{holder}", dest="holder", required=True, help=f"{holder} id, e.g. {spec.example}")
        action.set_defaults(run=lambda args, run=_ACTIONS[name]: run(args, spec))
    parser.set_defaults(run=lambda _args: usage(parser))


def _fail(spec: TokenCommand, detail: str, code: int = EXIT_USAGE) -> int:
    print(f"kiosk-backend {spec.command}: {detail}", file=sys.stderr)
    return code


def _source(args: argparse.Namespace, spec: TokenCommand) -> TokenSource:
    """The file given on the command line, else the file or database the config names."""
    if args.tokens is not None:
        return TokenFile(Path(args.tokens), spec.shape, missing_is_empty=True)
    settings = load_settings(args.config, serving=False)
    path, url = getattr(settings, spec.setting), getattr(settings, f"{spec.setting}_url")
    if path is None and url is None:
        settings.required(spec.setting)  # raises, naming the setting
    return token_source(path, url, spec.shape, setting=spec.setting, origin=settings.origin, missing_is_empty=True)


class _NotHeld(Exception):
    pass


def run_issue(args: argparse.Namespace, spec: TokenCommand) -> int:
    if not DEVICE_ID_PATTERN.fullmatch(args.holder):
        return _fail(spec, f"{spec.shape.name_key} id must match {DEVICE_ID_PATTERN.pattern}")
    token = new_token()
    issued = DeviceCredential.from_token(args.holder, token, now_stamp())
    try:
        source = _source(args, spec)
        try:
            source.change(lambda existing: [*(c for c in existing if c.device != args.holder), issued])
        finally:
            source.close()
    except (KioskError, DeviceTokensError) as error:
        return _fail(spec, error.detail)
    print(token)
    return EXIT_OK


def run_revoke(args: argparse.Namespace, spec: TokenCommand) -> int:
    def without_holder(existing: list[DeviceCredential]) -> list[DeviceCredential]:
        kept = [c for c in existing if c.device != args.holder]
        if len(kept) == len(existing):
            raise _NotHeld()
        return kept

    try:
        source = _source(args, spec)
        try:
            source.change(without_holder)
        finally:
            source.close()
    except (KioskError, DeviceTokensError) as error:
        return _fail(spec, error.detail)
    except _NotHeld:
        return _fail(spec, f"{source.name}: no {spec.shape.name_key} {args.holder!r} holds a token", EXIT_INVALID_INPUT)
    print(f"revoked {args.holder}; a running service refuses its token within a second")
    return EXIT_OK


def run_list(args: argparse.Namespace, spec: TokenCommand) -> int:
    try:
        source = _source(args, spec)
        try:
            existing = source.read()
        finally:
            source.close()
    except (KioskError, DeviceTokensError) as error:
        return _fail(spec, error.detail)
    for credential in existing:
        print(f"{credential.device}\ttoken {credential.token_id}…\tissued {credential.issued_at or '-'}")
    return EXIT_OK


_ACTIONS = {"issue": run_issue, "revoke": run_revoke, "list": run_list}
