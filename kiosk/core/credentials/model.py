"""What a presented code turns into: who is presenting and, for signed credentials, verified facts.

Everything here may reach a screen's state, so the reprs mask identifiers and facts: a stray
``print`` or log line shows ``uscc:9111…(18)``, never the whole code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, TypeAlias

# A fact value as it travels in a credential and into the rules: JSON scalars or lists of them.
JSONScalar: TypeAlias = bool | int | float | str | None
JSON: TypeAlias = JSONScalar | list["JSON"] | dict[str, "JSON"]

SubjectKind = Literal["business", "person"]


class Scheme(StrEnum):
    """Kinds of code an applicant presents; values are the API's ``subject.scheme`` names."""

    CREDENTIAL = "credential"
    TOKEN = "token"
    USCC = "uscc"
    RIC = "ric"


def mask(value: str, shown: int = 4) -> str:
    """``9111…(18)``: enough for a person to recognise their own code, not to copy it."""
    return f"{value[:shown]}…({len(value)})"


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """One subject reference, exactly what the kiosk may send the backend."""

    scheme: Scheme
    value: str = field(repr=False)

    def __repr__(self) -> str:
        return f"SubjectRef({self.scheme.value}:{mask(self.value)})"

    def __str__(self) -> str:
        return f"{self.scheme.value}:{mask(self.value)}"

    @property
    def masked(self) -> str:
        return str(self)

    def to_json(self) -> dict[str, str]:
        """The API's ``subject`` object. Holds the real value: send it, never log it."""
        return {"scheme": self.scheme.value, "value": self.value}


@dataclass(frozen=True, slots=True)
class Presentation:
    """A read (and, for signed credentials, verified) presentation.

    ``scheme`` is how it was presented; ``subject`` is who it is about (for a signed credential
    ``subject.scheme`` is the inner ``uscc``/``ric``). ``facts`` are present only for signed
    credentials whose signature, validity window and revocation status were checked, which is
    also what ``offline_capable`` says.
    """

    scheme: Scheme
    subject: SubjectRef
    subject_kind: SubjectKind | None = None
    facts: Mapping[str, JSON] | None = None
    issuer: str | None = None
    issued_at: datetime | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    credential_id: str | None = None
    offline_capable: bool = False

    def __repr__(self) -> str:
        facts = "None" if self.facts is None else f"<{len(self.facts)} facts>"
        credential = "None" if self.credential_id is None else "<masked>"
        until = self.valid_until.isoformat() if self.valid_until else None
        return (
            f"Presentation(scheme={self.scheme.value}, subject={self.subject}, "
            f"kind={self.subject_kind}, facts={facts}, issuer={self.issuer!r}, "
            f"valid_until={until}, credential_id={credential}, "
            f"offline_capable={self.offline_capable})"
        )

    __str__ = __repr__
