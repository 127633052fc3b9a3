"""Which subject references a benefit takes, and checking one before it is looked up.

The checks are the kiosk's own (``kiosk.core.credentials``): GB 32100 for a USCC, GB 11643 for
a resident ID number, the ``XKT:`` shape for a token. Errors name the field, never the value.
"""

from __future__ import annotations

from kiosk.core.benefits import Benefit
from kiosk.core.credentials import CredentialError
from kiosk.core.credentials.schemes import IDENTIFIER_SCHEME_BY_KIND, LOOKUP_SCHEMES, info

# A signed credential names its subject with the identifier of its kind: a kiosk holding a
# credential sends that inner reference online (``presentation.subject``), so a benefit that
# takes credentials also takes the identifier of its subject kind.
__all__ = ["IDENTIFIER_SCHEME_BY_KIND", "LOOKUP_SCHEMES", "SubjectRefError", "accepts", "canonical_value"]


class SubjectRefError(Exception):
    """``field`` is the request field at fault; ``detail`` never holds the value."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def accepts(benefit: Benefit, scheme: str) -> bool:
    """Whether the backend answers `benefit` for a subject given with `scheme`."""
    if scheme == "credential":
        # A credential's facts are decided on the kiosk from the credential itself; online the
        # kiosk sends the subject reference it names (see IDENTIFIER_SCHEME_BY_KIND).
        return False
    if scheme in benefit.schemes:
        return True
    return "credential" in benefit.schemes and IDENTIFIER_SCHEME_BY_KIND[benefit.kind] == scheme


def canonical_value(scheme: str, value: str) -> str:
    """The compact form the records are keyed by, or SubjectRefError."""
    validate = info(scheme).validate if scheme in LOOKUP_SCHEMES else None
    if validate is None:
        raise SubjectRefError("subject.scheme", f"scheme {scheme} cannot be looked up")
    try:
        return validate(value)
    except CredentialError as error:
        raise SubjectRefError("subject.value", f"{scheme} value: {error.detail}") from None
