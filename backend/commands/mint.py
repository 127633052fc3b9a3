"""`kiosk-backend mint`: issue a signed credential for one subject (payload + QR PNG).

    kiosk-backend mint --config backend.toml --subject CODE --out PATH [--valid-days N]
    kiosk-backend mint --subject CODE --out PATH [--alg EdDSA|ES256]      # the demo

With ``--config`` the subject's facts come from the records database and the credential is
signed with the config's ``issuer_key`` under ``issuer_name`` (a DEMO key is refused). Without
it, the subject is a demo subject (``demo.records.demo_subjects()``, imported only then) and the
DEMO issuer key in demo/keys/ signs — public keys, never for production.
Exit codes: 0 written, 2 usage or configuration, 3 the subject or key cannot be used.
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

from backend.keys import KINDS, KeyFileError, key_id, load_private_key
from backend.records_store import open_store
from backend.settings import load_settings
from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE
from kiosk.core.credentials import CredentialError, ric, uscc
from kiosk.core.credentials.issue import SigningKey, issue_credential
from kiosk.core.credentials.model import JSON, SubjectKind
from kiosk.core.credentials.schemes import KIND_BY_IDENTIFIER_SCHEME
from kiosk.core.errors import KioskError

DEMO_DATA_MODULE = "demo.records"
DEMO_DATA_FUNCTION = "demo_subjects"
ALGORITHMS = ("EdDSA", "ES256")
_KINDS_BY_SCHEME: dict[str, SubjectKind] = KIND_BY_IDENTIFIER_SCHEME


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "mint",
        help="issue a signed credential for a subject (payload text + QR PNG)",
        description=(
            "Sign a credential for one subject and write PATH.txt (the payload a QR code "
            "carries) and PATH.png (the QR code). With --config: the records' facts and the "
            "config's issuer_key; without: a demo subject and the DEMO issuer key."
        ),
    )
    parser.add_argument("--config", type=Path, help="backend config: records + issuer_key")
    parser.add_argument("--subject", required=True, help="the subject's USCC or ID number")
    parser.add_argument("--out", required=True, type=Path, help="output path without suffix")
    parser.add_argument("--alg", choices=ALGORITHMS, default="EdDSA",
                        help="demo only: which DEMO issuer key (with --config the key decides)")
    parser.add_argument("--valid-days", type=int, default=30, metavar="N")
    parser.add_argument("--keys-dir", type=Path, help=argparse.SUPPRESS)
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
        return _run_configured(args) if args.config is not None else _run_demo(args)
    except OSError as error:
        print(f"mint: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return EXIT_INVALID_INPUT


def _run_configured(args: argparse.Namespace) -> int:
    """A real issuer: the subject's facts from the records, signed with issuer_key."""
    try:
        settings = load_settings(args.config, serving=False)
        key_path = settings.required("issuer_key")
    except KioskError as error:
        print(f"mint: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    try:
        signing_key: SigningKey = load_private_key(key_path, KINDS["issuer"])
    except KeyFileError as error:
        print(f"mint: {settings.origin}: issuer_key: {error}", file=sys.stderr)
        return EXIT_USAGE
    candidates = _references(args.subject)
    if not candidates:
        print("mint: --subject is neither a valid USCC nor a valid resident ID number", file=sys.stderr)
        return EXIT_USAGE
    try:
        store = open_store(settings)
        found = [(v, r) for s, v in candidates if (r := store.lookup(s, v)) is not None]
        store.close()
    except KioskError as error:
        print(f"mint: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    value, record = found[0] if found else (candidates[0][1], None)
    if record is None or not record.facts:
        print("mint: the records hold no facts for that subject; import its feeds first", file=sys.stderr)
        return EXIT_INVALID_INPUT
    kind: SubjectKind = "business" if record.kind == "business" else "person"
    try:
        payload = issue_credential(
            issuer=settings.issuer_name, kind=kind, subject_value=value,
            facts=cast(Mapping[str, JSON], record.facts), signing_key=signing_key,
            valid_for=timedelta(days=args.valid_days), issued_at=datetime.now(UTC),
        )
    except (CredentialError, ValueError) as error:
        detail = error.detail if isinstance(error, CredentialError) else str(error)
        print(f"mint: the subject's facts cannot be issued: {detail}", file=sys.stderr)
        return EXIT_INVALID_INPUT
    _write(args.out, payload)
    print(f"signed by {settings.issuer_name} with issuer key {key_id(signing_key.public_key())}")
    return EXIT_OK


def _references(text: str) -> list[tuple[str, str]]:
    """(scheme, canonical value) for every scheme the text is valid in."""
    found = []
    for scheme, validate in (("uscc", uscc.validate), ("ric", ric.validate)):
        try:
            found.append((scheme, validate(text)))
        except CredentialError:
            continue
    return found


def _write(out: Path, payload: str) -> None:
    stem = _output_stem(out)
    stem.parent.mkdir(parents=True, exist_ok=True)
    text_path, png_path = stem.with_name(stem.name + ".txt"), stem.with_name(stem.name + ".png")
    text_path.write_text(payload + "\n", encoding="ascii")
    segno.make_qr(payload, error="m").save(str(png_path), scale=4, border=4)
    print(f"wrote {text_path} ({len(payload)} characters) and {png_path}")


def _run_demo(args: argparse.Namespace) -> int:
    try:
        from demo.issuer import DEMO_KEYS_DIR, DemoKeyMissing, load_demo_issuer
    except ModuleNotFoundError:
        print("mint: without --config mint issues demo credentials, and the demo package is not "
              "in this installation; pass --config", file=sys.stderr)
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
        issuer = load_demo_issuer(args.alg, args.keys_dir or DEMO_KEYS_DIR)
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
    _write(args.out, payload)
    print(f"signed by {issuer.name} with DEMO key {issuer.kid.hex()} ({issuer.alg})")
    return EXIT_OK
