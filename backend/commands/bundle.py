"""`kiosk-backend bundle sign | verify`: make and check the signed policy bundle (DESIGN §4.4).

    kiosk-backend bundle sign --policy kiosk/common/policy \\
        --key demo/keys/authority-ed25519-DEMO-private.pem --out bundle.json \\
        [--trust ISSUER.pem ...] [--receipt-signer PEM ...] [--revoked FILE] [--valid-days N] [--version N]
    kiosk-backend bundle verify bundle.json --authority AUTHORITY-public.pem

Without --trust the bundle trusts no credential issuer (the DEMO issuer keys are never added
unless named); without --version the version is the Unix time of signing (always higher than an
earlier signing); --next-key announces the authority's next public key (key rollover);
--receipt-signer publishes a receipt signer (the service's receipt key, or a device key naming its
device; kiosk/core/receipts/trust.py) in the bundle's receipt_keys. Before
signing, the policy must pass `kiosk-backend policy test` (worked examples, example coverage,
declared facts, version ranges, both languages). Exit codes: 0 done / valid, 1 a policy check
fails (nothing signed), 2 usage, 3 the input is unusable or the bundle is refused (the reason
is printed).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backend.bundle_source import (
    MAX_KEY_FILE_BYTES,
    build_signed_bundle,
    load_authority_private_key,
    read_revocations,
    read_trust_files,
)
from kiosk.common.bounded_file import FileReadError, read_bounded
from kiosk.common.cli import EXIT_FAILED, EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, usage
from kiosk.common.policy_checks import check_policy
from kiosk.core.bundle import MAX_BUNDLE_BYTES, BundleError, iso_utc, load_authority_keys
from kiosk.core.bundle_signing import verify_bundle
from kiosk.core.credentials import TrustKeyError, TrustStore
from kiosk.core.errors import KioskError
from kiosk.core.receipts import ReceiptTrust


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "bundle", help="sign or verify the policy bundle kiosks download",
        description="Sign the policy bundle with the authority's Ed25519 key, or verify one.",
    )
    actions = parser.add_subparsers(dest="bundle_action", metavar="ACTION")
    sign = actions.add_parser("sign", help="sign a policy folder into a bundle file")
    sign.add_argument("--policy", required=True, type=Path, metavar="DIR", help="policy folder")
    sign.add_argument("--key", required=True, type=Path, metavar="PEM",
                      help="authority Ed25519 private key (PEM)")
    sign.add_argument("--out", required=True, type=Path, metavar="FILE")
    sign.add_argument("--trust", action="append", type=Path, metavar="PEM", default=[],
                      help="issuer public key or certificate to include (repeatable; "
                           "default: none)")
    sign.add_argument("--receipt-signer", action="append", type=Path, metavar="PEM", default=[],
                      help="receipt or device public key whose receipts kiosks verify (repeatable)")
    sign.add_argument("--next-key", type=Path, metavar="PEM",
                      help="the authority's next public key, announced for rollover")
    sign.add_argument("--revoked", type=Path, metavar="FILE",
                      help="revoked credential ids, one a line (or sha256:<hex>)")
    sign.add_argument("--valid-days", type=int, default=2, metavar="N",
                      help="days until the bundle expires (default 2)")
    sign.add_argument("--version", type=int, metavar="N",
                      help="bundle version (default: Unix time of signing)")
    sign.set_defaults(run=run_sign)
    verify = actions.add_parser("verify", help="verify a bundle file against an authority key")
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("--authority", required=True, action="append", type=Path, metavar="PEM",
                        help="authority public key (PEM; repeatable)")
    verify.set_defaults(run=run_verify)
    parser.set_defaults(run=lambda _args: usage(parser))


def run_sign(args: argparse.Namespace) -> int:
    if not 1 <= args.valid_days <= 366:
        print("kiosk-backend bundle sign: --valid-days must be 1 to 366", file=sys.stderr)
        return EXIT_USAGE
    if args.version is not None and args.version < 1:
        print("kiosk-backend bundle sign: --version must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = check_policy(args.policy)
    except KioskError as error:
        print(f"kiosk-backend bundle sign: {error.detail}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    if not report.ok:
        for problem in report.problems:
            print(problem.line(), file=sys.stderr)
        print(f"kiosk-backend bundle sign: refused, {len(report.problems)} policy check(s) fail; "
              "nothing signed", file=sys.stderr)
        return EXIT_FAILED
    try:
        # Named explicitly, a DEMO key may sign (the README's example does); nothing picks one.
        authority = load_authority_private_key(args.key, allow_demo=True)
        next_key = None
        if args.next_key is not None:
            next_key = next(iter(load_authority_keys([_read_key(args.next_key)]).values()))
        trust = read_trust_files(args.trust) if args.trust else TrustStore()
        revoked = read_revocations(args.revoked) if args.revoked else []
        signers = ReceiptTrust()
        for path in args.receipt_signer:
            signers = signers.merged(ReceiptTrust.from_pem(_read_key(path), str(path)).values())
        signed = build_signed_bundle(
            args.policy, authority, trust=trust, revoked=revoked, version=args.version,
            valid_for=timedelta(days=args.valid_days), next_authority=next_key, receipt_keys=signers,
        )
    except KioskError as error:
        print(f"kiosk-backend bundle sign: {error.detail}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except ValueError as error:
        print(f"kiosk-backend bundle sign: {error}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    try:
        args.out.write_bytes(signed.body)
    except OSError as error:
        print(f"kiosk-backend bundle sign: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    print(
        f"signed {args.out}: {len(signed.body)} bytes, {len(trust)} trust key(s), {len(signers)} receipt signer(s), "
        f"{len(set(revoked))} revocation(s), expires {iso_utc(signed.issued_at + signed.valid_for)}, "
        f"ETag {signed.etag}"
    )
    return EXIT_OK


def _read_key(path: Path) -> bytes:
    try:
        return read_bounded(path, MAX_KEY_FILE_BYTES)
    except FileReadError as error:
        raise TrustKeyError(f"{path}: {error}") from None


def run_verify(args: argparse.Namespace) -> int:
    reading = args.file
    try:
        raw = read_bounded(reading, MAX_BUNDLE_BYTES)
        blobs = []
        for reading in args.authority:
            blobs.append(read_bounded(reading, MAX_KEY_FILE_BYTES))
        keys = load_authority_keys(blobs)
    except FileReadError as error:
        print(f"kiosk-backend bundle verify: {reading} {error}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except KioskError as error:
        print(f"kiosk-backend bundle verify: {error.detail}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    try:
        bundle = verify_bundle(raw, keys)
    except BundleError as error:
        print(f"kiosk-backend bundle verify: {error.detail}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    now = datetime.now(UTC)
    state = "EXPIRED" if bundle.is_expired(now) else "valid"
    print(
        f"signature OK (authority key {bundle.authority_kid}); version {bundle.version}; "
        f"issued {iso_utc(bundle.issued_at)}; expires {iso_utc(bundle.expires_at)} ({state}); "
        f"{len(bundle.catalog.benefits)} benefit(s), {len(bundle.trust_keys)} trust key(s), "
        f"{len(bundle.revoked)} revocation(s)"
        + (f"; announces next authority key {bundle.next_authority_kid}" if bundle.next_authority else "")
        + "".join(
            f"; receipt signer {entry.signer}{' ' + entry.device if entry.device else ''} {kid.hex()}"
            for kid, entry in sorted(bundle.receipt_trust.items())
        )
    )
    return EXIT_OK if state == "valid" else EXIT_INVALID_INPUT
