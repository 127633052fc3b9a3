"""Dates in a policy: when a benefit or one version of a criterion is in force.

Rules are law and change on legal dates, so a benefit and each criterion may carry
``valid_from`` / ``valid_to`` (calendar days, both inclusive, in the policy's time zone).
A kiosk decides with the versions in force on the policy-local day of the decision, so an
offline kiosk holding a bundle with a future version switches on that day by itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Asia/Shanghai"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")


class DateFieldError(ValueError):
    """A date field is not a calendar day, or a range ends before it starts."""


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    """The time zone for a name; DateFieldError for a name the tz database does not know."""
    if not _ZONE_NAME.fullmatch(name):
        raise DateFieldError(f"{name!r} is not a time zone name like 'Asia/Shanghai'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DateFieldError(f"{name!r} is not a known time zone") from None


def local_day(moment: datetime, zone_name: str) -> date:
    """The calendar day ``moment`` falls on in the policy's time zone."""
    return moment.astimezone(zone(zone_name)).date()


def parse_day(value: object) -> date:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise DateFieldError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DateFieldError(f"{value!r} is not a calendar date") from None


@dataclass(frozen=True, slots=True)
class Validity:
    """Inclusive day range; None on either side means open."""

    valid_from: date | None = None
    valid_to: date | None = None

    def contains(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def overlaps(self, other: Validity) -> bool:
        starts_before_other_ends = (
            self.valid_from is None or other.valid_to is None or self.valid_from <= other.valid_to
        )
        other_starts_before_end = (
            other.valid_from is None or self.valid_to is None or other.valid_from <= self.valid_to
        )
        return starts_before_other_ends and other_starts_before_end

    def ends_before(self, day: date) -> bool:
        return self.valid_to is not None and self.valid_to < day

    def starts_after(self, day: date) -> bool:
        return self.valid_from is not None and self.valid_from > day

    @property
    def dated(self) -> bool:
        return self.valid_from is not None or self.valid_to is not None

    def to_json(self) -> dict[str, str]:
        body: dict[str, str] = {}
        if self.valid_from is not None:
            body["valid_from"] = self.valid_from.isoformat()
        if self.valid_to is not None:
            body["valid_to"] = self.valid_to.isoformat()
        return body

    def describe(self) -> str:
        start = self.valid_from.isoformat() if self.valid_from else "…"
        end = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{start} to {end}"


def parse_validity(document: dict[str, object]) -> Validity:
    """``valid_from`` / ``valid_to`` of a benefit or criterion object (both optional).

    Raises DateFieldError with the field name first, so the caller can name it."""
    start = end = None
    if "valid_from" in document:
        try:
            start = parse_day(document["valid_from"])
        except DateFieldError as error:
            raise DateFieldError(f"valid_from|{error}") from None
    if "valid_to" in document:
        try:
            end = parse_day(document["valid_to"])
        except DateFieldError as error:
            raise DateFieldError(f"valid_to|{error}") from None
    if start is not None and end is not None and end < start:
        raise DateFieldError(f"valid_to|ends ({end}) before the range starts ({start})")
    return Validity(start, end)
