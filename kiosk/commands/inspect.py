"""`kiosk inspect`: show support staff every decoded layer of a presented code and what failed.

Exit 0 for a valid presentation, 3 for an invalid one, 2 for a usage error. The subject's code,
the credential id and the values of the facts are masked unless --show-subject is given;
nothing is logged (output goes to stdout only, for the person at the terminal).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from kiosk.common.cli import EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE
from kiosk.core.catalog import message
from kiosk.core.credentials import (
    DEFAULT_PREFIX,
    CredentialError,
    CredentialSettings,
    LayerReport,
    Presentation,
    Scheme,
    TrustKeyError,
    mask,
    read_presentation,
    revocation_hash,
    ric,
    uscc,
)
from kiosk.core.credentials.model import JSON
from kiosk.core.credentials.token import PREFIX as TOKEN_PREFIX
from kiosk.core.text import Locale, parse_locale
from kiosk.station.offline import trust_store

MASKED = "<masked>"

_VALID_SIGNED = message("commands.inspect.valid_signed")
_VALID_REFERENCE = message("commands.inspect.valid_reference")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="show each decoded layer of a scanned code and which step failed",
        description=(
            "Decode and verify one presented code (signed credential, token, USCC or resident "
            "ID number) and show every layer. Exit 0 valid, 3 invalid, 2 usage error."
        ),
    )
    parser.add_argument("payload", metavar="PAYLOAD", help="what the scanner read; - reads stdin")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="context prefix (default XK1)")
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="trusted issuer key: PEM public key(s) or certificate(s), or DER (repeatable)",
    )
    parser.add_argument(
        "--revoked",
        action="append",
        default=[],
        metavar="HASH",
        help="revoked credential id hash (hex SHA-256; repeatable)",
    )
    parser.add_argument("--at", metavar="ISO-8601", help="check validity at this time (default now)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--locale", default="zh-CN", help="language of the message: zh-CN or en")
    parser.add_argument(
        "--show-subject", action="store_true", help="show the subject's code and credential id unmasked"
    )
    parser.set_defaults(run=run)


def _parse_at(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _scheme_guess(payload: bytes | str, prefix: str) -> str | None:
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    text = text.strip()
    if text.startswith(prefix + ":"):
        return Scheme.CREDENTIAL.value
    if text.startswith(TOKEN_PREFIX):
        return Scheme.TOKEN.value
    if ric.looks_like(text):
        return Scheme.RIC.value
    if uscc.PATTERN.fullmatch(uscc.compact(text)):
        return Scheme.USCC.value
    return None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _presentation_json(found: Presentation, *, show_subject: bool) -> dict[str, JSON]:
    subject = found.subject
    # Facts are about the subject (a tax grade, a penalty date): shown only as the subject is.
    facts: JSON = None
    if found.facts is not None:
        facts = dict(found.facts) if show_subject else dict.fromkeys(found.facts, MASKED)
    return {
        "scheme": found.scheme.value,
        "subject": {
            "scheme": subject.scheme.value,
            "value": subject.value if show_subject else mask(subject.value),
            "masked": not show_subject,
        },
        "subject_kind": found.subject_kind,
        "issuer": found.issuer,
        "issued_at": _iso(found.issued_at),
        "valid_from": _iso(found.valid_from),
        "valid_until": _iso(found.valid_until),
        "credential_id": (found.credential_id if show_subject or found.credential_id is None else MASKED),
        "credential_id_hash": (revocation_hash(found.credential_id) if found.credential_id is not None else None),
        "offline_capable": found.offline_capable,
        "facts": facts,
        "facts_masked": facts is not None and not show_subject,
    }


def run(args: argparse.Namespace) -> int:
    try:
        locale: Locale = parse_locale(args.locale)
        now = _parse_at(args.at)
    except ValueError as error:
        print(f"kiosk inspect: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        trust = trust_store(args.trust)
        settings = CredentialSettings(prefix=args.prefix, trust=trust, revoked=frozenset(args.revoked))
    except TrustKeyError as error:
        print(f"kiosk inspect: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        print(f"kiosk inspect: {error}", file=sys.stderr)
        return EXIT_USAGE
    # Bytes either way, so a GB18030 payload passed in argv is decoded like a scanned one.
    limit = settings.limits.max_payload_bytes + 1  # one past the limit: refused as too large
    payload = sys.stdin.buffer.read(limit) if args.payload == "-" else os.fsencode(args.payload)

    layers: list[LayerReport] = []
    result: dict[str, JSON] = {"valid": False, "scheme": None, "failed_step": None}
    found: Presentation | None
    try:
        found = read_presentation(payload, settings, now=now, trace=layers)
    except CredentialError as error:
        text = error.text
        result.update(
            scheme=_scheme_guess(payload, settings.prefix),
            failed_step=error.step,
            detail=error.detail,
        )
        found = None
    else:
        text = _VALID_SIGNED if found.offline_capable else _VALID_REFERENCE
        result.update(valid=True, scheme=found.scheme.value)
        result["presentation"] = _presentation_json(found, show_subject=args.show_subject)
    result.update(
        message=text.get(locale),
        messages=dict(text.to_json()),
        checked_at=now.isoformat(),
        trusted_key_ids=[kid.hex() for kid in trust],
        layers=[layer.to_json() for layer in layers],
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_text(result)
    return EXIT_OK if found is not None else EXIT_INVALID_INPUT


def _print_text(result: dict[str, JSON]) -> None:
    print(f"checked at   {result['checked_at']}")
    print(f"scheme       {result['scheme'] or 'unknown'}")
    layers = result["layers"]
    for layer in layers if isinstance(layers, list) else []:
        if not isinstance(layer, dict):
            continue
        summary = layer.get("summary")
        parts = (
            " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in summary.items())
            if isinstance(summary, dict)
            else ""
        )
        status = "ok" if layer.get("ok") else f"FAILED ({layer.get('failed_step')})"
        print(f"  layer {layer.get('layer')!s:<14} {status:<24} {parts}")
    found = result.get("presentation")
    if isinstance(found, dict):
        for key in (
            "subject",
            "subject_kind",
            "issuer",
            "issued_at",
            "valid_from",
            "valid_until",
            "credential_id",
            "credential_id_hash",
            "offline_capable",
        ):
            value = found.get(key)
            if isinstance(value, dict):
                value = f"{value.get('scheme')}:{value.get('value')}"
            print(f"{key:<18} {value}")
        facts = found.get("facts")
        if isinstance(facts, dict):
            print("facts")
            for name, value in facts.items():
                print(f"  {name} = {json.dumps(value, ensure_ascii=False)}")
    verdict = "VALID" if result["valid"] else f"INVALID at step {result['failed_step']}"
    print(f"result       {verdict}")
    if result.get("detail"):
        print(f"detail       {result['detail']}")
    print(f"message      {result['message']}")
