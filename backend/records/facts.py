"""What an authority's feed may say: each fact's type and the one authority that holds it.

Read from the policy folder's FACTS.md table (the contract between the catalog, the backend
and credential minting; tests/core/test_catalog.py keeps it in step with the rules), so adding a
fact is one table row. The type column's phrases map to checks:

=================================  ======================================  =================
FACTS.md type                      JSON value                              CSV cell
=================================  ======================================  =================
``boolean``                        true / false                            true / false
``date``                           "YYYY-MM-DD"                            YYYY-MM-DD
``date or "none"``                 "YYYY-MM-DD" or "none"                  either
``integer >= 0``                   0, 1, ...                               0, 1, ...
```"A"` `"B"` ...`` (a list)       one of the strings                      one of them
=================================  ======================================  =================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

FACTS_FILE = "FACTS.md"
MAX_FACTS_FILE_BYTES = 256 * 1024
MAX_INTEGER = 10**9
_ROW = re.compile(r"^\|\s*`(?P<name>[a-z][a-z0-9_]*)`\s*\|(?P<type>[^|]+)\|[^|]*\|\s*`(?P<source>[a-z0-9-]+)`\s*\|")
_CHOICE = re.compile(r'`"([^"`]+)"`')


class FactTableError(Exception):
    """FACTS.md is missing or a row's type is not one this module knows."""


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    kind: str  # boolean | date | date_or_none | count | choice
    source: str
    choices: tuple[str, ...] = ()

    def from_json(self, value: Any) -> Any:
        """The value if it is of this fact's type; ValueError saying what was expected."""
        if self.kind == "boolean":
            if isinstance(value, bool):
                return value
            raise ValueError("must be true or false")
        if self.kind == "count":
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_INTEGER:
                return value
            raise ValueError(f"must be a whole number from 0 to {MAX_INTEGER}")
        if not isinstance(value, str):
            raise ValueError(f"must be {self.describe()}")
        if self.kind == "choice":
            if value in self.choices:
                return value
            raise ValueError(f"must be one of {', '.join(self.choices)}")
        if self.kind == "date_or_none" and value == "none":
            return value
        if len(value) == 10 and _is_iso_day(value):
            return value
        raise ValueError(f"must be {self.describe()}")

    def from_text(self, text: str) -> Any:
        """A CSV cell (not empty) as this fact's JSON value; ValueError if it is not one."""
        if self.kind == "boolean":
            if text in ("true", "false"):
                return text == "true"
            raise ValueError("must be true or false")
        if self.kind == "count":
            if text.isascii() and text.isdigit() and len(text) <= 10:
                return self.from_json(int(text))
            raise ValueError(f"must be a whole number from 0 to {MAX_INTEGER}")
        return self.from_json(text)

    def describe(self) -> str:
        return {
            "boolean": "true or false",
            "date": "a date YYYY-MM-DD",
            "date_or_none": 'a date YYYY-MM-DD or "none"',
            "count": "a whole number >= 0",
            "choice": "one of " + ", ".join(self.choices),
        }[self.kind]


def _is_iso_day(text: str) -> bool:
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def _kind(type_text: str) -> tuple[str, tuple[str, ...]]:
    text = type_text.strip()
    if text == "boolean":
        return "boolean", ()
    if text == "date":
        return "date", ()
    if text == 'date or `"none"`':
        return "date_or_none", ()
    if text.startswith("integer") and ">= 0" in text:
        return "count", ()
    choices = tuple(_CHOICE.findall(text))
    if choices and _CHOICE.sub("", text).strip() == "":
        return "choice", choices
    raise FactTableError(f"unknown fact type {text!r}")


def read_fact_table(policy_dir: Path) -> dict[str, FactSpec]:
    """fact name -> FactSpec, from ``policy_dir/FACTS.md``."""
    path = policy_dir / FACTS_FILE
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FACTS_FILE_BYTES + 1)
        text = raw[:MAX_FACTS_FILE_BYTES].decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FactTableError(f"{path}: cannot be read ({error})") from None
    table: dict[str, FactSpec] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = _ROW.match(line)
        if found is None:
            continue
        try:
            kind, choices = _kind(found["type"])
        except FactTableError as error:
            raise FactTableError(f"{path} line {number}: {error}") from None
        table[found["name"]] = FactSpec(found["name"], kind, found["source"], choices)
    if not table:
        raise FactTableError(f"{path}: holds no fact table")
    return table


def facts_of(table: Mapping[str, FactSpec], source: str) -> dict[str, FactSpec]:
    return {name: spec for name, spec in table.items() if spec.source == source}
