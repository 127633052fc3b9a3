"""Site presets: what one hall (or group of kiosks) offers and how its screen starts.

A preset is policy data, so it travels in the signed bundle beside the benefits it names and a
kiosk cannot be told to offer something the authority did not sign. Every field but ``id`` and
``benefits`` is optional; what a preset leaves out, the kiosk's own config decides.

    {"id": "rental-hall",                        # a kiosk's config names it: site = "rental-hall"
     "name": {"zh-CN": "…", "en": "…"},          # optional, shown to staff
     "benefits": ["deposit-free-rental"],        # offered, in this order
     "single_benefit": true,                     # optional: skip the list (exactly one benefit)
     "locale": "zh-CN" | "en",                   # optional: every session starts in it
     "view": "standard" | "elder",               # optional: every session starts in it
     "speak_results": true | false,              # optional: read each result aloud
     "counter_name": {"zh-CN": "…", "en": "…"}}  # optional: on tickets, slips and readouts
"""

from __future__ import annotations

import string
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

from kiosk.core.text import LOCALES, Locale, LocalText

MAX_SITES = 1000
MAX_COUNTER_CHARS = 40  # the ticket and the slip have one line for it
VIEWS = ("standard", "elder")
_KEYS = {"id", "benefits"}
_OPTIONAL = {"name", "single_benefit", "locale", "view", "speak_results", "counter_name"}
_ID_CHARS = frozenset(string.ascii_lowercase + string.digits + "-")


class SiteError(ValueError):
    """One problem with one site: which site (if known), which field, what is wrong."""

    def __init__(self, site: str | None, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.site = site
        self.field_name = field_name
        self.problem = problem


@dataclass(frozen=True, slots=True)
class SitePreset:
    """A site preset as the policy writes it: which benefits a counter offers, and how."""

    id: str
    benefits: tuple[str, ...]
    name: LocalText | None = None
    single_benefit: bool = False
    locale: Locale | None = None
    elder_view: bool | None = None
    speak_results: bool | None = None
    counter_name: LocalText | None = None

    def keeping(self, benefit_ids: Collection[str]) -> SitePreset:
        """The same preset offering only those of its benefits that are in ``benefit_ids``."""
        kept = tuple(b for b in self.benefits if b in benefit_ids)
        return SitePreset(
            self.id,
            kept,
            self.name,
            self.single_benefit and len(kept) == 1,
            self.locale,
            self.elder_view,
            self.speak_results,
            self.counter_name,
        )

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "benefits": list(self.benefits)}
        if self.name is not None:
            body["name"] = self.name.to_json()
        if self.single_benefit:
            body["single_benefit"] = True
        if self.locale is not None:
            body["locale"] = self.locale
        if self.elder_view is not None:
            body["view"] = "elder" if self.elder_view else "standard"
        if self.speak_results is not None:
            body["speak_results"] = self.speak_results
        if self.counter_name is not None:
            body["counter_name"] = self.counter_name.to_json()
        return body


def parse_sites(raw: object, benefit_ids: Collection[str]) -> tuple[SitePreset, ...]:
    """Validate a list of site objects against the catalog's benefit ids; SiteError if not."""
    if not isinstance(raw, list) or len(raw) > MAX_SITES:
        raise SiteError(None, "sites", f"must be a list of at most {MAX_SITES} sites")
    sites: list[SitePreset] = []
    for index, item in enumerate(raw):
        site = _site(item, index, benefit_ids)
        if any(s.id == site.id for s in sites):
            raise SiteError(site.id, f"sites[{index}].id", "is used by another site")
        sites.append(site)
    return tuple(sites)


def _site(raw: object, index: int, benefit_ids: Collection[str]) -> SitePreset:
    where = f"sites[{index}]"
    if not isinstance(raw, dict):
        raise SiteError(None, where, "must be a JSON object")
    doc = cast(dict[str, Any], raw)
    guess = doc.get("id")
    name = guess if isinstance(guess, str) else None
    missing, extra = _KEYS - set(doc), set(doc) - _KEYS - _OPTIONAL
    if missing:
        raise SiteError(name, where, f"is missing {sorted(missing)}")
    if extra:
        raise SiteError(name, where, f"has unknown field(s) {sorted(extra)}")
    site_id = doc["id"]
    if not isinstance(site_id, str) or not site_id or not set(site_id) <= _ID_CHARS or len(site_id) > 64:
        raise SiteError(None, f"{where}.id", "must be lower-case letters, digits and '-'")
    benefits = doc["benefits"]
    if not isinstance(benefits, list) or not benefits or not all(isinstance(b, str) for b in benefits):
        raise SiteError(site_id, f"{where}.benefits", "must be a non-empty list of benefit ids")
    for position, benefit in enumerate(benefits):
        if benefit not in benefit_ids:
            raise SiteError(
                site_id, f"{where}.benefits[{position}]", f"names {benefit!r}, which is not a benefit of this policy"
            )
        if benefit in benefits[:position]:
            raise SiteError(site_id, f"{where}.benefits[{position}]", f"names {benefit!r} twice")
    single = doc.get("single_benefit", False)
    if not isinstance(single, bool):
        raise SiteError(site_id, f"{where}.single_benefit", "must be true or false")
    if single and len(benefits) != 1:
        raise SiteError(site_id, f"{where}.single_benefit", "needs exactly one benefit in 'benefits'")
    locale = doc.get("locale")
    if locale is not None and locale not in LOCALES:
        raise SiteError(site_id, f"{where}.locale", f"must be one of {', '.join(LOCALES)}, not {locale!r}")
    view = doc.get("view")
    if view is not None and view not in VIEWS:
        raise SiteError(site_id, f"{where}.view", f"must be one of {', '.join(VIEWS)}")
    speak = doc.get("speak_results")
    if speak is not None and not isinstance(speak, bool):
        raise SiteError(site_id, f"{where}.speak_results", "must be true or false")
    return SitePreset(
        id=site_id,
        benefits=tuple(benefits),
        name=_text(doc, "name", site_id, where, None),
        single_benefit=single,
        locale=cast(Locale | None, locale),
        elder_view=None if view is None else view == "elder",
        speak_results=speak,
        counter_name=_text(doc, "counter_name", site_id, where, MAX_COUNTER_CHARS),
    )


def _text(doc: dict[str, Any], key: str, site_id: str, where: str, limit: int | None) -> LocalText | None:
    if key not in doc:
        return None
    try:
        text = LocalText.from_json(doc[key])
    except ValueError as error:
        raise SiteError(site_id, f"{where}.{key}", str(error)) from None
    if limit is not None and (len(text.zh) > limit or len(text.en) > limit):
        raise SiteError(site_id, f"{where}.{key}", f"must be at most {limit} characters in each language")
    return LocalText(text.zh.strip(), text.en.strip())
