"""The date-time operations of CertLogic as closures: plusTime, dccDateOfBirth, comparisons.

A date-time operation compiles to a *moment function* (data -> naive UTC datetime). The
comparison operations call moment functions directly, so an instant made only to be compared
is never wrapped in a DateTime and unwrapped again; only a date-time that leaves an operation
some other way (the result of `if`, an array item, the whole expression) gets wrapped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kiosk.core.rules.datetimes import DateTime, parse, parse_date_of_birth, plus_calendar
from kiosk.core.rules.values import Evaluator, RuleError, type_name

MomentOf = Callable[[Any], datetime]
_OUT_OF_RANGE = "date-time outside the years 0001-9999"
_datetime = datetime


def _not_a_string(value: Any, where: str, what: str) -> RuleError:
    return RuleError(f"{where}: operand must be {what}, got {type_name(value)}")


def failing_moment(message: str) -> MomentOf:
    """A literal that is no date: the error waits for evaluation (a lazy branch may skip it)."""

    def moment_of(_data: Any) -> datetime:
        raise RuleError(message)

    return moment_of


def constant_moment(moment: datetime) -> MomentOf:
    return lambda _data: moment


def moment_of(evaluate: Evaluator, where: str) -> MomentOf:
    """The instant any other operand evaluates to, which must be a date-time."""

    def moment(data: Any) -> datetime:
        value = evaluate(data)
        if type(value) is DateTime:
            return value.moment
        raise RuleError(f"{where}: operand must be a date-time, got {type_name(value)}")

    return moment


def as_date_time(moment: MomentOf) -> Evaluator:
    return lambda data: DateTime(moment(data))


def plus_time_of_literal(text: str, amount: int, unit: str, where: str) -> MomentOf:
    try:
        moment = parse(text)
        if amount == 0:
            return constant_moment(moment)
        if unit == "year" or unit == "month":
            return constant_moment(plus_calendar(moment, amount, unit))
        step = timedelta(days=amount) if unit == "day" else timedelta(hours=amount)
        return constant_moment(moment + step)
    except (ValueError, OverflowError) as error:
        reason = _OUT_OF_RANGE if isinstance(error, OverflowError) else str(error)
        return failing_moment(f"{where}: {reason}")


def plus_time(operand: Evaluator, amount: int, unit: str, where: str) -> MomentOf:
    """`plusTime` over an operand that must evaluate to a date(-time) string."""
    what = "a date(-time) string"
    if amount == 0:  # any unit: the string as a date-time

        def as_is(data: Any) -> datetime:
            text = operand(data)
            if type(text) is not str and not isinstance(text, str):
                raise _not_a_string(text, where, what)
            try:
                return parse(text)
            except ValueError as error:
                raise RuleError(f"{where}: {error}") from None

        return as_is
    if unit == "year":  # the common calendar offset ("3 years since"), one call shorter

        def by_years(data: Any) -> datetime:
            text = operand(data)
            if type(text) is not str and not isinstance(text, str):
                raise _not_a_string(text, where, what)
            try:
                moment = parse(text)
                year = moment.year + amount
                if 1 <= year <= 9999:
                    try:
                        return _datetime(
                            year, moment.month, moment.day, moment.hour, moment.minute,
                            moment.second, moment.microsecond,
                        )
                    except ValueError:
                        pass  # 29 February into a common year: plus_calendar rolls it over
                return plus_calendar(moment, amount, unit)
            except ValueError as error:
                raise RuleError(f"{where}: {error}") from None

        return by_years
    if unit == "month":

        def by_calendar(data: Any) -> datetime:
            text = operand(data)
            if type(text) is not str and not isinstance(text, str):
                raise _not_a_string(text, where, what)
            try:
                return plus_calendar(parse(text), amount, unit)
            except ValueError as error:
                raise RuleError(f"{where}: {error}") from None

        return by_calendar
    try:
        step = timedelta(days=amount) if unit == "day" else timedelta(hours=amount)
    except OverflowError:
        step = None  # farther than any date-time can move: fails once evaluated

    def by_fixed_step(data: Any) -> datetime:
        text = operand(data)
        if type(text) is not str and not isinstance(text, str):
            raise _not_a_string(text, where, what)
        try:
            if step is None:
                raise OverflowError
            return parse(text) + step  # days and hours are fixed lengths in UTC
        except ValueError as error:
            raise RuleError(f"{where}: {error}") from None
        except OverflowError:
            raise RuleError(f"{where}: {_OUT_OF_RANGE}") from None

    return by_fixed_step


def date_of_birth_of_literal(text: str, where: str) -> MomentOf:
    try:
        return constant_moment(parse_date_of_birth(text))
    except ValueError as error:
        return failing_moment(f"{where}: {error}")


def date_of_birth(operand: Evaluator, where: str) -> MomentOf:
    """`dccDateOfBirth` over an operand that must evaluate to YYYY, YYYY-MM or YYYY-MM-DD."""

    def moment(data: Any) -> datetime:
        text = operand(data)
        if not isinstance(text, str):
            raise _not_a_string(text, where, "a date-of-birth string")
        try:
            return parse_date_of_birth(text)
        except ValueError as error:
            raise RuleError(f"{where}: {error}") from None

    return moment


def compare(operator: Callable[[Any, Any], bool], moments: list[MomentOf]) -> Evaluator:
    """after/before/not-after/not-before, binary or ternary ((a op b) and (b op c))."""
    if len(moments) == 3:
        first, second, third = moments

        def between(data: Any) -> bool:
            a, b, c = first(data), second(data), third(data)
            return operator(a, b) and operator(b, c)

        return between
    left, right = moments
    return lambda data: operator(left(data), right(data))
