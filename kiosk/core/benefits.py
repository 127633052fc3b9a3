"""The benefit catalog: reading benefits, their criteria and texts (the model is policy_model).

A catalog is data (JSON), written by the policy authority and shipped in the signed bundle.
`parse_catalog` validates a whole catalog document strictly; every error names the file, the
benefit and the field, so whoever edits the policy can fix it without reading code.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kiosk.core.catalog import message
from kiosk.core.credentials.schemes import SCHEMES_BY_KIND, SUBJECT_KINDS
from kiosk.core.errors import KioskError
from kiosk.core.policy_dates import DEFAULT_TIME_ZONE, DateFieldError, Validity, parse_validity, zone
from kiosk.core.policy_model import Benefit, Catalog, Criterion
from kiosk.core.rules import CompiledExpression, RuleError, compile_expression
from kiosk.core.sites import SiteError, parse_sites
from kiosk.core.text import LocalText

if TYPE_CHECKING:
    from kiosk.core.examples import Example

REMEDY_ROUTES = ("correct_record", "objection", "credit_repair", "retry_after", "register")
_ID_CHARS = frozenset(string.ascii_lowercase + string.digits + "-")
_FACTS_PREFIX = "facts."
__all__ = ["Benefit", "Catalog", "CatalogError", "Criterion", "parse_catalog"]


class CatalogError(KioskError):
    def __init__(
        self, origin: str, benefit: str | None, field_name: str, problem: str, *, site: str | None = None
    ) -> None:
        where = (
            origin + (f", benefit {benefit!r}" if benefit else "") + (f", site {site!r}" if site else "")
            + f", field {field_name!r}"
        )
        super().__init__(
            f"{where}: {problem}",
            message("core.benefits.text"),
        )
        self.origin = origin
        self.benefit = benefit
        self.field_name = field_name
        self.problem = problem
        self.site = site


_CATALOG_KEYS = {"version", "authorities", "benefits"}
_CATALOG_OPTIONAL = {"time_zone", "sites"}
_BENEFIT_KEYS = {
    "id", "kind", "schemes", "title", "summary", "legal_basis", "authority", "valid_hours",
    "criteria",
}
_BENEFIT_OPTIONAL = {"valid_from", "valid_to", "change", "examples"}
_CRITERION_KEYS = {
    "id", "title", "rule", "source", "passed", "failed", "unknown", "remedy", "unknown_remedy",
    "remedy_route", "show_value",
}
_CRITERION_OPTIONAL = {"valid_from", "valid_to", "change", "dates", "dated_remedy"}
_MAX_VERSIONS = 48
_TEXT_KEYS = ("title", "passed", "failed", "unknown", "remedy", "unknown_remedy")


def parse_catalog(
    document: object, *, origin: str = "catalog", benefit_origins: Sequence[str] | None = None,
    sites_origin: str | None = None,
) -> Catalog:
    """Validate a catalog document: {"version", "authorities", "benefits": [...], "sites"?: [...]}.

    `benefit_origins[i]` names where benefit i came from (its file), `sites_origin` where the
    site presets did, for error messages.
    """
    doc = _object(document, origin, None, "(catalog)", _CATALOG_KEYS, _CATALOG_OPTIONAL)
    time_zone = doc.get("time_zone", DEFAULT_TIME_ZONE)
    try:
        zone(time_zone if isinstance(time_zone, str) else "")
    except DateFieldError as error:
        raise CatalogError(origin, None, "time_zone", str(error)) from None
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
        benefit = _benefit(raw, where, authorities, time_zone)
        if any(b.id == benefit.id for b in benefits):
            raise CatalogError(where, benefit.id, "id", "is used by another benefit")
        benefits.append(benefit)
    try:
        sites = parse_sites(doc.get("sites", []), {b.id for b in benefits})
    except SiteError as error:
        raise CatalogError(sites_origin or origin, None, error.field_name, error.problem, site=error.site) from None
    return Catalog(
        version=version.strip(), authorities=authorities, benefits=tuple(benefits),
        time_zone=time_zone, sites=sites,
    )


def _benefit(
    raw: object, origin: str, authorities: Mapping[str, LocalText], time_zone: str
) -> Benefit:
    guess = raw.get("id") if isinstance(raw, dict) else None
    name = guess if isinstance(guess, str) else None
    doc = _object(raw, origin, name, "(benefit)", _BENEFIT_KEYS, _BENEFIT_OPTIONAL)
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
    validity = _validity(doc, origin, benefit_id, "")
    raw_criteria = doc["criteria"]
    if not isinstance(raw_criteria, list) or not 1 <= len(raw_criteria) <= _MAX_VERSIONS:
        raise CatalogError(
            origin, benefit_id, "criteria", f"must list 1 to 12 criteria (at most {_MAX_VERSIONS} versions)"
        )
    criteria: list[Criterion] = []
    for index, item in enumerate(raw_criteria):
        criterion = _criterion(item, origin, benefit_id, index, authorities)
        if any(c.id == criterion.id and c.validity == criterion.validity for c in criteria):
            # Versions of one criterion are told apart by their dates; two with the same
            # dates are the same criterion written twice.
            raise CatalogError(
                origin, benefit_id, f"criteria[{index}].id",
                "is used twice with the same dates; versions of a criterion need their own "
                "valid_from / valid_to",
            )
        criteria.append(criterion)
    if len({c.id for c in criteria}) > 12:
        raise CatalogError(origin, benefit_id, "criteria", "must hold 1 to 12 distinct criteria")
    change = _optional_text(doc, "change", origin, benefit_id, "change")
    examples = _examples(doc, origin, benefit_id, {c.id for c in criteria})
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
        validity=validity,
        time_zone=time_zone,
        change=change,
        examples=examples,
    )


def _examples(doc: dict[str, Any], origin: str, benefit_id: str, criterion_ids: set[str]) -> tuple[Example, ...]:
    if "examples" not in doc:
        return ()
    # Imported here: only policy files carry examples (a bundle leaves them out, see
    # Benefit.to_json), so a kiosk loading its bundle at start need not import their parser.
    from kiosk.core.examples import ExampleError, parse_examples

    try:
        return parse_examples(doc["examples"], criterion_ids)
    except ExampleError as error:
        raise CatalogError(origin, benefit_id, error.field_name, error.problem) from None


def _criterion(
    raw: object, origin: str, benefit_id: str, index: int, authorities: Mapping[str, LocalText]
) -> Criterion:
    prefix = f"criteria[{index}]"
    doc = _object(raw, origin, benefit_id, prefix, _CRITERION_KEYS, _CRITERION_OPTIONAL)
    criterion_id = _identifier(doc["id"], origin, benefit_id, f"{prefix}.id")
    validity = _validity(doc, origin, benefit_id, prefix + ".")
    dates, compiled_dates, date_facts = _dates(doc.get("dates", {}), origin, benefit_id, prefix, criterion_id)
    try:
        compiled = compile_expression(doc["rule"], criterion=criterion_id)
    except RuleError as error:
        raise CatalogError(origin, benefit_id, f"{prefix}.rule", error.detail) from None
    paths = compiled.facts  # what facts_read() gives, without compiling the rule a second time
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
    dated_remedy = _optional_text(doc, "dated_remedy", origin, benefit_id, f"{prefix}.dated_remedy")
    change = _optional_text(doc, "change", origin, benefit_id, f"{prefix}.change")
    if dated_remedy is not None and not dates:
        raise CatalogError(origin, benefit_id, f"{prefix}.dated_remedy", "needs the dates it names (field 'dates')")
    allowed = set(facts) if show_value else set()
    checked = dict(texts)
    if dated_remedy is not None:
        checked["dated_remedy"] = dated_remedy
    for key, text in checked.items():
        may_name = allowed | set(dates) if key == "dated_remedy" else allowed
        for language, value in (("zh-CN", text.zh), ("en", text.en)):
            named = _placeholders(value, origin, benefit_id, f"{prefix}.{key}.{language}")
            if not named <= may_name:
                raise CatalogError(
                    origin, benefit_id, f"{prefix}.{key}.{language}",
                    f"names {sorted(named - may_name)}, which it may not show"
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
        validity=validity,
        change=change,
        dates=dates,
        compiled_dates=compiled_dates,
        date_facts=tuple(sorted(date_facts)),
        dated_remedy=dated_remedy,
    )


def _validity(doc: dict[str, Any], origin: str, benefit_id: str, prefix: str) -> Validity:
    try:
        return parse_validity(doc)
    except DateFieldError as error:
        name, _, problem = str(error).partition("|")
        raise CatalogError(origin, benefit_id, prefix + name, problem) from None


def _optional_text(
    doc: dict[str, Any], key: str, origin: str, benefit_id: str, name: str
) -> LocalText | None:
    return _text(doc[key], origin, benefit_id, name) if key in doc else None


def _dates(
    raw: object, origin: str, benefit_id: str, prefix: str, criterion_id: str
) -> tuple[dict[str, Any], dict[str, CompiledExpression], set[str]]:
    if not isinstance(raw, dict) or len(raw) > 4:
        raise CatalogError(origin, benefit_id, f"{prefix}.dates", "must be an object of at most 4 named rules")
    compiled: dict[str, CompiledExpression] = {}
    read: set[str] = set()
    for name, rule in raw.items():
        if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
            raise CatalogError(origin, benefit_id, f"{prefix}.dates", f"{name!r} is not a name like repair_from")
        try:
            compiled[name] = compile_expression(rule, criterion=criterion_id)
        except RuleError as error:
            raise CatalogError(origin, benefit_id, f"{prefix}.dates.{name}", error.detail) from None
        paths = compiled[name].facts
        stray = sorted(p for p in paths if not p.startswith(_FACTS_PREFIX) and p != "external.today")
        if stray:
            raise CatalogError(origin, benefit_id, f"{prefix}.dates.{name}", f"reads unknown data {stray}")
        read |= {p[len(_FACTS_PREFIX):].split(".")[0] for p in paths if p.startswith(_FACTS_PREFIX)}
    return dict(raw), compiled, read


def _object(
    value: object, origin: str, benefit: str | None, name: str, keys: set[str] | None,
    optional: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CatalogError(origin, benefit, name, "must be a JSON object")
    if keys is not None:
        missing, extra = keys - set(value), set(value) - keys - optional
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
