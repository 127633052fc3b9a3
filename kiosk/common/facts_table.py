"""FACTS.md as data: every fact a rule may read, its type and the authority that holds it.

The table in the policy folder's FACTS.md is the contract between the catalog, the backend
and credential minting; the policy checks read it to refuse a rule over an undeclared fact
(or one its criterion's authority does not hold), and a simulation reads it to refuse facts
of the wrong type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.core.benefits import CatalogError
from kiosk.core.policy_dates import DateFieldError, parse_day

_ROW = re.compile(r"^\|\s*`([a-z][a-z0-9_]*)`\s*\|([^|]*)\|[^|]*\|\s*`([a-z0-9-]+)`\s*\|")
_CHOICE = re.compile(r'`"([^"`]+)"`')
_MAX_BYTES = 128 * 1024


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    kind: str  # boolean | date | date_or_none | integer | choice
    choices: tuple[str, ...]
    source: str

    def problem_with(self, value: Any) -> str | None:
        """Why ``value`` is not of this fact's type (None: it is, or it is null = unknown)."""
        if value is None:
            return None
        if self.kind == "boolean":
            return None if isinstance(value, bool) else "must be true or false"
        if self.kind == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            return None if ok else "must be a whole number >= 0"
        if self.kind in ("date", "date_or_none"):
            if self.kind == "date_or_none" and value == "none":
                return None
            try:
                parse_day(value)
            except DateFieldError:
                return "must be a date YYYY-MM-DD" + (' or "none"' if self.kind == "date_or_none" else "")
            return None
        return None if value in self.choices else f"must be one of {list(self.choices)}"


def _kind(type_text: str) -> tuple[str, tuple[str, ...]]:
    text = type_text.strip()
    choices = tuple(_CHOICE.findall(text))
    if text.startswith("boolean"):
        return "boolean", ()
    if text.startswith("integer"):
        return "integer", ()
    if text.startswith("date or"):
        return "date_or_none", ()
    if text.startswith("date"):
        return "date", ()
    if choices:
        return "choice", choices
    return "", ()


def read_facts_table(path: Path) -> Mapping[str, FactSpec]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CatalogError(str(path), None, "(file)", f"cannot be read: {error.strerror}") from None
    if len(raw) > _MAX_BYTES:
        raise CatalogError(str(path), None, "(file)", f"is larger than {_MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(str(path), None, "(file)", "is not UTF-8") from None
    facts: dict[str, FactSpec] = {}
    for line in text.splitlines():
        match = _ROW.match(line)
        if not match:
            continue
        name, type_text, source = match.groups()
        kind, choices = _kind(type_text)
        if not kind:
            raise CatalogError(str(path), None, f"fact {name}", f"has a type we cannot read: {type_text.strip()!r}")
        facts[name] = FactSpec(name, kind, choices, source)
    if not facts:
        raise CatalogError(str(path), None, "(table)", "declares no facts (rows like | `name` | type | … |)")
    return facts
