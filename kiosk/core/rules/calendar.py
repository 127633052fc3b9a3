"""The reference CertLogic calendar: exact integer arithmetic, as the spec (1.3.3) reads.

An instant is an integer of milliseconds since 1970-01-01T00:00:00Z. Calendar arithmetic is
done on the proleptic Gregorian calendar with plain integers, so it works for every year the
spec's four-digit format allows (0000-9999) and for the JavaScript range `plusTime` can reach
(±8.64e15 ms, ECMA-262 TimeClip). The evaluator's fast path (rules_datetime) falls back to
this parser for every shape it does not handle itself, and the tests hold the two to the
same answers. Errors are ValueError.
"""

from __future__ import annotations

import re

MS_PER_SECOND = 1000
MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000
# ECMA-262 TimeClip: a Date holds at most 8.64e15 ms either side of the epoch.
MAX_EPOCH_MS = 8_640_000_000_000_000
TIME_UNITS = ("year", "month", "day", "hour")

# The formats the spec lists under `plusTime`: YYYY, YYYY-MM, YYYY-MM-DD, and
# YYYY-MM-DDThh:mm:ss[.S...] with no offset, Z, or [+-]h, hh, hmm, hhmm, h:mm, hh:mm.
_FORMAT = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:(Z)|([+-])(?:(\d{1,2}):(\d{2})|(\d{1,4})))?)?)?)?",
    re.ASCII,
)
_DOB_FORMAT = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year, month 1-12).

    Counts in 400-year eras starting on 1 March, so the leap day is the last day of a year.
    """
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """The (year, month, day) of a day count since 1970-01-01; inverse of days_from_civil."""
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    return year_of_era + era * 400 + (month <= 2), month, day


def days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return days_from_civil(year, month + 1, 1) - days_from_civil(year, month, 1)


def _check_date(year: int, month: int, day: int) -> None:
    if not 1 <= month <= 12 or not 1 <= day <= days_in_month(year, month):
        raise ValueError("not a calendar date")


def _offset_minutes(sign: str, hours_text: str | None, minutes_text: str | None,
                    run: str | None) -> int:
    """Minutes east of UTC of an offset written hh:mm / h:mm, or as a run h, hh, hmm, hhmm."""
    if run is not None:
        hours_text, minutes_text = (run, "0") if len(run) <= 2 else (run[:-2], run[-2:])
    if hours_text is None or minutes_text is None:
        raise ValueError("malformed timezone offset")
    hours, minutes = int(hours_text), int(minutes_text)
    if hours > 23 or minutes > 59:
        raise ValueError("timezone offset out of range")
    total = hours * 60 + minutes
    return -total if sign == "-" else total


def parse_strict(text: str) -> int:
    """Epoch milliseconds of a date(-time) string in one of the spec's formats.

    The reference parser: complete but slow (a regular expression).
    Partial dates (YYYY, YYYY-MM) mean their last day, as `dccDateOfBirth` reads them.
    """
    match = _FORMAT.fullmatch(text)
    if match is None:
        raise ValueError("not a date(-time) in a format CertLogic allows")
    year_t, month_t, day_t, hour_t, minute_t, second_t, fraction, zulu, sign, oh, om, orun = (
        match.groups()
    )
    year = int(year_t)
    if month_t is None:
        return days_from_civil(year, 12, 31) * MS_PER_DAY
    month = int(month_t)
    if day_t is None:
        if not 1 <= month <= 12:
            raise ValueError("not a calendar month")
        return days_from_civil(year, month, days_in_month(year, month)) * MS_PER_DAY
    day = int(day_t)
    _check_date(year, month, day)
    epoch_ms = days_from_civil(year, month, day) * MS_PER_DAY
    if hour_t is None:
        return epoch_ms
    assert minute_t is not None and second_t is not None
    hour, minute, second = int(hour_t), int(minute_t), int(second_t)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("not a time of day")
    epoch_ms += (hour * 3600 + minute * 60 + second) * MS_PER_SECOND
    if fraction is not None:  # digits past the third are dropped: rounds down (spec)
        epoch_ms += int((fraction + "00")[:3])
    if sign is not None:
        epoch_ms -= _offset_minutes(sign, oh, om, orun) * 60_000
    del zulu  # Z and no offset both mean UTC
    return epoch_ms


def parse_date_of_birth_ms(text: str) -> int:
    """`dccDateOfBirth`: YYYY, YYYY-MM or YYYY-MM-DD as the last instant-day it allows."""
    if _DOB_FORMAT.fullmatch(text) is None:
        raise ValueError("not a date of birth of the form YYYY, YYYY-MM or YYYY-MM-DD")
    return parse_strict(text)


def plus_time(epoch_ms: int, amount: int, unit: str) -> int:
    """Offset an instant the way JavaScript's `Date.setUTC<unit>(getUTC<unit>() + amount)` does.

    Year and month keep the day of month and let it roll over (2020-02-29 + 1 year is
    2021-03-01; 2021-01-31 + 1 month is 2021-03-03); day and hour are fixed lengths in UTC.
    """
    if unit == "day":
        result = epoch_ms + amount * MS_PER_DAY
    elif unit == "hour":
        result = epoch_ms + amount * MS_PER_HOUR
    else:
        days, time_of_day = divmod(epoch_ms, MS_PER_DAY)
        year, month, day = civil_from_days(days)
        if unit == "year":
            year += amount
        elif unit == "month":
            year_shift, month_index = divmod(month - 1 + amount, 12)
            year, month = year + year_shift, month_index + 1
        else:
            raise ValueError(f"unknown time unit {unit!r}")
        result = (days_from_civil(year, month, 1) + day - 1) * MS_PER_DAY + time_of_day
    if not -MAX_EPOCH_MS <= result <= MAX_EPOCH_MS:
        raise ValueError("date-time out of the range JavaScript dates can hold")
    return result


def format_epoch_ms(epoch_ms: int) -> str:
    days, time_of_day = divmod(epoch_ms, MS_PER_DAY)
    year, month, day = civil_from_days(days)
    seconds, millis = divmod(time_of_day, MS_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    year_text = f"{year:04d}" if 0 <= year <= 9999 else f"{year:+07d}"
    return f"{year_text}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"
