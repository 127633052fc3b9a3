"""`kiosk-backend mint`: issue a signed demo credential for a demo subject (payload + QR PNG).

Subjects and their facts come from ``demo.records.demo_subjects()`` (each subject has
``scheme``, ``value``, ``kind``, ``label``, ``facts``; objects or mappings). The credential is
signed with the DEMO issuer key in demo/keys/ — public keys, never for production.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import segno

from demo.issuer import ALGORITHMS, DEMO_KEYS_DIR, DemoKeyMissing, load_demo_issuer
from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE
from kiosk.core.credentials import CredentialError, ric, uscc
from kiosk.core.credentials.model import JSON, SubjectKind
from kiosk.core.credentials.schemes import KIND_BY_IDENTIFIER_SCHEME

DEMO_DATA_MODULE = "demo.records"
DEMO_DATA_FUNCTION = "demo_subjects"
_KINDS_BY_SCHEME: dict[str, SubjectKind] = KIND_BY_IDENTIFIER_SCHEME


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "mint",
        help="issue a signed DEMO credential for a demo subject (payload text + QR PNG)",
        description=(
            "Sign a credential for one demo subject with the DEMO issuer key and write "
            "PATH.txt (the payload a QR code carries) and PATH.png (the QR code)."
        ),
    )
    parser.add_argument("--subject", required=True, help="the demo subject's USCC or ID number")
    parser.add_argument("--out", required=True, type=Path, help="output path without suffix")
    parser.add_argument("--alg", choices=ALGORITHMS, default="EdDSA")
    parser.add_argument("--valid-days", type=int, default=30, metavar="N")
    parser.add_argument("--keys-dir", type=Path, default=DEMO_KEYS_DIR, help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def _field(subject: object, name: str) -> object:
    if isinstance(subject, Mapping):
        return cast(Mapping[str, object], subject).get(name)
    return getattr(subject, name, None)


def _load_demo_subjects() -> Iterable[object]:
    try:
        module = importlib.import_module(DEMO_DATA_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != DEMO_DATA_MODULE:
            raise
        raise LookupError(f"{DEMO_DATA_MODULE} is not available in this installation") from None
    source = getattr(module, DEMO_DATA_FUNCTION, None)
    if not callable(source):
        raise LookupError(f"{DEMO_DATA_MODULE}.{DEMO_DATA_FUNCTION}() does not exist")
    return cast(Iterable[object], cast(Callable[[], Any], source)())


def _canonical(value: str) -> str | None:
    validators: tuple[Callable[[str], str], ...] = (ric.validate, uscc.validate)
    for validate in validators:
        try:
            return validate(value)
        except CredentialError:
            continue
    return None


def find_demo_subject(value: str) -> tuple[SubjectKind, str, dict[str, JSON]] | None:
    wanted = _canonical(value) or value.strip().upper()
    for subject in _load_demo_subjects():
        subject_value = _field(subject, "value")
        if not isinstance(subject_value, str) or subject_value.strip().upper() != wanted:
            continue
        scheme = str(_field(subject, "scheme"))
        if scheme not in _KINDS_BY_SCHEME:
            raise ValueError(
                f"a {scheme} subject cannot carry a credential: only the backend can resolve it; "
                "mint for the USCC or resident ID number it stands for"
            )
        kind = _field(subject, "kind") or _KINDS_BY_SCHEME[scheme]
        facts = _field(subject, "facts")
        if kind not in ("business", "person") or not isinstance(facts, Mapping):
            raise LookupError("the demo subject has no kind or no facts to put in a credential")
        return kind, wanted, dict(cast(Mapping[str, JSON], facts))
    return None


def _output_stem(path: Path) -> Path:
    return path.with_suffix("") if path.suffix in (".txt", ".png") else path


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.valid_days <= 3660:
        print("mint: --valid-days must be between 1 and 3660", file=sys.stderr)
        return EXIT_USAGE
    try:
        found = find_demo_subject(args.subject)
    except LookupError as exc:
        print(f"mint: cannot read the demo subjects: {exc}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except ValueError as exc:
        print(f"mint: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if found is None:
        print(
            "mint: no demo subject has that code; `kiosk-backend demo-subjects` lists them",
            file=sys.stderr,
        )
        return EXIT_USAGE
    kind, value, facts = found
    try:
        issuer = load_demo_issuer(args.alg, args.keys_dir)
        payload = issuer.issue(
            kind=kind,
            subject_value=value,
            facts=facts,
            valid_for=timedelta(days=args.valid_days),
            issued_at=datetime.now(UTC),
        )
    except DemoKeyMissing as exc:
        print(f"mint: {exc}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    except CredentialError as exc:
        print(f"mint: the demo subject cannot be issued: {exc.detail}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    stem = _output_stem(args.out)
    stem.parent.mkdir(parents=True, exist_ok=True)
    text_path, png_path = stem.with_name(stem.name + ".txt"), stem.with_name(stem.name + ".png")
    text_path.write_text(payload + "\n", encoding="ascii")
    segno.make_qr(payload, error="m").save(str(png_path), scale=4, border=4)
    print(f"wrote {text_path} ({len(payload)} characters) and {png_path}")
    print(f"signed by {issuer.name} with DEMO key {issuer.kid.hex()} ({issuer.alg})")
    return EXIT_OK
