"""`kiosk-backend keys new`: make the service's own signing key pair.

    kiosk-backend keys new --kind authority|issuer|receipt|device [--alg ed25519|p256]
                           [--device ID] --out PREFIX

Writes PREFIX-private.pem (mode 0600; refuses to overwrite) and PREFIX-public.pem, and prints
the key id (alone on stdout). Point the backend config at the private key (``authority_key``,
``issuer_key``, ``receipt_key``); the public halves go to the kiosks (``authority_keys``) and
into ``issuer_trust``. A device key (``--device ID``, the kiosk's device_id; ``kiosk keys new``
makes the same on the kiosk) goes to the kiosk as its ``device_key``, its public half into the
service's ``device_keys``.
Exit codes: 0 written, 2 usage (bad kind, algorithm or output path; nothing is written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from backend.keys import ALGORITHMS, KINDS, KeyFileError, generate, key_id, write_key_pair
from kiosk.common.cli import EXIT_OK, EXIT_USAGE, usage
from kiosk.core.receipts.trust import DEVICE_ID


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "keys", help="make the service's signing keys (authority, issuer, receipt) or a device key",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION")
    new = actions.add_parser("new", help="write a new key pair")
    new.add_argument("--kind", required=True, choices=sorted(KINDS),
                     help="; ".join(f"{k.name}: {k.purpose}" for k in KINDS.values()))
    new.add_argument("--alg", choices=ALGORITHMS, default="ed25519",
                     help="signature algorithm (default ed25519; authority keys are ed25519)")
    new.add_argument("--out", required=True, type=Path, metavar="PREFIX",
                     help="writes PREFIX-private.pem and PREFIX-public.pem")
    new.add_argument("--device", metavar="ID", help="for --kind device: the kiosk's device_id")
    new.set_defaults(run=run_new)
    parser.set_defaults(run=lambda _args: usage(parser))


def run_new(args: argparse.Namespace) -> int:
    kind = KINDS[args.kind]
    prefix: Path = args.out
    if not prefix.name or prefix.name.endswith(".pem"):
        print("kiosk-backend keys new: --out takes a PREFIX (no .pem); "
              "PREFIX-private.pem and PREFIX-public.pem are written", file=sys.stderr)
        return EXIT_USAGE
    if not prefix.parent.is_dir():
        print(f"kiosk-backend keys new: {prefix.parent}: no such folder", file=sys.stderr)
        return EXIT_USAGE
    device = args.device
    if (kind.name == "device") != (device is not None):
        print("kiosk-backend keys new: --device ID goes with --kind device, and only with it", file=sys.stderr)
        return EXIT_USAGE
    if device is not None and not DEVICE_ID.fullmatch(device):
        print("kiosk-backend keys new: --device must be 1-64 letters, digits, . _ -", file=sys.stderr)
        return EXIT_USAGE
    try:
        key = generate(kind, args.alg)
        private_path, public_path = write_key_pair(prefix, kind, key, device=device)
    except KeyFileError as error:
        print(f"kiosk-backend keys new: {error}", file=sys.stderr)
        return EXIT_USAGE
    # The key id alone on stdout, for scripts; what was written on stderr, for people.
    print(key_id(key.public_key()))
    print(f"{kind.name} key ({args.alg}): private {private_path} (mode 0600), public {public_path}",
          file=sys.stderr)
    return EXIT_OK
