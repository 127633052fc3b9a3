"""The one registry of what an applicant can present: scheme -> who it names, how it is checked.

Adding a scheme is adding an entry here (and its module); the catalog (which schemes a benefit
may take), the reader, the scanner's line shapes, the transparency text and the backend's
request checks all read this table instead of naming schemes themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.core.credentials import ric, token, uscc
from kiosk.core.credentials.model import Scheme, SubjectKind
from kiosk.core.credentials.settings import DEFAULT_PREFIX

SUBJECT_KINDS: tuple[SubjectKind, ...] = ("business", "person")


@dataclass(frozen=True, slots=True)
class SchemeInfo:
    scheme: Scheme
    kinds: frozenset[SubjectKind]  # benefits of these subject kinds may accept it
    # The backend looks the reference up in its records; a signed credential carries its facts
    # and is decided on the kiosk (online it sends the identifier the credential names).
    looked_up: bool
    # None for a credential, whose shape depends on the configured prefix.
    validate: Callable[[str], str] | None
    # The identifier scheme of a subject kind (a credential names its subject with it).
    identifies: SubjectKind | None = None


SCHEMES: tuple[SchemeInfo, ...] = (
    SchemeInfo(Scheme.USCC, frozenset({"business"}), True, uscc.validate, identifies="business"),
    SchemeInfo(Scheme.RIC, frozenset({"person"}), True, ric.validate, identifies="person"),
    SchemeInfo(Scheme.TOKEN, frozenset({"business", "person"}), True, token.validate),
    SchemeInfo(Scheme.CREDENTIAL, frozenset({"business", "person"}), False, None),
)
SCHEME_NAMES: tuple[str, ...] = tuple(info.scheme.value for info in SCHEMES)  # also the display order
LOOKUP_SCHEMES: tuple[str, ...] = tuple(info.scheme.value for info in SCHEMES if info.looked_up)
SCHEMES_BY_KIND: dict[str, frozenset[str]] = {
    kind: frozenset(info.scheme.value for info in SCHEMES if kind in info.kinds) for kind in SUBJECT_KINDS
}
IDENTIFIER_SCHEME_BY_KIND: dict[str, str] = {
    info.identifies: info.scheme.value for info in SCHEMES if info.identifies is not None
}
KIND_BY_IDENTIFIER_SCHEME: dict[str, SubjectKind] = {
    info.scheme.value: info.identifies for info in SCHEMES if info.identifies is not None
}


def info(scheme: str) -> SchemeInfo:
    for entry in SCHEMES:
        if entry.scheme.value == scheme:
            return entry
    raise KeyError(scheme)


def complete_line_pattern(prefix: str = DEFAULT_PREFIX) -> bytes:
    """A regex (bytes) matching one whole scanned line of any scheme: the scanner's early end.

    A shape test only: ``read_presentation`` still does the real checks.
    """
    base45 = rb"[0-9A-Z $%*+\-./:]"
    return (
        rb"(?:"
        + rb"|".join(
            (
                re.escape(prefix.encode("ascii") + b":") + base45 + rb"{8,}",
                re.escape(token.PREFIX.encode("ascii")) + rb"[A-Za-z0-9_\-]{8,}",
                rb"[0-9A-Za-z]{%d}" % uscc.LENGTH,  # USCC and resident ID: both 18 characters
            )
        )
        + rb")"
    )

