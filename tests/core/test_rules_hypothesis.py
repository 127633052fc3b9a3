"""Property tests: random expressions and data never escape as anything but RuleError.

Also holds the fast date-time path (C datetime) to the exact integer reference calendar.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.rules import MAX_DEPTH, RuleError, compile_expression, facts_read
from kiosk.core.rules.calendar import parse_strict, plus_time
from kiosk.core.rules.datetimes import parse, plus_calendar, shift, to_epoch_ms

BOUNDED = settings(max_examples=200, deadline=None)

OPERATORS = [
    "var",
    "if",
    "===",
    "!==",
    "and",
    "<",
    ">",
    "<=",
    ">=",
    "in",
    "+",
    "!",
    "reduce",
    "after",
    "before",
    "not-after",
    "not-before",
    "plusTime",
    "extractFromUVCI",
    "dccDateOfBirth",
    "or",
    "==",
    "map",
    "",
]
UNITS = st.sampled_from(["year", "month", "day", "hour", "week", ""])


@st.composite
def date_texts(draw: st.DrawFn) -> str:
    """Strings in every format the spec lists (and a few near misses)."""
    year = draw(st.integers(0, 9999))
    text = f"{year:04d}"
    if draw(st.booleans()):
        return text
    text += f"-{draw(st.integers(0, 13)):02d}"
    if draw(st.booleans()):
        return text
    text += f"-{draw(st.integers(0, 32)):02d}"
    if draw(st.booleans()):
        return text
    hour, minute, second = draw(st.integers(0, 24)), draw(st.integers(0, 60)), draw(st.integers(0, 60))
    text += f"T{hour:02d}:{minute:02d}:{second:02d}"
    if draw(st.booleans()):
        text += "." + draw(st.text("0123456789", min_size=1, max_size=9))
    offset_hours, offset_minutes = draw(st.integers(0, 24)), draw(st.integers(0, 60))
    sign = draw(st.sampled_from("+-"))
    text += draw(
        st.sampled_from(
            [
                "",
                "Z",
                f"{sign}{offset_hours}",
                f"{sign}{offset_hours:02d}",
                f"{sign}{offset_hours}{offset_minutes:02d}",
                f"{sign}{offset_hours:02d}{offset_minutes:02d}",
                f"{sign}{offset_hours}:{offset_minutes:02d}",
                f"{sign}{offset_hours:02d}:{offset_minutes:02d}",
            ]
        )
    )
    return text


def _mutate(text: str, position: int, replacement: str) -> str:
    position %= len(text) + 1
    return text[:position] + replacement + text[position + 1 :]


near_dates = st.one_of(
    date_texts(),
    st.builds(_mutate, date_texts(), st.integers(0, 40), st.sampled_from(list("0-T:+Z.z 9W/٣２‐"))),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    near_dates,
    st.sampled_from(["URN:UVCI:01:NL:187/37512422923", "a::c/#/f", ""]),
)
json_data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "0", "1", "x", "current"]), children, max_size=4),
    ),
    max_leaves=20,
)
paths = st.one_of(
    st.sampled_from(["", "a", "b", "a.b", "a.0", "0", "1.a", "x.y.z", "a.", ".a", "current"]),
    st.text(alphabet="ab01.", max_size=6),
)


def _operation(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    operands = st.lists(children, max_size=4)
    return st.one_of(
        st.builds(lambda op, args: {op: args}, st.sampled_from(OPERATORS), operands),
        st.builds(lambda path: {"var": path}, st.one_of(paths, children)),
        st.builds(
            lambda operand, amount, unit: {"plusTime": [operand, amount, unit]},
            children,
            st.one_of(st.integers(-(10**6), 10**6), children),
            UNITS,
        ),
        st.builds(
            lambda operand, index: {"extractFromUVCI": [operand, index]},
            children,
            st.integers(-2, 6),
        ),
        st.builds(lambda op, args: {op: args}, st.sampled_from(OPERATORS), children),
        st.dictionaries(st.sampled_from(OPERATORS), operands, max_size=2),
    )


expressions = st.recursive(
    st.one_of(scalars, st.builds(lambda path: {"var": path}, paths)),
    lambda children: st.one_of(st.lists(children, max_size=4), _operation(children)),
    max_leaves=25,
)


@BOUNDED
@given(expressions, st.lists(json_data, min_size=1, max_size=3))
def test_random_expressions_compile_or_refuse_and_evaluate_or_refuse(expression: Any, data_items: list[Any]) -> None:
    try:
        compiled = compile_expression(expression, criterion="random")
    except RuleError as error:
        assert error.criterion == "random"
        return
    assert isinstance(facts_read(expression), frozenset)
    for data in data_items:
        try:
            compiled.evaluate(data)
        except RuleError as error:
            assert error.criterion == "random"


@BOUNDED
@given(st.integers(0, 400), st.sampled_from(["!", "and", "if", "[]", "reduce"]))
def test_any_nesting_depth_compiles_or_refuses(depth: int, wrapper: str) -> None:
    expression: Any = {"var": "a"}
    for _ in range(depth):
        if wrapper == "[]":
            expression = [expression]
        elif wrapper == "and":
            expression = {"and": [True, expression]}
        elif wrapper == "if":
            expression = {"if": [expression, 1, 0]}
        elif wrapper == "reduce":
            expression = {"reduce": [{"var": "a"}, expression, 0]}
        else:
            expression = {"!": [expression]}
    levels_per_wrapper = 1 if wrapper == "[]" else 2  # an operation is an object + an array
    if depth * levels_per_wrapper > MAX_DEPTH:
        with pytest.raises(RuleError, match="deeper than"):
            compile_expression(expression)
        return
    compiled = compile_expression(expression)
    for data in ({"a": [1, 2]}, {"a": True}, None):
        with contextlib.suppress(RuleError):
            compiled.evaluate(data)


@BOUNDED
@given(near_dates)
def test_fast_parser_agrees_with_reference(text: str) -> None:
    try:
        expected = parse_strict(text)
    except ValueError:
        expected = None
    try:
        actual = to_epoch_ms(parse(text))
    except ValueError:
        actual = None
    if expected is not None and expected < to_epoch_ms(datetime(1, 1, 1)):
        assert actual is None  # year 0000: the documented limit of the fast path
    else:
        assert actual == expected


@BOUNDED
@given(
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)),
    st.integers(-12_000, 12_000),
    st.sampled_from(["year", "month", "day", "hour"]),
)
def test_fast_offsets_agree_with_reference(moment: datetime, amount: int, unit: str) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    try:
        expected: int | None = plus_time(to_epoch_ms(moment), amount, unit)
    except ValueError:
        expected = None
    try:
        if unit in ("year", "month"):
            actual: int | None = to_epoch_ms(plus_calendar(moment, amount, unit))
        else:
            step = timedelta(days=amount) if unit == "day" else timedelta(hours=amount)
            actual = to_epoch_ms(shift(moment, step))
    except ValueError:
        actual = None
    if actual is None and expected is not None:  # only outside Python's years 0001-9999
        assert not to_epoch_ms(datetime(1, 1, 1)) <= expected <= to_epoch_ms(datetime(9999, 12, 31, 23, 59, 59, 999000))
    else:
        assert actual == expected
