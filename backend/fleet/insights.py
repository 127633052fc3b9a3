"""What the counters say, for the dashboard: uptake per benefit per day, the criteria that fail
or are unknown most, and each source authority's share of "unknown" (whose feed is failing
applicants). Pure functions over the store's totals and the policy catalog.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from kiosk.core.benefits import Catalog
from kiosk.core.heartbeat import CriterionCount, OutcomeCount
from kiosk.core.text import Locale

CHART_WIDTH = 280
CHART_HEIGHT = 40
TOP_CRITERIA = 10


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    eligible_y: float
    eligible_height: float
    day: str
    total: int
    eligible: int


@dataclass(frozen=True, slots=True)
class UptakeRow:
    benefit: str
    title: str
    bars: tuple[Bar, ...]
    total: int
    eligible: int


@dataclass(frozen=True, slots=True)
class CriterionRow:
    criterion: str
    title: str
    source: str
    failed: int
    unknown: int
    total: int


@dataclass(frozen=True, slots=True)
class FreshnessRow:
    authority: str
    name: str
    unknown: int
    total: int

    @property
    def unknown_share(self) -> float:
        return self.unknown / self.total if self.total else 0.0


def days_until(last: date, count: int) -> list[str]:
    return [(last - timedelta(days=count - 1 - i)).isoformat() for i in range(count)]


def uptake(outcomes: Iterable[OutcomeCount], catalog: Catalog, days: Sequence[str], locale: Locale) -> list[UptakeRow]:
    """One row per benefit counted (catalog order, then unknown ids), bars scaled to the busiest day."""
    totals: Counter[tuple[str, str]] = Counter()
    eligible: Counter[tuple[str, str]] = Counter()
    for row in outcomes:
        totals[row.benefit, row.day] += row.count
        if row.outcome == "eligible":
            eligible[row.benefit, row.day] += row.count
    counted = {benefit for benefit, _day in totals}
    order = [b.id for b in catalog.benefits if b.id in counted] + sorted(counted - {b.id for b in catalog.benefits})
    peak = max((totals[key] for key in totals if key[1] in days), default=0) or 1
    step = CHART_WIDTH / max(1, len(days))
    rows = []
    for benefit_id in order:
        bars = []
        for index, day in enumerate(days):
            total, yes = totals[benefit_id, day], eligible[benefit_id, day]
            height = CHART_HEIGHT * total / peak
            yes_height = CHART_HEIGHT * yes / peak
            bars.append(
                Bar(
                    round(index * step + 1, 1),
                    round(CHART_HEIGHT - height, 1),
                    round(step - 2, 1),
                    round(height, 1),
                    round(CHART_HEIGHT - yes_height, 1),
                    round(yes_height, 1),
                    day,
                    total,
                    yes,
                )
            )
        benefit = catalog.get(benefit_id)
        title = benefit.title.get(locale) if benefit is not None else benefit_id
        rows.append(
            UptakeRow(benefit_id, title, tuple(bars), sum(b.total for b in bars), sum(b.eligible for b in bars))
        )
    return rows


def _criteria_index(catalog: Catalog, locale: Locale) -> dict[str, tuple[str, str]]:
    """criterion id -> (title, source authority id), from the first benefit that has it."""
    index: dict[str, tuple[str, str]] = {}
    for benefit in catalog.benefits:
        for criterion in benefit.criteria:
            index.setdefault(criterion.id, (criterion.title.get(locale), criterion.source_id))
    return index


def criteria_ranking(counts: Iterable[CriterionCount], catalog: Catalog, locale: Locale) -> list[CriterionRow]:
    """The criteria that failed or were unknown most often, most first."""
    index = _criteria_index(catalog, locale)
    by_status: dict[str, Counter[str]] = {}
    for row in counts:
        by_status.setdefault(row.criterion, Counter())[row.status] += row.count
    rows = []
    for criterion, statuses in by_status.items():
        title, source_id = index.get(criterion, (criterion, ""))
        source = catalog.authorities[source_id].get(locale) if source_id in catalog.authorities else source_id
        rows.append(
            CriterionRow(criterion, title, source, statuses["failed"], statuses["unknown"], sum(statuses.values()))
        )
    rows = [row for row in rows if row.failed or row.unknown]
    rows.sort(key=lambda r: (-(r.failed + r.unknown), r.criterion))
    return rows[:TOP_CRITERIA]


def freshness(counts: Iterable[CriterionCount], catalog: Catalog, locale: Locale) -> list[FreshnessRow]:
    """Per source authority: how many of its criteria's results were "unknown", highest share first."""
    index = _criteria_index(catalog, locale)
    unknown: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for row in counts:
        source_id = index.get(row.criterion, ("", ""))[1]
        if not source_id:
            continue  # a criterion this service's policy does not know: no authority to name
        total[source_id] += row.count
        if row.status == "unknown":
            unknown[source_id] += row.count
    rows = [
        FreshnessRow(
            source_id,
            catalog.authorities[source_id].get(locale) if source_id in catalog.authorities else source_id,
            unknown[source_id],
            total[source_id],
        )
        for source_id in total
    ]
    rows.sort(key=lambda r: (-r.unknown_share, -r.total, r.authority))
    return rows
