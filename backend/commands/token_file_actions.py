"""`issue | revoke | list` over a tokens file: shared by `device-token` and `operator-token`.

Both kinds of token are random secrets kept as salted HMACs (backend/auth.py); only the file,
its shape (``devices`` / ``operators``) and the config setting that names it differ.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.auth import (
    DEVICE_ID_PATTERN,
    DeviceCredential,
    DeviceTokensError,
    TokensFileShape,
    new_token,
    now_stamp,
    read_tokens_file,
    write_tokens_file,
)
from backend.settings import load_settings
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


def _tokens_path(args: argparse.Namespace, spec: TokenCommand) -> Path:
    if args.tokens is not None:
        return Path(args.tokens)
    settings = load_settings(args.config, serving=False)
    path = settings.required(spec.setting) if spec.setting != "device_tokens" else settings.device_tokens
    assert path is not None  # device_tokens is a required setting
    return path


def _existing(path: Path, spec: TokenCommand) -> list[DeviceCredential]:
    return read_tokens_file(path, spec.shape) if path.exists() else []


def run_issue(args: argparse.Namespace, spec: TokenCommand) -> int:
    if not DEVICE_ID_PATTERN.fullmatch(args.holder):
        return _fail(spec, f"{spec.shape.name_key} id must match {DEVICE_ID_PATTERN.pattern}")
    try:
        path = _tokens_path(args, spec)
        existing = _existing(path, spec)
    except (KioskError, DeviceTokensError) as error:
        return _fail(spec, error.detail)
    token = new_token()
    kept = [c for c in existing if c.device != args.holder]
    try:
        write_tokens_file(path, [*kept, DeviceCredential.from_token(args.holder, token, now_stamp())], spec.shape)
    except OSError as error:
        return _fail(spec, f"{path}: cannot be written ({error.strerror}); it is unchanged")
    print(token)
    return EXIT_OK


def run_revoke(args: argparse.Namespace, spec: TokenCommand) -> int:
    try:
        path = _tokens_path(args, spec)
        existing = _existing(path, spec)
    except (KioskError, DeviceTokensError) as error:
        return _fail(spec, error.detail)
    kept = [c for c in existing if c.device != args.holder]
    if len(kept) == len(existing):
        return _fail(spec, f"{path}: no {spec.shape.name_key} {args.holder!r} holds a token", EXIT_INVALID_INPUT)
    try:
        write_tokens_file(path, kept, spec.shape)
    except OSError as error:
        return _fail(spec, f"{path}: cannot be written ({error.strerror}); it is unchanged")
    print(f"revoked {args.holder}; a running service refuses its token within a second")
    return EXIT_OK


def run_list(args: argparse.Namespace, spec: TokenCommand) -> int:
    try:
        path = _tokens_path(args, spec)
        existing = _existing(path, spec)
    except (KioskError, DeviceTokensError) as error:
        return _fail(spec, error.detail)
    for credential in existing:
        print(f"{credential.device}\ttoken {credential.token_id}…\tissued {credential.issued_at or '-'}")
    return EXIT_OK


_ACTIONS = {"issue": run_issue, "revoke": run_revoke, "list": run_list}
