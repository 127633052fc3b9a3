"""`kiosk-backend device-token issue | revoke | list`: the devices allowed to ask, by token.

    kiosk-backend device-token issue  (--config backend.toml | --tokens FILE) --device kiosk-0042
    kiosk-backend device-token revoke (--config backend.toml | --tokens FILE) --device kiosk-0042
    kiosk-backend device-token list   (--config backend.toml | --tokens FILE)

``issue`` prints the new token once on stdout (put it in the kiosk's token file); the tokens
file keeps only its id and HMAC-SHA256(salt, token) with a fresh salt (backend/auth.py). Issuing
again for a device replaces its token. ``revoke`` removes the device; a running service reads
the changed file within a second and refuses the token from then on, no restart. The file is
replaced atomically. Exit codes: 0 done, 2 usage or a faulty config / tokens file (left as
it was), 3 ``revoke`` of a device that has no token.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from backend.auth import (
    DEVICE_ID_PATTERN,
    DeviceCredential,
    DeviceTokensError,
    new_token,
    now_stamp,
    read_tokens_file,
    write_tokens_file,
)
from backend.settings import load_settings
from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, usage
from kiosk.core.errors import KioskError

EXIT_UNKNOWN = EXIT_INVALID_INPUT  # revoke: no such device


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "device-token", help="issue, revoke or list device tokens", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="token_action", metavar="ACTION")
    for name, run, text in (("issue", run_issue, "issue (or replace) a device's token"),
                            ("revoke", run_revoke, "revoke a device's token"),
                            ("list", run_list, "list the devices that hold a token")):
        action = actions.add_parser(name, help=text)
        source = action.add_mutually_exclusive_group(required=True)
        source.add_argument("--config", type=Path, help="backend config naming device_tokens")
        source.add_argument("--tokens", type=Path, help="device tokens file (JSON)")
        if name != "list":
            action.add_argument("--device", required=True, help="device id, e.g. kiosk-0042")
        action.set_defaults(run=run)
    parser.set_defaults(run=lambda _args: usage(parser))


def _fail(detail: str, code: int = EXIT_USAGE) -> int:
    print(f"kiosk-backend device-token: {detail}", file=sys.stderr)
    return code


def _tokens_path(args: argparse.Namespace) -> Path:
    if args.tokens is not None:
        return Path(args.tokens)
    path = load_settings(args.config, serving=False).device_tokens
    assert path is not None  # device_tokens is a required setting
    return path


def _existing(path: Path) -> list[DeviceCredential]:
    return read_tokens_file(path) if path.exists() else []


def run_issue(args: argparse.Namespace) -> int:
    if not DEVICE_ID_PATTERN.fullmatch(args.device):
        return _fail(f"device id must match {DEVICE_ID_PATTERN.pattern}")
    try:
        path = _tokens_path(args)
        existing = _existing(path)
    except (KioskError, DeviceTokensError) as error:
        return _fail(error.detail)
    token = new_token()
    kept = [c for c in existing if c.device != args.device]
    try:
        write_tokens_file(path, [*kept, DeviceCredential.from_token(args.device, token, now_stamp())])
    except OSError as error:
        return _fail(f"{path}: cannot be written ({error.strerror}); it is unchanged")
    print(token)
    return EXIT_OK


def run_revoke(args: argparse.Namespace) -> int:
    try:
        path = _tokens_path(args)
        existing = _existing(path)
    except (KioskError, DeviceTokensError) as error:
        return _fail(error.detail)
    kept = [c for c in existing if c.device != args.device]
    if len(kept) == len(existing):
        return _fail(f"{path}: no device {args.device!r} holds a token", EXIT_UNKNOWN)
    try:
        write_tokens_file(path, kept)
    except OSError as error:
        return _fail(f"{path}: cannot be written ({error.strerror}); it is unchanged")
    print(f"revoked {args.device}; a running service refuses its token within a second")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    try:
        path = _tokens_path(args)
        existing = _existing(path)
    except (KioskError, DeviceTokensError) as error:
        return _fail(error.detail)
    for credential in existing:
        print(f"{credential.device}\ttoken {credential.token_id}…\tissued {credential.issued_at or '-'}")
    return EXIT_OK
