"""The benefit catalog: benefits, their criteria, and the texts that explain them.

A catalog is data (JSON), written by the policy authority and shipped in the signed bundle.
`parse_catalog` validates a whole catalog document strictly; every error names the file, the
benefit and the field, so whoever edits the policy can fix it without reading code.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.core.catalog import message
from kiosk.core.credentials.schemes import SCHEMES_BY_KIND, SUBJECT_KINDS
from kiosk.core.errors import KioskError
from kiosk.core.rules import CompiledExpression, RuleError, compile_expression, facts_read, is_truthy
from kiosk.core.text import LocalText

REMEDY_ROUTES = ("correct_record", "objection", "credit_repair", "retry_after", "register")
_ID_CHARS = frozenset(string.ascii_lowercase + string.digits + "-")
_FACTS_PREFIX = "facts."


class CatalogError(KioskError):
    def __init__(self, origin: str, benefit: str | None, field_name: str, problem: str) -> None:
        where = origin + (f", benefit {benefit!r}" if benefit else "") + f", field {field_name!r}"
        super().__init__(
            f"{where}: {problem}",
            message("core.benefits.text"),
        )
        self.origin = origin
        self.benefit = benefit
        self.field_name = field_name


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    title: LocalText
    rule: Any
    facts: tuple[str, ...]
    source_id: str
    source: LocalText
    passed: LocalText
    failed: LocalText
    unknown: LocalText
    remedy: LocalText
    unknown_remedy: LocalText
    remedy_route: str
    show_value: bool
    compiled: CompiledExpression = field(repr=False, compare=False)

    def passes(self, data: Mapping[str, Any]) -> bool:
        return is_truthy(self.compiled.evaluate(data))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title.to_json(),
            "rule": self.rule,
            "source": self.source_id,
            "passed": self.passed.to_json(),
            "failed": self.failed.to_json(),
            "unknown": self.unknown.to_json(),
            "remedy": self.remedy.to_json(),
            "unknown_remedy": self.unknown_remedy.to_json(),
            "remedy_route": self.remedy_route,
            "show_value": self.show_value,
        }


@dataclass(frozen=True, slots=True)
class Benefit:
    id: str
    kind: str
    schemes: frozenset[str]
    title: LocalText
    summary: LocalText
    legal_basis: LocalText
    authority_id: str
    authority: LocalText
    valid_hours: int
    criteria: tuple[Criterion, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "schemes": sorted(self.schemes),
            "title": self.title.to_json(),
            "summary": self.summary.to_json(),
            "legal_basis": self.legal_basis.to_json(),
            "authority": self.authority_id,
            "valid_hours": self.valid_hours,
            "criteria": [c.to_json() for c in self.criteria],
        }


@dataclass(frozen=True, slots=True)
class Catalog:
    version: str
    authorities: Mapping[str, LocalText]
    benefits: tuple[Benefit, ...]

    def get(self, benefit_id: str) -> Benefit | None:
        for benefit in self.benefits:
            if benefit.id == benefit_id:
                return benefit
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "authorities": {k: v.to_json() for k, v in self.authorities.items()},
            "benefits": [b.to_json() for b in self.benefits],
        }


_CATALOG_KEYS = {"version", "authorities", "benefits"}
_BENEFIT_KEYS = {
    "id", "kind", "schemes", "title", "summary", "legal_basis", "authority", "valid_hours",
    "criteria",
}
_CRITERION_KEYS = {
    "id", "title", "rule", "source", "passed", "failed", "unknown", "remedy", "unknown_remedy",
    "remedy_route", "show_value",
}
_TEXT_KEYS = ("title", "passed", "failed", "unknown", "remedy", "unknown_remedy")


def parse_catalog(
    document: object, *, origin: str = "catalog", benefit_origins: Sequence[str] | None = None
) -> Catalog:
    """Validate a catalog document: {"version", "authorities", "benefits": [...]}.

    `benefit_origins[i]` names where benefit i came from (its file) for error messages.
    """
    doc = _object(document, origin, None, "(catalog)", _CATALOG_KEYS)
    version = doc["version"]
    if not isinstance(version, str) or not version.strip():
        raise CatalogError(origin, None, "version", "must be a non-empty string")
    raw_authorities = _object(doc["authorities"], origin, None, "authorities", None)
    authorities = {
        key: _text(value, origin, None, f"authorities.{key}")
        for key, value in raw_authorities.items()
    }
    raw_benefits = doc["benefits"]
    if not isinstance(raw_benefits, list) or not raw_benefits:
        raise CatalogError(origin, None, "benefits", "must be a non-empty list")
    benefits: list[Benefit] = []
    for index, raw in enumerate(raw_benefits):
        where = benefit_origins[index] if benefit_origins else origin
        benefit = _benefit(raw, where, authorities)
        if any(b.id == benefit.id for b in benefits):
            raise CatalogError(where, benefit.id, "id", "is used by another benefit")
        benefits.append(benefit)
    return Catalog(version=version.strip(), authorities=authorities, benefits=tuple(benefits))


def _benefit(raw: object, origin: str, authorities: Mapping[str, LocalText]) -> Benefit:
    guess = raw.get("id") if isinstance(raw, dict) else None
    name = guess if isinstance(guess, str) else None
    doc = _object(raw, origin, name, "(benefit)", _BENEFIT_KEYS)
    benefit_id = _identifier(doc["id"], origin, None, "id")
    kind = doc["kind"]
    if kind not in SUBJECT_KINDS:
        raise CatalogError(origin, benefit_id, "kind", f"must be one of {SUBJECT_KINDS}")
    schemes = doc["schemes"]
    if (
        not isinstance(schemes, list)
        or not schemes
        or not all(isinstance(s, str) for s in schemes)
        or not set(schemes) <= SCHEMES_BY_KIND[kind]
    ):
        raise CatalogError(
            origin, benefit_id, "schemes",
            f"must be a non-empty list drawn from {sorted(SCHEMES_BY_KIND[kind])} for {kind}",
        )
    authority_id = _authority(doc["authority"], origin, benefit_id, "authority", authorities)
    valid_hours = doc["valid_hours"]
    if isinstance(valid_hours, bool) or not isinstance(valid_hours, int) or not 1 <= valid_hours <= 24 * 31:
        raise CatalogError(origin, benefit_id, "valid_hours", "must be a whole number of hours, 1 to 744")
    raw_criteria = doc["criteria"]
    if not isinstance(raw_criteria, list) or not 1 <= len(raw_criteria) <= 12:
        raise CatalogError(origin, benefit_id, "criteria", "must list 1 to 12 criteria")
    criteria: list[Criterion] = []
    for index, item in enumerate(raw_criteria):
        criterion = _criterion(item, origin, benefit_id, index, authorities)
        if any(c.id == criterion.id for c in criteria):
            raise CatalogError(origin, benefit_id, f"criteria[{index}].id", "is used twice")
        criteria.append(criterion)
    return Benefit(
        id=benefit_id,
        kind=kind,
        schemes=frozenset(schemes),
        title=_text(doc["title"], origin, benefit_id, "title"),
        summary=_text(doc["summary"], origin, benefit_id, "summary"),
        legal_basis=_text(doc["legal_basis"], origin, benefit_id, "legal_basis"),
        authority_id=authority_id,
        authority=authorities[authority_id],
        valid_hours=valid_hours,
        criteria=tuple(criteria),
    )


def _criterion(
    raw: object, origin: str, benefit_id: str, index: int, authorities: Mapping[str, LocalText]
) -> Criterion:
    prefix = f"criteria[{index}]"
    doc = _object(raw, origin, benefit_id, prefix, _CRITERION_KEYS)
    criterion_id = _identifier(doc["id"], origin, benefit_id, f"{prefix}.id")
    try:
        compiled = compile_expression(doc["rule"], criterion=criterion_id)
        paths = facts_read(doc["rule"])
    except RuleError as error:
        raise CatalogError(origin, benefit_id, f"{prefix}.rule", error.detail) from None
    facts = tuple(sorted(p[len(_FACTS_PREFIX):].split(".")[0] for p in paths if p.startswith(_FACTS_PREFIX)))
    if not facts:
        raise CatalogError(origin, benefit_id, f"{prefix}.rule", "reads no fact (facts.NAME)")
    stray = sorted(p for p in paths if not p.startswith(_FACTS_PREFIX) and p != "external.today")
    if stray:
        raise CatalogError(origin, benefit_id, f"{prefix}.rule", f"reads unknown data {stray}")
    show_value = doc["show_value"]
    if not isinstance(show_value, bool):
        raise CatalogError(origin, benefit_id, f"{prefix}.show_value", "must be true or false")
    texts = {key: _text(doc[key], origin, benefit_id, f"{prefix}.{key}") for key in _TEXT_KEYS}
    allowed = set(facts) if show_value else set()
    for key, text in texts.items():
        for language, value in (("zh-CN", text.zh), ("en", text.en)):
            named = _placeholders(value, origin, benefit_id, f"{prefix}.{key}.{language}")
            if not named <= allowed:
                raise CatalogError(
                    origin, benefit_id, f"{prefix}.{key}.{language}",
                    f"names {sorted(named - allowed)}, which it may not show"
                    + ("" if show_value else " (show_value is false)"),
                )
    route = doc["remedy_route"]
    if route not in REMEDY_ROUTES:
        raise CatalogError(origin, benefit_id, f"{prefix}.remedy_route", f"must be one of {REMEDY_ROUTES}")
    source_id = _authority(doc["source"], origin, benefit_id, f"{prefix}.source", authorities)
    return Criterion(
        id=criterion_id,
        title=texts["title"],
        rule=doc["rule"],
        facts=tuple(dict.fromkeys(facts)),
        source_id=source_id,
        source=authorities[source_id],
        passed=texts["passed"],
        failed=texts["failed"],
        unknown=texts["unknown"],
        remedy=texts["remedy"],
        unknown_remedy=texts["unknown_remedy"],
        remedy_route=route,
        show_value=show_value,
        compiled=compiled,
    )


def _object(
    value: object, origin: str, benefit: str | None, name: str, keys: set[str] | None
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CatalogError(origin, benefit, name, "must be a JSON object")
    if keys is not None:
        missing, extra = keys - set(value), set(value) - keys
        if missing:
            raise CatalogError(origin, benefit, name, f"is missing {sorted(missing)}")
        if extra:
            raise CatalogError(origin, benefit, name, f"has unknown field(s) {sorted(extra)}")
    return value


def _text(value: object, origin: str, benefit: str | None, name: str) -> LocalText:
    try:
        return LocalText.from_json(value)
    except ValueError as error:
        raise CatalogError(origin, benefit, name, str(error)) from None


def _identifier(value: object, origin: str, benefit: str | None, name: str) -> str:
    if not isinstance(value, str) or not value or not set(value) <= _ID_CHARS or len(value) > 64:
        raise CatalogError(origin, benefit, name, "must be lower-case letters, digits and '-'")
    return value


def _authority(
    value: object, origin: str, benefit: str, name: str, authorities: Mapping[str, LocalText]
) -> str:
    if not isinstance(value, str) or value not in authorities:
        raise CatalogError(origin, benefit, name, f"must name one of the authorities {sorted(authorities)}")
    return value


def _placeholders(template: str, origin: str, benefit: str, name: str) -> set[str]:
    try:
        return {part[1] for part in string.Formatter().parse(template) if part[1] is not None}
    except ValueError as error:
        raise CatalogError(origin, benefit, name, f"has a broken {{placeholder}}: {error}") from None
