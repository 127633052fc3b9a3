"""`kiosk-backend device-token`: make a device token, store only its salted hash.

Prints the token once on stdout (put it in the kiosk's token file); the tokens file keeps
HMAC-SHA256(salt, token) and a fresh salt. Running it again for a device replaces its token.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path
from typing import Any

from backend.auth import (
    DEVICE_ID_PATTERN,
    DeviceCredential,
    DeviceTokensError,
    read_tokens_file,
    write_tokens_file,
)
from kiosk.common.cli import EXIT_USAGE


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "device-token", help="issue a device token and store its hash", description=__doc__
    )
    parser.add_argument("--device", required=True, help="device id, e.g. kiosk-0042")
    parser.add_argument("--tokens", type=Path, required=True, help="device tokens file (JSON)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not DEVICE_ID_PATTERN.fullmatch(args.device):
        print(f"kiosk-backend device-token: device id must match {DEVICE_ID_PATTERN.pattern}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        existing = read_tokens_file(args.tokens) if args.tokens.exists() else []
    except DeviceTokensError as error:
        print(f"kiosk-backend device-token: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    token = secrets.token_urlsafe(32)
    kept = [c for c in existing if c.device != args.device]
    try:
        write_tokens_file(args.tokens, [*kept, DeviceCredential.from_token(args.device, token)])
    except OSError as error:
        print(f"kiosk-backend device-token: cannot write {args.tokens}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    print(token)
    return 0
