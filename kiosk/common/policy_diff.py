"""What changed between two policies (folders or signed bundles): benefits and criteria added,
removed and changed (rule, texts, dates), and site presets, each said in both languages.

Versions of a criterion are matched by id when each side has one, else by their valid_from,
so moving a date reads as "dates changed" rather than a removal and an addition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.common.policy_folder import load_catalog
from kiosk.core.benefits import Benefit, Catalog, CatalogError, Criterion, parse_catalog
from kiosk.core.bundle import MAX_BUNDLE_BYTES
from kiosk.core.catalog import message
from kiosk.core.text import LocalText

_FIELD_ORDER = ("rule", "texts", "dates", "source", "other")
_CRITERION_GROUPS = {
    "rule": ("rule",), "dates": ("valid_from", "valid_to"), "source": ("source",),
    "texts": ("title", "passed", "failed", "unknown", "remedy", "unknown_remedy", "dated_remedy", "change"),
    "other": ("show_value", "remedy_route", "dates"),
}
_BENEFIT_GROUPS = {
    "texts": ("title", "summary", "legal_basis", "change"), "dates": ("valid_from", "valid_to"),
    "source": ("authority",), "other": ("kind", "schemes", "valid_hours"),
}


@dataclass(frozen=True, slots=True)
class Change:
    benefit: str
    criterion: str | None
    version: str | None
    kind: str  # added | removed | changed
    fields: tuple[str, ...]

    def text(self) -> LocalText:
        subject = "criterion" if self.criterion else "benefit"
        params: dict[str, Any] = {"benefit": self.benefit, "criterion": self.criterion, "version": self.version}
        if self.kind != "changed":
            return message(f"diff.{subject}_{self.kind}", **params)
        zh_fields = "、".join(message(f"diff.field.{f}").zh for f in self.fields)
        en_fields = ", ".join(message(f"diff.field.{f}").en for f in self.fields)
        zh = message(f"diff.{subject}_changed", **params, fields=zh_fields).zh
        en = message(f"diff.{subject}_changed", **params, fields=en_fields).en
        return LocalText(zh, en)

    def to_json(self) -> dict[str, Any]:
        return {"benefit": self.benefit, "criterion": self.criterion, "version": self.version,
                "change": self.kind, "fields": list(self.fields), "text": self.text().to_json()}


_SITE_GROUPS = {
    "offer": ("benefits", "single_benefit"),
    "start": ("locale", "view", "speak_results"),
    "texts": ("name", "counter_name"),
}
_SITE_FIELD_ORDER = ("offer", "start", "texts")


@dataclass(frozen=True, slots=True)
class SiteChange:
    """A site preset added, removed or changed (what it offers, how sessions start, its names)."""

    site: str
    kind: str  # added | removed | changed
    fields: tuple[str, ...]

    def text(self) -> LocalText:
        if self.kind != "changed":
            return message(f"diff.site_{self.kind}", site=self.site)
        zh_fields = "、".join(message(f"diff.field.{f}").zh for f in self.fields)
        en_fields = ", ".join(message(f"diff.field.{f}").en for f in self.fields)
        return LocalText(
            message("diff.site_changed", site=self.site, fields=zh_fields).zh,
            message("diff.site_changed", site=self.site, fields=en_fields).en,
        )

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site, "change": self.kind, "fields": list(self.fields), "text": self.text().to_json()}


def diff_sites(old: Catalog, new: Catalog) -> list[SiteChange]:
    before = {s.id: s.to_json() for s in old.sites}
    after = {s.id: s.to_json() for s in new.sites}
    changes = [SiteChange(site_id, "removed", ()) for site_id in before.keys() - after.keys()]
    for site_id, body in after.items():
        if site_id not in before:
            changes.append(SiteChange(site_id, "added", ()))
            continue
        fields = tuple(
            group for group in _SITE_FIELD_ORDER
            if any(before[site_id].get(key) != body.get(key) for key in _SITE_GROUPS[group])
        )
        if fields:
            changes.append(SiteChange(site_id, "changed", fields))
    return sorted(changes, key=lambda c: c.site)


def load_side(path: Path) -> Catalog:
    """A policy folder, or a bundle file's catalog (its signature is not checked here)."""
    if path.is_dir():
        return load_catalog(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BUNDLE_BYTES + 1)
    except OSError as error:
        raise CatalogError(str(path), None, "(file)", f"cannot be read: {error.strerror}") from None
    if len(raw) > MAX_BUNDLE_BYTES:
        raise CatalogError(str(path), None, "(file)", f"is larger than {MAX_BUNDLE_BYTES} bytes")
    try:
        document = json.loads(raw.decode("utf-8"))
        catalog = document["payload"]["catalog"]
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, KeyError, TypeError):
        raise CatalogError(str(path), None, "(file)", "is neither a policy folder nor a bundle") from None
    return parse_catalog(catalog, origin=str(path))


def diff_catalogs(old: Catalog, new: Catalog) -> list[Change]:
    changes: list[Change] = []
    old_ids = {b.id: b for b in old.benefits}
    new_ids = {b.id: b for b in new.benefits}
    for benefit_id in old_ids.keys() - new_ids.keys():
        changes.append(Change(benefit_id, None, None, "removed", ()))
    for benefit in new.benefits:
        before = old_ids.get(benefit.id)
        if before is None:
            changes.append(Change(benefit.id, None, None, "added", ()))
            continue
        fields = _changed(before.to_json(), benefit.to_json(), _BENEFIT_GROUPS)
        if fields:
            changes.append(Change(benefit.id, None, None, "changed", fields))
        changes.extend(_criteria(before, benefit))
    return sorted(changes, key=lambda c: (c.benefit, c.criterion or "", c.version or ""))


def _criteria(old: Benefit, new: Benefit) -> list[Change]:
    changes: list[Change] = []
    for criterion_id in dict.fromkeys((*old.criterion_ids, *new.criterion_ids)):
        before, after = old.versions_of(criterion_id), new.versions_of(criterion_id)
        pairs: list[tuple[Criterion | None, Criterion | None]]
        if len(before) == 1 and len(after) == 1:
            pairs = [(before[0], after[0])]
        else:
            starts = {c.rule_version: c for c in before}
            pairs = [(starts.pop(c.rule_version, None), c) for c in after]
            pairs += [(c, None) for c in starts.values()]
        for first, second in pairs:
            if second is None and first is not None:
                changes.append(Change(new.id, criterion_id, first.rule_version, "removed", ()))
            elif first is None and second is not None:
                changes.append(Change(new.id, criterion_id, second.rule_version, "added", ()))
            elif first is not None and second is not None:
                fields = _changed(first.to_json(), second.to_json(), _CRITERION_GROUPS)
                if fields:
                    changes.append(Change(new.id, criterion_id, second.rule_version, "changed", fields))
    return changes


def _changed(old: dict[str, Any], new: dict[str, Any], groups: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(
        group for group in _FIELD_ORDER
        if group in groups and any(old.get(key) != new.get(key) for key in groups[group])
    )
