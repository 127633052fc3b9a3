"""Our private CWT claim: who the credential is about and the facts the benefit rules read.

The claim key is ``XINYI_CLAIM = -70000`` (a private-use negative integer, RFC 8392 §4 leaves
those to bilateral agreement). Its value is a map::

    {"v": 1, "kind": "business" | "person",
     "sub": {"scheme": "uscc" | "ric", "value": "<the code>"},
     "facts": {"serious_dishonesty_listed": false, "tax_credit_grade": "A", ...}}

A business is named by its USCC, a person by their resident ID number. Facts are JSON scalars
or lists of scalars, bounded in count and size (CredentialLimits), so the same check guards the
issuer and the reader.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import cast

from kiosk.core.credentials import ric, uscc
from kiosk.core.credentials.cwt import CwtClaims
from kiosk.core.credentials.errors import CredentialError
from kiosk.core.credentials.model import JSON, Scheme, SubjectKind, SubjectRef
from kiosk.core.credentials.settings import CredentialLimits

XINYI_CLAIM = -70000
CLAIM_VERSION = 1
KIND_SCHEMES: dict[SubjectKind, Scheme] = {"business": Scheme.USCC, "person": Scheme.RIC}
FACT_NAME = re.compile(r"[a-z][a-z0-9_]*")
MAX_SAFE_INT = 2**53 - 1  # facts go to JSON and JavaScript-style rules


@dataclass(frozen=True, slots=True)
class CredentialContent:
    kind: SubjectKind
    subject: SubjectRef
    facts: Mapping[str, JSON] = field(repr=False)


def _scalar(value: object, limits: CredentialLimits) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_SAFE_INT <= value <= MAX_SAFE_INT
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return len(value) <= limits.max_fact_text_chars
    return False


def validate_facts(facts: object, limits: CredentialLimits) -> Mapping[str, JSON]:
    """A read-only copy of well-formed facts, or CredentialError("claims")."""
    if not isinstance(facts, Mapping):
        raise CredentialError("claims", "facts must be a map")
    if len(facts) > limits.max_facts:
        raise CredentialError("claims", f"more than {limits.max_facts} facts")
    checked: dict[str, JSON] = {}
    max_name, max_text = limits.max_fact_name_chars, limits.max_fact_text_chars
    fits = FACT_NAME.fullmatch
    for name, value in facts.items():
        if not isinstance(name, str) or not fits(name):
            raise CredentialError("claims", "fact names must be lower-case snake_case")
        if len(name) > max_name:
            raise CredentialError("claims", "fact name too long")
        # The types CBOR decodes to, checked without the general isinstance walk below.
        kind = type(value)
        if kind is bool or value is None or (kind is str and len(value) <= max_text):
            checked[name] = value
        elif isinstance(value, list | tuple):
            if len(value) > limits.max_fact_list_items:
                raise CredentialError("claims", "fact list too long")
            if not all(_scalar(item, limits) for item in value):
                raise CredentialError("claims", "fact lists may hold only bounded JSON scalars")
            checked[name] = cast(list[JSON], list(value))
        elif _scalar(value, limits):
            checked[name] = cast(JSON, value)
        else:
            raise CredentialError("claims", "fact values must be bounded JSON scalars or lists")
    return MappingProxyType(checked)


def subject_for(kind: object, sub: object, *, on: date | None = None) -> SubjectRef:
    """The credential's subject; ``on`` is the issue date (a person cannot be born after it)."""
    if not isinstance(kind, str) or kind not in KIND_SCHEMES:
        raise CredentialError("claims", "kind must be 'business' or 'person'")
    if not isinstance(sub, Mapping) or set(sub) != {"scheme", "value"}:
        raise CredentialError("claims", "sub must be a map of scheme and value")
    scheme, value = sub["scheme"], sub["value"]
    expected = KIND_SCHEMES[kind]
    if scheme != expected.value or not isinstance(value, str):
        raise CredentialError("claims", f"a {kind} must be named by a {expected.value} value")
    try:
        code = uscc.validate(value) if expected is Scheme.USCC else ric.validate(value, today=on)
    except CredentialError as exc:
        raise CredentialError("claims", f"subject value invalid: {exc.detail}") from None
    return SubjectRef(expected, code)


def read_xinyi_claims(claims: CwtClaims, limits: CredentialLimits) -> CredentialContent:
    """The claims reader for our credentials (the DCC conformance test plugs in another)."""
    if not claims.issuer:
        raise CredentialError("claims", "iss is required")
    if claims.issued_at is None:
        raise CredentialError("claims", "iat is required")
    if claims.cti is None:
        raise CredentialError("claims", "cti (credential id) is required")
    body = claims.raw.get(XINYI_CLAIM)
    if not isinstance(body, Mapping):
        raise CredentialError("claims", f"private claim {XINYI_CLAIM} missing or not a map")
    if set(body) != {"v", "kind", "sub", "facts"}:
        raise CredentialError("claims", "private claim must hold exactly v, kind, sub, facts")
    version = body["v"]
    if not isinstance(version, int) or isinstance(version, bool) or version != CLAIM_VERSION:
        raise CredentialError("claims", f"unsupported claim version (expected {CLAIM_VERSION})")
    kind = body["kind"]
    subject = subject_for(kind, body["sub"], on=claims.issued_at.date())
    facts = validate_facts(body["facts"], limits)
    return CredentialContent(cast(SubjectKind, kind), subject, facts)
