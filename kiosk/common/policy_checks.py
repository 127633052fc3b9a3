"""The checks a policy folder must pass before it is signed and sent to every kiosk.

``check_policy(folder)`` reads the folder (a folder that does not parse raises CatalogError:
the caller's exit 3) and returns every problem found, one line each:

- a worked example whose outcome or criterion status differs from what decide() gives;
- a criterion version without an example where it passes and one where it fails;
- a rule (or remedy date) reading a fact FACTS.md does not declare, or one its criterion's
  source authority does not hold;
- two versions of one criterion in force on the same day;
- a text present in one language only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.common.facts_table import FactSpec, read_facts_table
from kiosk.common.policy_folder import SITES_FILE, read_policy_document
from kiosk.core.benefits import Benefit, Catalog, parse_catalog
from kiosk.core.decision import NotInForce
from kiosk.core.example_runs import decide_example, run_example
from kiosk.core.text import LOCALES


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    benefit: str | None
    what: str  # "example 'NAME', criterion ID" or "criterion ID" or "field X"
    message: str
    kind: str  # example | coverage | facts | overlap | language

    def line(self) -> str:
        where = self.file + (f": benefit {self.benefit}" if self.benefit else "")
        return f"{where}, {self.what}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "benefit": self.benefit, "where": self.what,
                "problem": self.message, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class CheckReport:
    catalog: Catalog | None
    examples_run: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_policy(folder: Path) -> CheckReport:
    document, origins = read_policy_document(folder)
    missing = list(_one_language_texts(document["benefits"], origins))
    if missing:
        # A text in one language would also stop parsing; say all of them at once instead.
        return CheckReport(None, 0, tuple(missing))
    catalog = parse_catalog(
        document, origin=str(folder / "policy.json"), benefit_origins=origins,
        sites_origin=str(folder / SITES_FILE),
    )
    facts = read_facts_table(folder / "FACTS.md")
    files = dict(zip((b.id for b in catalog.benefits), origins, strict=True))
    problems: list[Problem] = []
    count = 0
    for benefit in catalog.benefits:
        file = files[benefit.id]
        problems += _overlaps(benefit, file)
        problems += _facts(benefit, file, facts)
        for example in benefit.examples:
            count += 1
            for failure in run_example(benefit, example, catalog.version):
                what = f"example {failure.example!r}" + (
                    f", criterion {failure.criterion}" if failure.criterion else ", outcome"
                )
                problems.append(Problem(file, benefit.id, what,
                                        f"expected {failure.expected}, got {failure.got}", "example"))
        problems += _coverage(benefit, file, catalog.version)
    return CheckReport(catalog, count, tuple(problems))


def _overlaps(benefit: Benefit, file: str) -> Iterator[Problem]:
    for criterion_id in benefit.criterion_ids:
        versions = benefit.versions_of(criterion_id)
        for i, first in enumerate(versions):
            for second in versions[i + 1:]:
                if first.validity.overlaps(second.validity):
                    yield Problem(
                        file, benefit.id, f"criterion {criterion_id}",
                        f"versions {first.validity.describe()} and {second.validity.describe()} "
                        "overlap; a day must have one version", "overlap",
                    )


def _facts(benefit: Benefit, file: str, table: Mapping[str, FactSpec]) -> Iterator[Problem]:
    for criterion in benefit.criteria:
        for fact in sorted({*criterion.facts, *criterion.date_facts}):
            spec = table.get(fact)
            if spec is None:
                yield Problem(file, benefit.id, f"criterion {criterion.id}",
                              f"reads fact {fact!r}, which FACTS.md does not declare", "facts")
            elif spec.source != criterion.source_id:
                yield Problem(
                    file, benefit.id, f"criterion {criterion.id}",
                    f"reads fact {fact!r}, held by {spec.source!r}, but its source is "
                    f"{criterion.source_id!r}", "facts",
                )


def _coverage(benefit: Benefit, file: str, policy_version: str) -> Iterator[Problem]:
    """Each criterion version needs a worked example where it passes and one where it fails."""
    seen: dict[tuple[str, str], set[str]] = {}
    for example in benefit.examples:
        try:
            decision = decide_example(benefit, example, policy_version, LOCALES[0])
        except NotInForce:  # reported by run_example
            continue
        for result in decision.criteria:
            expected = example.criteria.get(result.id)
            if expected is not None and expected == result.status.value:
                seen.setdefault((result.id, result.rule_version), set()).add(expected)
    for criterion in benefit.criteria:
        statuses = seen.get((criterion.id, criterion.rule_version), set())
        for status in ("passed", "failed"):
            if status not in statuses:
                yield Problem(
                    file, benefit.id, f"criterion {criterion.id} (version {criterion.rule_version})",
                    f"has no worked example where it is {status}", "coverage",
                )


_LANGUAGES = {"zh-CN", "en"}


def _one_language_texts(benefits: list[Any], origins: list[str]) -> Iterator[Problem]:
    for raw, file in zip(benefits, origins, strict=True):
        benefit_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        for path, text in _texts(raw, ""):
            for language in sorted(_LANGUAGES):
                value = text.get(language)
                if not isinstance(value, str) or not value.strip():
                    yield Problem(file, benefit_id, f"field {path}", f"has no {language} text", "language")


def _texts(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object that looks like a text (keys only zh-CN / en), with its path."""
    if isinstance(value, dict):
        if value and set(value) <= _LANGUAGES:
            yield path, value
            return
        for key, item in value.items():
            if key in ("rule", "dates", "facts"):
                continue
            yield from _texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")
