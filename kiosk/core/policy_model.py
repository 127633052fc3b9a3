"""The policy model: a catalog of benefits, their criteria (in dated versions) and texts.

Built only by :func:`kiosk.core.benefits.parse_catalog`, which validates the JSON an authority
writes; everything here is immutable, and picking the versions in force on a day is cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from kiosk.core.policy_dates import DEFAULT_TIME_ZONE, Validity, local_day
from kiosk.core.rules import CompiledExpression, is_truthy
from kiosk.core.sites import SitePreset
from kiosk.core.text import LocalText

if TYPE_CHECKING:
    from kiosk.core.examples import Example  # parsed only from policy files (benefits.py)

_ALWAYS = Validity()


@dataclass(frozen=True, slots=True)
class Criterion:
    """One version of one criterion: its rule, the facts it reads, its texts and dates."""

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
    validity: Validity = _ALWAYS
    change: LocalText | None = None
    # Dates a remedy names ({repair_from}): CertLogic expressions over facts, with the rule
    # (and the law's figures, cited in the text) in the policy file, not in code.
    dates: Mapping[str, Any] = field(default_factory=dict, compare=False)
    compiled_dates: Mapping[str, CompiledExpression] = field(default_factory=dict, repr=False, compare=False)
    date_facts: tuple[str, ...] = ()
    dated_remedy: LocalText | None = None

    @property
    def rule_version(self) -> str:
        """Names the version that decides: its first day in force, or "-" for an undated one."""
        return self.validity.valid_from.isoformat() if self.validity.valid_from else "-"

    def passes(self, data: Mapping[str, Any]) -> bool:
        return is_truthy(self.compiled.evaluate(data))

    def to_json(self) -> dict[str, Any]:
        body = {
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
            **self.validity.to_json(),
        }
        if self.change is not None:
            body["change"] = self.change.to_json()
        if self.dates:
            body["dates"] = dict(self.dates)
        if self.dated_remedy is not None:
            body["dated_remedy"] = self.dated_remedy.to_json()
        return body


@dataclass(frozen=True, slots=True)
class Benefit:
    """One benefit on offer: who may apply, with what, its criteria in every dated version."""

    id: str
    kind: str
    schemes: frozenset[str]
    title: LocalText
    summary: LocalText
    legal_basis: LocalText
    authority_id: str
    authority: LocalText
    valid_hours: int
    criteria: tuple[Criterion, ...]  # every version, in file order
    validity: Validity = _ALWAYS
    time_zone: str = DEFAULT_TIME_ZONE
    change: LocalText | None = None
    examples: tuple[Example, ...] = field(default=(), compare=False)
    _by_day: dict[date, tuple[Criterion, ...]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.id for c in self.criteria))

    def versions_of(self, criterion_id: str) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.id == criterion_id)

    def criteria_on(self, day: date) -> tuple[Criterion, ...]:
        """The criteria in force on ``day`` (one version each); empty if the benefit is not."""
        kept = self._by_day.get(day)
        if kept is None:
            if not self.validity.contains(day):
                kept = ()
            else:
                chosen: dict[str, Criterion] = {}
                for criterion in self.criteria:
                    if criterion.id not in chosen and criterion.validity.contains(day):
                        chosen[criterion.id] = criterion
                kept = tuple(chosen.values())
            if len(self._by_day) > 64:  # a long-running backend sees one new day a day
                self._by_day.clear()
            self._by_day[day] = kept
        return kept

    def in_force(self, day: date) -> bool:
        return bool(self.criteria_on(day))

    def within(self, first: date, last: date) -> Benefit | None:
        """Only the versions in force on some day from ``first`` to ``last`` (None if none)."""
        window = Validity(first, last)
        if not self.validity.overlaps(window):
            return None
        kept = tuple(c for c in self.criteria if c.validity.overlaps(window))
        if not kept:
            return None
        return Benefit(
            id=self.id, kind=self.kind, schemes=self.schemes, title=self.title,
            summary=self.summary, legal_basis=self.legal_basis, authority_id=self.authority_id,
            authority=self.authority, valid_hours=self.valid_hours, criteria=kept,
            validity=self.validity, time_zone=self.time_zone, change=self.change,
        )

    def to_json(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "kind": self.kind,
            "schemes": sorted(self.schemes),
            "title": self.title.to_json(),
            "summary": self.summary.to_json(),
            "legal_basis": self.legal_basis.to_json(),
            "authority": self.authority_id,
            "valid_hours": self.valid_hours,
            "criteria": [c.to_json() for c in self.criteria],
            **self.validity.to_json(),
        }
        if self.change is not None:
            body["change"] = self.change.to_json()
        return body


@dataclass(frozen=True, slots=True)
class Catalog:
    """The policy a kiosk decides by: the authorities, the benefits and the site presets."""

    version: str
    authorities: Mapping[str, LocalText]
    benefits: tuple[Benefit, ...]
    time_zone: str = DEFAULT_TIME_ZONE
    sites: tuple[SitePreset, ...] = ()

    def get(self, benefit_id: str) -> Benefit | None:
        for benefit in self.benefits:
            if benefit.id == benefit_id:
                return benefit
        return None

    def day_of(self, moment: datetime) -> date:
        """The policy-local calendar day of ``moment``: the day that picks versions."""
        return local_day(moment, self.time_zone)

    def site(self, site_id: str) -> SitePreset | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def offered(self, day: date, only: tuple[str, ...] | None = None) -> tuple[Benefit, ...]:
        """The benefits in force on ``day`` (the others are not offered at all): all of them
        in catalog order, or, for a site, only those ``only`` names, in its order."""
        if only is None:
            return tuple(b for b in self.benefits if b.in_force(day))
        chosen = (self.get(benefit_id) for benefit_id in only)
        return tuple(b for b in chosen if b is not None and b.in_force(day))

    def within(self, first: date, last: date) -> Catalog:
        """The versions in force on some day from ``first`` to ``last``: what a bundle carries.

        A site keeps only the benefits still carried: a benefit whose law has ended leaves its
        sites' lists, so the bundle never names what it does not hold.
        """
        kept = tuple(b for b in (b.within(first, last) for b in self.benefits) if b is not None)
        ids = {b.id for b in kept}
        sites = tuple(s.keeping(ids) for s in self.sites)
        return Catalog(self.version, self.authorities, kept, self.time_zone, sites)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "version": self.version,
            "authorities": {k: v.to_json() for k, v in self.authorities.items()},
            "benefits": [b.to_json() for b in self.benefits],
        }
        if self.time_zone != DEFAULT_TIME_ZONE:
            body["time_zone"] = self.time_zone
        if self.sites:
            body["sites"] = [s.to_json() for s in self.sites]
        return body
