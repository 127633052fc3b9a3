"""Invalid CertLogic and values an operation cannot take: RuleError, criterion named, no data."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.core.errors import KioskError
from kiosk.core.rules import MAX_DEPTH, RuleError, compile_expression, evaluate, facts_read

CRITERION = "licence-valid"


def _compile_error(expression: Any) -> RuleError:
    with pytest.raises(RuleError) as raised:
        compile_expression(expression, criterion=CRITERION)
    return raised.value


def _runtime_error(expression: Any, data: Any) -> RuleError:
    compiled = compile_expression(expression, criterion=CRITERION)
    with pytest.raises(RuleError) as raised:
        compiled.evaluate(data)
    return raised.value


def _assert_names_criterion(error: RuleError) -> None:
    assert error.criterion == CRITERION
    assert CRITERION in str(error)
    assert CRITERION in error.detail
    assert CRITERION in error.text.zh and CRITERION in error.text.en


@pytest.mark.parametrize(
    "expression",
    [
        {"all": [{"var": "x"}, True]},
        {"==": [1, 1]},
        {"or": [True, False]},
        {"map": [[1], {"var": ""}]},
        {"missing": ["a"]},
        {"if": [True, {"substr": ["abc", 1]}, False]},  # nested: still found up front
    ],
)
def test_unknown_operator(expression: Any) -> None:
    error = _compile_error(expression)
    _assert_names_criterion(error)
    assert "unrecognised operator" in error.reason


@pytest.mark.parametrize(
    ("expression", "operator"),
    [
        ({"if": [True, 1]}, "if"),
        ({"if": [True, 1, 2, 3]}, "if"),
        ({"and": [True]}, "and"),
        ({"and": []}, "and"),
        ({"!": []}, "!"),
        ({"!": [True, False]}, "!"),
        ({"===": [1]}, "==="),
        ({"===": [1, 1, 1]}, "==="),
        ({"!==": [1]}, "!=="),
        ({"in": ["a"]}, "in"),
        ({"+": [1, 2, 3]}, "+"),
        ({"<": [1]}, "<"),
        ({">=": [1, 2, 3, 4]}, ">="),
        ({"before": [{"plusTime": ["2021-01-01", 0, "day"]}]}, "before"),
        ({"plusTime": ["2021-01-01", 0]}, "plusTime"),
        ({"reduce": [[1], {"var": "current"}]}, "reduce"),
        ({"extractFromUVCI": ["URN:UVCI:01:NL:1"]}, "extractFromUVCI"),
        ({"dccDateOfBirth": []}, "dccDateOfBirth"),
    ],
)
def test_wrong_arity(expression: Any, operator: str) -> None:
    error = _compile_error(expression)
    _assert_names_criterion(error)
    assert operator in error.reason and "operand" in error.reason


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        (None, "invalid CertLogic expression"),
        (3.14, "non-integer number"),
        ({}, "exactly one key"),
        ({"var": "x", "if": [1, 2, 3]}, "exactly one key"),
        ({"and": True}, "operation not of the form"),
        ({"and": {"x": 1}}, "operation not of the form"),
        ({"var": 0}, 'not of the form { "var"'),
        ({"var": ["x"]}, 'not of the form { "var"'),
        ({"var": "x..y"}, "path doesn't have a valid format"),
        ({"var": ".x"}, "path doesn't have a valid format"),
        ([1, None], "invalid CertLogic expression"),
        ({"plusTime": ["2021-01-01", {"var": "n"}, "day"]}, "integer literal"),
        ({"plusTime": ["2021-01-01", True, "day"]}, "integer literal"),
        ({"plusTime": ["2021-01-01", 1.5, "day"]}, "integer literal"),
        ({"plusTime": ["2021-01-01", 1, "week"]}, "time unit"),
        ({"plusTime": ["2021-01-01", 1, {"var": "unit"}]}, "time unit"),
        ({"extractFromUVCI": [{"var": "uci"}, "1"]}, "integer literal"),
        ({"if": [{"var": "a"}, {"!": [{"var": "b"}]}, {"===": [1, {"var": 3}]}]}, "var"),
        ({"and": [True, object()]}, "invalid CertLogic expression"),
        # Literals no evaluation could accept, refused even in a branch never taken:
        ({"<": [{"var": "n"}, "10"]}, "must be an integer, but is a literal string"),
        ({"if": [False, {">=": [True, 1]}, True]}, "must be an integer, but is a literal boolean"),
        ({"<": [1, {"var": "n"}, [3]]}, "must be an integer, but is a literal array"),
        ({"after": [{"plusTime": ["2021-01-01", 0, "day"]}, "2021-01-02"]}, "a date-time"),
        ({"not-before": [{"plusTime": ["2021-01-01", 0, "day"]}, 1, 2]}, "a date-time"),
        ({"in": ["a", "abc"]}, "must be an array, but is a literal string"),
        ({"+": [1, "1"]}, "must be an integer"),
        ({"plusTime": [20210101, 0, "day"]}, "must be a date(-time) string"),
        ({"dccDateOfBirth": [2004]}, "must be a date-of-birth string"),
        ({"extractFromUVCI": [[1], 0]}, "must be a string"),
        ({"reduce": ["abc", {"var": "current"}, 0]}, "must be an array"),
        ({("a",): [1]}, "unrecognised operator"),
    ],
)
def test_malformed_expression(expression: Any, words: str) -> None:
    error = _compile_error(expression)
    _assert_names_criterion(error)
    assert words in error.reason


def test_error_names_place_in_expression() -> None:
    error = _compile_error({"and": [True, {"if": [True, {"nope": []}, False]}]})
    assert "$.and[1].if[1]" in error.reason


def test_nesting_deeper_than_limit_is_refused_not_recursed() -> None:
    deep: Any = True
    for _ in range(MAX_DEPTH):
        deep = {"!": [deep]}
    error = _compile_error(deep)
    assert "deeper than" in error.reason
    very_deep: Any = True
    for _ in range(50_000):  # would overflow Python's stack if walked recursively to the end
        very_deep = [very_deep]
    assert "deeper than" in _compile_error(very_deep).reason


def test_nesting_within_limit_compiles() -> None:
    shallow: Any = True
    for _ in range(MAX_DEPTH // 2 - 1):
        shallow = {"!": [shallow]}
    assert evaluate(shallow, None) is ((MAX_DEPTH // 2 - 1) % 2 == 0)


def test_rule_error_is_a_kiosk_error_with_words_for_people() -> None:
    error = _compile_error({"nope": []})
    assert isinstance(error, KioskError)
    assert error.message("zh-CN").startswith("此项规则有误，请联系工作人员")
    assert error.message("en").startswith("This rule is faulty; please ask a member of staff")


def test_rule_error_without_criterion() -> None:
    with pytest.raises(RuleError) as raised:
        evaluate({"nope": []}, {})
    assert raised.value.criterion is None
    assert raised.value.message("en") == "This rule is faulty; please ask a member of staff"
    assert raised.value.detail == raised.value.reason


SECRET = "1987-03-14"  # stands for a person's data: must never appear in a message


@pytest.mark.parametrize(
    ("expression", "data"),
    [
        ({"plusTime": [{"var": "dob"}, 0, "day"]}, {"dob": "14/03/1987 " + SECRET}),
        ({"plusTime": [{"var": "dob"}, 0, "year"]}, {"dob": SECRET + "T25:00:00Z"}),
        ({"plusTime": [{"var": "dob"}, 0, "day"]}, {"dob": None}),
        ({"plusTime": [{"var": "dob"}, 0, "hour"]}, {"dob": 19870314}),
        ({"dccDateOfBirth": [{"var": "dob"}]}, {"dob": SECRET + "T00:00:00Z"}),
        ({"dccDateOfBirth": [{"var": "dob"}]}, {}),
        ({"<": [{"var": "n"}, 3]}, {"n": SECRET}),
        ({"<": [{"var": "n"}, {"var": "m"}, 3]}, {"n": 1, "m": None}),
        ({"<": [{"var": "n"}, {"var": "m"}]}, {"n": 1, "m": 2.5}),
        ({"<": [{"var": "n"}, 1]}, {"n": True}),
        ({"+": [{"var": "n"}, 1]}, {"n": SECRET}),
        ({"after": [{"var": "d"}, {"plusTime": ["2021-01-01", 0, "day"]}]}, {"d": SECRET}),
        ({"not-before": [{"plusTime": ["2021-01-01", 0, "day"]}, {"var": "n"}]}, {"n": 1}),
        ({"in": [{"var": "x"}, {"var": "y"}]}, {"x": "a", "y": SECRET}),
        ({"in": [{"var": "x"}, {"var": "y"}]}, {"x": "a", "y": None}),
        ({"and": [{"var": "x"}, True]}, {"x": 2.5}),
        ({"!": [{"plusTime": [{"var": "d"}, 0, "day"]}]}, {"d": SECRET}),
        ({"extractFromUVCI": [{"var": "u"}, 0]}, {"u": ["URN:UVCI:01:NL:" + SECRET]}),
        ({"reduce": [{"var": "x"}, 0, 0]}, {"x": SECRET}),
        ({"===": [{"plusTime": [{"var": "d"}, 0, "day"]}, {"var": "d"}]}, {"d": SECRET}),
        ({"===": [{"var": "x"}, 1]}, {"x": {SECRET}}),
    ],
)
def test_type_mismatch_at_evaluation(expression: Any, data: Any) -> None:
    error = _runtime_error(expression, data)
    _assert_names_criterion(error)
    for words in (str(error), error.detail, error.text.zh, error.text.en):
        assert SECRET not in words and "19870314" not in words


def test_lazy_operands_are_not_evaluated() -> None:
    # and/if evaluate only what they need, so a faulty branch not taken raises nothing.
    rule = {"if": [{"var": "adult"}, {"plusTime": ["not a date", 0, "day"]}, "minor"]}
    assert evaluate(rule, {"adult": False}) == "minor"
    with pytest.raises(RuleError):
        evaluate(rule, {"adult": True})
    assert evaluate({"and": [False, {"plusTime": [{"var": "d"}, 0, "day"]}]}, {}) is False


def test_facts_read_refuses_invalid_expression() -> None:
    with pytest.raises(RuleError):
        facts_read({"nope": [{"var": "x"}]})
