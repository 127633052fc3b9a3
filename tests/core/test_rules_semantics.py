"""CertLogic semantics beyond the official suite: spec details and the choices it leaves open."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest

from kiosk.core.rules import (
    DateTime,
    RuleError,
    compile_expression,
    evaluate,
    facts_read,
    is_falsy,
    is_truthy,
)


def _instant(text: str) -> str:
    """The ISO form of `{"plusTime": [text, 0, "day"]}`."""
    value = evaluate({"plusTime": [text, 0, "day"]}, None)
    assert isinstance(value, DateTime)
    return value.isoformat()


def _plus(text: str, amount: int, unit: str) -> str:
    value = evaluate({"plusTime": [{"var": ""}, amount, unit]}, text)
    assert isinstance(value, DateTime)
    return value.isoformat()


@pytest.mark.parametrize(
    ("value", "truthy", "falsy"),
    [
        (True, True, False),
        (False, False, True),
        (None, False, True),
        ("", False, True),
        ("0", True, False),
        (0, False, True),
        (-1, True, False),
        (2.0, True, False),  # JSON cannot tell 2.0 from 2
        (0.0, False, True),
        ([], False, True),
        ([0], True, False),
        ({}, False, True),
        ({"a": None}, True, False),
        (2.5, False, False),  # neither: no CertLogic value
        (DateTime.from_epoch_ms(0), False, False),
        (object(), False, False),
    ],
)
def test_truthiness(value: Any, truthy: bool, falsy: bool) -> None:
    assert is_truthy(value) is truthy
    assert is_falsy(value) is falsy


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (1, True, False),
        (0, False, False),
        (True, True, True),
        ("1", 1, False),
        (None, None, True),
        (None, 0, False),
        (2, 2.0, True),
        ([1, "a"], [1, "a"], True),
        ([1], [True], False),
        ({"a": [1]}, {"a": [1]}, True),
        ({"a": 1}, {"a": True}, False),
        ({"a": 1}, {"b": 1}, False),
        ([], {}, False),
    ],
)
def test_strict_equality_does_not_coerce(left: Any, right: Any, equal: bool) -> None:
    data = {"l": left, "r": right}
    assert evaluate({"===": [{"var": "l"}, {"var": "r"}]}, data) is equal
    assert evaluate({"!==": [{"var": "l"}, {"var": "r"}]}, data) is (not equal)


@pytest.mark.parametrize(
    ("value", "literal", "equal"),
    [
        (True, 1, False),
        (1, True, False),
        (1.0, 1, True),
        ("1", 1, False),
        (None, False, False),
        (False, False, True),
        ("a", "a", True),
        ([1], 1, False),
    ],
)
def test_strict_equality_against_a_literal(value: Any, literal: Any, equal: bool) -> None:
    assert evaluate({"===": [{"var": "x"}, literal]}, {"x": value}) is equal
    assert evaluate({"!==": [{"var": "x"}, literal]}, {"x": value}) is (not equal)


def test_strict_equality_on_deep_data_does_not_recurse() -> None:
    left: Any = 1
    right: Any = 2  # differs only at the very bottom
    for _ in range(5_000):  # five times Python's default recursion limit
        left, right = {"k": [left]}, {"k": [right]}
    rule = compile_expression({"===": [{"var": "a"}, {"var": "b"}]})
    assert rule.evaluate({"a": left, "b": left}) is True
    assert rule.evaluate({"a": left, "b": right}) is False


@pytest.mark.parametrize(
    ("needle", "haystack", "found"),
    [
        (1, [True, "1"], False),
        (True, [1], False),
        (None, [None], True),
        (None, ["a"], False),
        (2.0, [2], True),
        ([1], [[1], 2], True),
        ("b", ["a", "b"], True),
        (0, [False, ""], False),
    ],
)
def test_in_is_strict(needle: Any, haystack: Any, found: bool) -> None:
    data = {"x": needle, "y": haystack}
    assert evaluate({"in": [{"var": "x"}, {"var": "y"}]}, data) is found
    if None not in haystack:  # a literal array (no null literal exists) takes a faster path
        assert evaluate({"in": [{"var": "x"}, haystack]}, data) is found


def test_in_over_a_literal_array_of_mixed_items() -> None:
    rule = compile_expression({"in": [{"var": ""}, ["a", 1, True, [2]]]})
    assert [rule.evaluate(x) for x in ("a", 1, True, None, [2], False, 2, "1", 1.0)] == [
        True, True, True, False, True, False, False, False, True,
    ]


@pytest.mark.parametrize(
    ("path", "data", "expected"),
    [
        ("a.1.b", {"a": [{}, {"b": 3}]}, 3),
        ("a.01", {"a": [1, 2]}, None),  # not a canonical index
        ("a.-1", {"a": [1, 2]}, None),
        ("a.1", {"a": {"1": "x"}}, "x"),  # objects keep digit keys
        ("a.0", {"a": "text"}, None),  # strings are not arrays
        ("a.b.c.d", {"a": {"b": None}}, None),
        ("a.1", {"a": (5, 6)}, 6),
        ("a.b", OrderedDict(a=OrderedDict(b=7)), 7),
        ("0.0.0", [[[9]]], 9),
    ],
)
def test_var_paths(path: str, data: Any, expected: Any) -> None:
    assert evaluate({"var": path}, data) == expected


@pytest.mark.parametrize(
    ("date", "amount", "unit", "expected"),
    [
        # The spec's leap-day table.
        ("2020-02-29", 1, "day", "2020-03-01T00:00:00.000Z"),
        ("2020-02-29", 1, "month", "2020-03-29T00:00:00.000Z"),
        ("2020-02-29", 1, "year", "2021-03-01T00:00:00.000Z"),
        # JavaScript roll-over of setUTCMonth / setUTCFullYear.
        ("2021-01-31", 1, "month", "2021-03-03T00:00:00.000Z"),
        ("2020-01-31", 1, "month", "2020-03-02T00:00:00.000Z"),
        ("2021-03-31", -1, "month", "2021-03-03T00:00:00.000Z"),
        ("2021-01-15", 23, "month", "2022-12-15T00:00:00.000Z"),
        ("2021-01-15", -13, "month", "2019-12-15T00:00:00.000Z"),
        ("2024-02-29", -4, "year", "2020-02-29T00:00:00.000Z"),
        # Units of fixed length in UTC: a DST change in any zone changes nothing.
        ("2021-03-27T12:00:00+01:00", 1, "day", "2021-03-28T11:00:00.000Z"),
        ("2021-03-28T00:30:00+01:00", 2, "hour", "2021-03-28T01:30:00.000Z"),
        ("2021-06-01T00:00:00Z", -180, "day", "2020-12-03T00:00:00.000Z"),
        # Calendar units work on UTC fields, after the offset.
        ("2021-01-01T00:30:00+01:00", 1, "year", "2021-12-31T23:30:00.000Z"),
        # Partial dates mean their last day (spec 1.3.2).
        ("2004", 0, "day", "2004-12-31T00:00:00.000Z"),
        ("2004-02", 0, "day", "2004-02-29T00:00:00.000Z"),
        ("2004-02", 18, "year", "2022-03-01T00:00:00.000Z"),
        ("2003-02", 1, "year", "2004-02-28T00:00:00.000Z"),
    ],
)
def test_plus_time(date: str, amount: int, unit: str, expected: str) -> None:
    assert _plus(date, amount, unit) == expected
    assert evaluate({"plusTime": [date, amount, unit]}, None).isoformat() == expected


@pytest.mark.parametrize(
    "text",
    [
        "2021-06-01T14:30:00+2",
        "2021-06-01T14:30:00+02",
        "2021-06-01T14:30:00+200",
        "2021-06-01T14:30:00+0200",
        "2021-06-01T14:30:00+2:00",
        "2021-06-01T14:30:00+02:00",
        "2021-06-01T12:30:00Z",
        "2021-06-01T12:30:00",
        "2021-06-01T11:00:00-01:30",
        "2021-06-01T11:00:00-0130",
        "2021-06-01T11:00:00-130",
    ],
)
def test_every_offset_format(text: str) -> None:
    assert _instant(text) == "2021-06-01T12:30:00.000Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-06-01T12:30:00.5Z", "2021-06-01T12:30:00.500Z"),
        ("2021-06-01T12:30:00.123Z", "2021-06-01T12:30:00.123Z"),
        ("2021-06-01T12:30:00.9999999+00:00", "2021-06-01T12:30:00.999Z"),  # rounds down
        ("2021-06-01T12:30:00.04+1", "2021-06-01T11:30:00.040Z"),
        ("2021-06-01", "2021-06-01T00:00:00.000Z"),
    ],
)
def test_fractions_and_date_only(text: str, expected: str) -> None:
    assert _instant(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2021-09-99",
        "2022-13",
        "2021-02-29",
        "2021-06-01t12:30:00Z",
        "2021-06-01T12:30:00z",
        "2021-06-01T12:30Z",
        "2021-06-01 12:30:00Z",
        "20210601",
        "2021-W22-2",
        "2021-06-01T24:00:00Z",
        "2021-06-01T12:30:60Z",
        "2021-06-01T12:30:00+24:00",
        "2021-06-01T12:30:00+01:00:00",
        "2021-06-01T12:30:00.Z",
        "２０２１-06-01",
        "",
        "0000-01-01",  # valid in the spec; outside Python's dates (documented limit)
    ],
)
def test_date_strings_the_spec_does_not_allow(text: str) -> None:
    with pytest.raises(RuleError):
        _instant(text)


def test_plus_time_beyond_year_9999_is_a_rule_error() -> None:
    with pytest.raises(RuleError):
        _plus("9999-12-31T23:00:00Z", 1, "hour")
    with pytest.raises(RuleError):
        _plus("2021-01-01", 10**12, "day")
    with pytest.raises(RuleError):
        _plus("2021-01-01", -2021, "year")
    assert _plus("9999-12-31T22:59:59.999Z", 1, "hour") == "9999-12-31T23:59:59.999Z"


@pytest.mark.parametrize(
    ("dob", "expected"),
    [
        ("2004", "2004-12-31T00:00:00.000Z"),
        ("2004-02", "2004-02-29T00:00:00.000Z"),
        ("2004-02-03", "2004-02-03T00:00:00.000Z"),
    ],
)
def test_dcc_date_of_birth(dob: str, expected: str) -> None:
    assert evaluate({"dccDateOfBirth": [{"var": ""}]}, dob).isoformat() == expected


@pytest.mark.parametrize("dob", ["2004-02-03T00:00:00Z", "", "04", "2004-2", None, 2004])
def test_dcc_date_of_birth_refuses_other_values(dob: Any) -> None:
    with pytest.raises(RuleError):
        evaluate({"dccDateOfBirth": [{"var": ""}]}, dob)


def test_date_comparisons_binary_and_ternary() -> None:
    def at(text: str) -> dict[str, Any]:
        return {"plusTime": [text, 0, "hour"]}

    early, mid, late = at("2021-01-01"), at("2021-06-01T00:00:00+02:00"), at("2021-12-31")
    assert evaluate({"before": [early, mid, late]}, None) is True
    assert evaluate({"before": [early, late, mid]}, None) is False
    assert evaluate({"not-after": [early, early, late]}, None) is True
    assert evaluate({"not-before": [late, late]}, None) is True
    assert evaluate({"after": [late, early]}, None) is True
    assert evaluate({"after": [early, early]}, None) is False
    # Same instant written in two offsets is the same date-time.
    same = {"not-before": [at("2021-06-01T02:00:00+02:00"), at("2021-06-01T00:00:00Z")]}
    assert evaluate(same, None) is True


def test_extract_from_uvci_keeps_wrong_prefixes_as_fragments() -> None:
    rule = {"extractFromUVCI": [{"var": ""}, 0]}
    assert evaluate(rule, "urn:uvci:01:NL:187") == "urn"
    assert evaluate(rule, "URN:UCI:01:NL:187") == "URN"
    assert evaluate(rule, "URN:UVCI") is None
    assert evaluate({"extractFromUVCI": ["URN:UVCI:01:NL:187/375", 3]}, None) == "375"


def test_and_if_not_return_what_the_spec_says() -> None:
    assert evaluate({"and": [1, "x", [1]]}, None) == [1]
    assert evaluate({"and": [1, {"var": "x"}, True]}, {"x": {}}) == {}
    assert evaluate({"if": [{"var": "x"}, "then", "else"]}, {"x": 2.5}) == "else"
    assert evaluate({"!": [{"var": "x"}]}, {"x": {"a": 1}}) is False
    with pytest.raises(RuleError):
        evaluate({"and": [True, {"var": "x"}]}, {"x": 2.5})


def test_reduce() -> None:
    total = {"reduce": [{"var": "x"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]}
    assert evaluate(total, {"x": [1, 2, 3]}) == 6
    assert evaluate(total, {"x": None}) == 0
    assert evaluate(total, {"x": []}) == 0
    count_a = {
        "reduce": [
            {"var": "x"},
            {"+": [{"var": "accumulator"}, {"if": [{"===": [{"var": "current"}, "a"]}, 1, 0]}]},
            0,
        ]
    }
    assert evaluate(count_a, {"x": ["a", "b", "a"]}) == 2
    with pytest.raises(RuleError):
        evaluate(total, {"x": "abc"})


def test_plus_adds_integers_only() -> None:
    assert evaluate({"+": [{"var": "a"}, 2]}, {"a": 40}) == 42
    assert evaluate({"+": [{"var": "a"}, 2]}, {"a": 40.0}) == 42
    for bad in (True, "40", None, 0.5):
        with pytest.raises(RuleError):
            evaluate({"+": [{"var": "a"}, 2]}, {"a": bad})


def test_comparison_with_integral_floats_and_ternary() -> None:
    assert evaluate({">=": [{"var": "n"}, 10]}, {"n": 10.0}) is True
    assert evaluate({"<": [1, {"var": "n"}, 3]}, {"n": 2}) is True
    assert evaluate({"<": [1, {"var": "n"}, 3]}, {"n": 3}) is False
    assert evaluate({"<=": [{"var": "a"}, {"var": "b"}]}, {"a": 3, "b": 3}) is True


def test_facts_read() -> None:
    rule = {
        "and": [
            {"var": "facts.registered"},
            {"in": [{"var": "facts.industry"}, ["C13"]]},
            {
                "reduce": [
                    {"var": "facts.fines"},
                    {"+": [{"var": "accumulator"}, {"var": "current.amount"}]},
                    {"var": "facts.base"},
                ]
            },
            {"if": [True, {"var": ""}, {"var": "facts.registered"}]},
        ]
    }
    assert facts_read(rule) == frozenset(
        {"facts.registered", "facts.industry", "facts.fines", "facts.base", ""}
    )
    assert facts_read(True) == frozenset()
    assert compile_expression(rule).facts == facts_read(rule)


def test_compiled_expression_is_reusable_and_leaves_data_alone() -> None:
    rule = compile_expression({"in": [{"var": "x"}, ["a", "b"]]}, criterion="c1")
    data = {"x": "a"}
    assert [rule.evaluate(data) for _ in range(3)] == [True, True, True]
    assert data == {"x": "a"}
    assert rule.criterion == "c1"
    assert "c1" in repr(rule)
    assert evaluate(["a", {"var": "x"}, ["b"]], data) == ["a", "a", ["b"]]
