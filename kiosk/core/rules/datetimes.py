"""CertLogic date-time values on the evaluator's hot path (spec 1.3.3).

A value is a naive `datetime` in UTC with millisecond precision, wrapped in `DateTime` so no
rule can take it for a string or a number. Python's C date code does the parsing and the
arithmetic; `rules_calendar` is the exact integer reference it falls back to for unusual
shapes, and the tests hold both to the same answers.

One limit the spec does not have: Python dates cover the years 0001-9999, JavaScript's about
±275,760 years. A date-time outside 0001-9999 (year 0000, or `plusTime` past 9999) is a
ValueError here, so RuleError in the evaluator.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from kiosk.core.rules.calendar import (
    MAX_EPOCH_MS,
    MS_PER_DAY,
    days_from_civil,
    parse_date_of_birth_ms,
    parse_strict,
)

_EPOCH = datetime(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_date_fromisoformat = date.fromisoformat
_datetime_fromisoformat = datetime.fromisoformat
_datetime = datetime
_datetime_combine = datetime.combine
_date_fromordinal = date.fromordinal
_OUT_OF_RANGE = "date-time outside the years 0001-9999"
# ±hh:mm offsets on quarter hours (every zone in use): what to subtract to reach UTC.
_COMMON_OFFSETS = {
    f"{sign}{hours:02d}:{minutes:02d}": timedelta(minutes=(hours * 60 + minutes) * factor)
    for sign, factor in (("+", 1), ("-", -1))
    for hours in range(24)
    for minutes in (0, 15, 30, 45)
}


class DateTime:
    """A CertLogic date-time: an instant with millisecond precision, compared as instants."""

    __slots__ = ("moment",)

    def __init__(self, moment: datetime) -> None:
        self.moment = moment  # naive, UTC, microsecond a multiple of 1000

    @classmethod
    def from_epoch_ms(cls, epoch_ms: int) -> DateTime:
        return cls(from_epoch_ms(epoch_ms))

    @property
    def epoch_ms(self) -> int:
        return to_epoch_ms(self.moment)

    def __eq__(self, other: object) -> bool:
        return type(other) is DateTime and other.moment == self.moment

    def __hash__(self) -> int:
        return hash((DateTime, self.moment))

    def __repr__(self) -> str:
        return f"DateTime({self.isoformat()!r})"

    def isoformat(self) -> str:
        """JavaScript's `Date.prototype.toISOString` form, e.g. ``2021-06-01T00:00:00.000Z``."""
        return self.moment.isoformat(timespec="milliseconds") + "Z"


def to_epoch_ms(moment: datetime) -> int:
    return (
        (moment.toordinal() - _EPOCH_ORDINAL) * MS_PER_DAY
        + ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1000
        + moment.microsecond // 1000
    )


def from_epoch_ms(epoch_ms: int) -> datetime:
    try:
        return _EPOCH + timedelta(milliseconds=epoch_ms)
    except OverflowError:
        raise ValueError(_OUT_OF_RANGE) from None


def parse(text: str) -> datetime:
    """The instant a date(-time) string in one of the spec's formats stands for.

    The shapes rules meet most (a date; a date-time with no offset, Z or a ±hh:mm offset on a
    quarter hour, with or without milliseconds) go through the C ISO parser after a positional check that keeps its
    wider grammar (week dates, basic format, other separators) out (it takes ASCII digits
    only, so no "٣" or "２" gets through); everything else, and everything it refuses, gets
    the reference parser's verdict.
    """
    length = len(text)
    if length == 10:
        if text[4] == "-" == text[7]:
            try:
                return _datetime_fromisoformat(text)
            except ValueError:
                pass
    elif (
        length >= 19
        and text[10] == "T"
        and text[4] == "-" == text[7]
        and text[13] == ":" == text[16]
    ):
        tail = text[19:]
        end = 19
        if tail[:1] == "." and tail[1:4].isdigit() and not tail[4:5].isdigit():
            end, tail = 23, tail[4:]  # exactly three decimals: the C parser takes them as is
        if tail == "Z" or tail == "":
            try:
                return _datetime_fromisoformat(text[:end])
            except ValueError:
                pass
        else:
            offset = _COMMON_OFFSETS.get(tail)
            if offset is not None:
                try:
                    return _datetime_fromisoformat(text[:end]) - offset
                except (ValueError, OverflowError):
                    pass
    return from_epoch_ms(parse_strict(text))


def parse_date_of_birth(text: str) -> datetime:
    """`dccDateOfBirth`: YYYY, YYYY-MM or YYYY-MM-DD as the last day it allows."""
    return from_epoch_ms(parse_date_of_birth_ms(text))


def shift(moment: datetime, step: timedelta) -> datetime:
    """`plusTime` by days or hours: fixed lengths in UTC, so DST never matters."""
    try:
        return moment + step
    except OverflowError:
        raise ValueError(_OUT_OF_RANGE) from None


def plus_calendar(moment: datetime, amount: int, unit: str) -> datetime:
    """`plusTime` by years or months, as JavaScript's `setUTCFullYear`/`setUTCMonth` do.

    The day of month is kept and rolls over into the next month when that month is shorter:
    2020-02-29 + 1 year is 2021-03-01; 2021-01-31 + 1 month is 2021-03-03.
    """
    year, month = moment.year, moment.month
    if unit == "year":
        year += amount
    else:
        year_shift, month_index = divmod(month - 1 + amount, 12)
        year, month = year + year_shift, month_index + 1
    if not 1 <= year <= 9999:
        raise ValueError(_OUT_OF_RANGE)
    try:  # positional construction: datetime.replace() is several times slower
        return _datetime(
            year, month, moment.day, moment.hour, moment.minute, moment.second,
            moment.microsecond,
        )
    except ValueError:  # the day does not exist in that month: roll over
        days = days_from_civil(year, month, 1) + moment.day - 1
        if days * MS_PER_DAY > MAX_EPOCH_MS:
            raise ValueError(_OUT_OF_RANGE) from None
        try:
            return _datetime_combine(_date_fromordinal(days + _EPOCH_ORDINAL), moment.time())
        except (ValueError, OverflowError):
            raise ValueError(_OUT_OF_RANGE) from None
