"""What the transparency screen says about dates: in force since when, and what is announced.

Derived from the versions the bundle carries (every version in force now or later), so a kiosk
offline shows the same announcements it will switch to: "from 2027-01-01: ...".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from kiosk.core.benefits import Benefit, Criterion
from kiosk.core.catalog import message
from kiosk.core.text import LocalText


@dataclass(frozen=True, slots=True)
class Announcement:
    day: date
    benefit: str
    criterion: str | None
    what: LocalText

    def text(self, locale: str) -> str:
        lang = "en" if locale == "en" else "zh-CN"
        return message("policy.announced", date=self.day.isoformat(), what=self.what.get(lang)).get(lang)


def in_force_since(item: Benefit | Criterion) -> date | None:
    return item.validity.valid_from


def announcements(benefit: Benefit, day: date) -> list[Announcement]:
    """Changes after ``day`` the policy already knows of, earliest first."""
    found: list[Announcement] = []
    for criterion in benefit.criteria:
        start, end = criterion.validity.valid_from, criterion.validity.valid_to
        if start is not None and start > day:
            found.append(Announcement(start, benefit.id, criterion.id,
                                      criterion.change or message("policy.new_version")))
        if end is not None and end >= day and not _succeeded(benefit, criterion, end):
            found.append(Announcement(end + timedelta(days=1), benefit.id, criterion.id,
                                      message("policy.criterion_ends")))
    start, end = benefit.validity.valid_from, benefit.validity.valid_to
    if start is not None and start > day:
        found.append(Announcement(start, benefit.id, None, benefit.change or message("policy.benefit_starts")))
    if end is not None and end >= day:
        found.append(Announcement(end + timedelta(days=1), benefit.id, None, message("policy.benefit_ends")))
    return sorted(found, key=lambda a: (a.day, a.criterion or ""))


def _succeeded(benefit: Benefit, criterion: Criterion, end: date) -> bool:
    """Whether another version of the criterion starts the day after this one ends."""
    return any(
        other.validity.valid_from == end + timedelta(days=1) for other in benefit.versions_of(criterion.id)
    )
