"""`kiosk keys new`: make this kiosk's device key, which signs the receipts of offline decisions.

    kiosk keys new --out PATH [--device ID | --config FILE] [--alg ed25519|p256]

Writes PATH (the private key, mode 0600; refuses to overwrite) and its public half beside it
(``device-key.pem`` -> ``device-key-public.pem``), both naming the device
(``Xinyi-Device: ID``, by default the config's ``device_id``), and prints the key id alone on
stdout. Name PATH as ``device_key`` in the kiosk's config; put the public half into the
service's ``device_keys`` (its device registry), from where every bundle carries it.
Exit codes: 0 written, 2 usage (bad device id, algorithm or path; nothing is written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from backend.keys import ALGORITHMS, KINDS, KeyFileError, generate, key_id, write_key_files
from kiosk.common.cli import EXIT_OK, EXIT_USAGE, usage
from kiosk.core.errors import KioskError
from kiosk.core.receipts.trust import DEVICE_ID


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "keys",
        help="make this kiosk's device key (signs offline receipts)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION")
    new = actions.add_parser("new", help="write a new device key")
    new.add_argument("--out", required=True, type=Path, metavar="PATH", help="the private key file to write (.pem)")
    new.add_argument("--device", metavar="ID", help="the device id the key belongs to (default: the config's)")
    new.add_argument("--config", type=Path, help="kiosk config whose device_id to use")
    new.add_argument("--alg", choices=ALGORITHMS, default="ed25519", help="default ed25519")
    new.set_defaults(run=run_new)
    parser.set_defaults(run=lambda _args: usage(parser))


def public_path_for(private: Path) -> Path:
    stem = private.name[: -len(".pem")] if private.name.endswith(".pem") else private.name
    return private.with_name(stem + "-public.pem")


def run_new(args: argparse.Namespace) -> int:
    device = args.device
    if device is None:
        from kiosk.station.config import resolve_config

        try:
            device = resolve_config(args.config).device_id
        except KioskError as error:
            print(f"kiosk keys new: {error.detail}", file=sys.stderr)
            return EXIT_USAGE
    if not DEVICE_ID.fullmatch(device):
        print("kiosk keys new: --device must be 1-64 letters, digits, . _ - (a kiosk's device_id)", file=sys.stderr)
        return EXIT_USAGE
    private: Path = args.out
    if not private.parent.is_dir():
        print(f"kiosk keys new: {private.parent}: no such folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        key = generate(KINDS["device"], args.alg)
        private_path, public_path = write_key_files(
            private, public_path_for(private), KINDS["device"], key, device=device
        )
    except KeyFileError as error:
        print(f"kiosk keys new: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(key_id(key.public_key()))
    print(
        f"device key of {device} ({args.alg}): private {private_path} (mode 0600, the config's "
        f"device_key), public {public_path} (for the service's device_keys)",
        file=sys.stderr,
    )
    return EXIT_OK
