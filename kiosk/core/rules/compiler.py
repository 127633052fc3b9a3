"""Compile a CertLogic expression once into nested Python closures.

All validation (operators, arity, literal operands, `var` paths, nesting depth) happens here,
before anything is evaluated, as the spec asks; the closures only check what depends on the
data (types of evaluated operands). Every error names its place in the expression as a path
like ``$.and[1].after[0]``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from kiosk.core.rules import date_ops as dateops
from kiosk.core.rules.access import data_access
from kiosk.core.rules.calendar import TIME_UNITS
from kiosk.core.rules.operands import LITERAL_OPERANDS, check_literal_operands
from kiosk.core.rules.values import (
    Evaluator,
    RuleError,
    as_integer,
    require_truthiness,
    strict_equal,
    truthiness,
    type_name,
)

MomentOf = dateops.MomentOf

# Deeper than any real rule; keeps compiling and evaluating far from Python's stack limit.
MAX_DEPTH = 64

_INTEGER_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
# The spec: after, before, not-after, not-before are >, <, <=, >= on date-times.
_DATE_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "after": operator.gt,
    "before": operator.lt,
    "not-after": operator.le,
    "not-before": operator.ge,
}


def _constant(value: Any) -> Evaluator:
    return lambda _data: value


def _integer(value: Any, where: str) -> int:
    number = as_integer(value)
    if number is None:
        raise RuleError(f"{where}: operand must be an integer, got {type_name(value)}")
    return number


def _string_operand(value: Any, where: str, what: str) -> str:
    if isinstance(value, str):
        return value
    raise RuleError(f"{where}: operand must be {what}, got {type_name(value)}")


class Compiler:
    """Turns one expression into an Evaluator and collects the `var` paths it reads."""

    def __init__(self) -> None:
        self.facts: set[str] = set()
        # Operations that make date-times, by evaluator: comparisons call these directly and
        # skip wrapping every instant in a DateTime only to unwrap it again.
        self._moments: dict[Evaluator, MomentOf] = {}
        # Literal values by evaluator, so `in` can index a literal array once, up front.
        self._literals: dict[Evaluator, Any] = {}
        self._operations: dict[str, Callable[[str, list[Any], str, int, bool], Evaluator]] = {
            "if": self._if,
            "and": self._and,
            "!": self._not,
            "===": self._equal,
            "!==": self._equal,
            "in": self._in,
            "+": self._plus,
            "reduce": self._reduce,
            "plusTime": self._plus_time,
            "dccDateOfBirth": self._date_of_birth,
            "extractFromUVCI": self._extract_from_uvci,
        }
        for name in (*_INTEGER_COMPARISONS, *_DATE_COMPARISONS):
            self._operations[name] = self._compare

    def compile(self, expression: Any, where: str = "$", depth: int = 0, in_lambda: bool = False,
                ) -> Evaluator:
        if depth > MAX_DEPTH:
            raise RuleError(f"{where}: expression nested deeper than {MAX_DEPTH} levels")
        kind = type(expression)
        if kind is bool or kind is str or kind is int:
            return self._literal(expression)
        if kind is dict or isinstance(expression, Mapping):
            return self._operation(expression, where, depth, in_lambda)
        if kind is list or isinstance(expression, list | tuple):
            items = tuple(
                self.compile(item, f"{where}[{i}]", depth + 1, in_lambda)
                for i, item in enumerate(expression)
            )
            evaluator: Evaluator = lambda data: [item(data) for item in items]  # noqa: E731
            if all(item in self._literals for item in items):
                self._literals[evaluator] = [self._literals[item] for item in items]
            return evaluator
        if isinstance(expression, float) and expression.is_integer():
            return self._literal(int(expression))
        if isinstance(expression, float):
            raise RuleError(f"{where}: {expression} is a non-integer number")
        if isinstance(expression, bool | int | str):  # subclasses of the JSON types
            return _constant(expression)
        raise RuleError(f"{where}: invalid CertLogic expression ({type_name(expression)})")

    def _literal(self, value: Any) -> Evaluator:
        evaluator = _constant(value)
        self._literals[evaluator] = value
        return evaluator

    def _operation(self, expression: Mapping[Any, Any], where: str, depth: int, in_lambda: bool,
                   ) -> Evaluator:
        if len(expression) != 1:
            raise RuleError(
                f"{where}: expression object must have exactly one key, but it has "
                f"{len(expression)}"
            )
        ((name, operands),) = expression.items()
        if name == "var":
            return self._var(operands, where, in_lambda)
        if not isinstance(operands, list | tuple):
            raise RuleError(f'{where}: operation not of the form {{ "<operator>": [ <values...> ] }}')
        build = self._operations.get(name) if isinstance(name, str) else None
        if build is None:
            raise RuleError(f'{where}: unrecognised operator: "{name}"')
        if name in LITERAL_OPERANDS:
            check_literal_operands(name, list(operands), f"{where}.{name}")
        return build(name, list(operands), f"{where}.{name}", depth + 2, in_lambda)

    def _operands(self, name: str, operands: list[Any], where: str, depth: int, in_lambda: bool,
                  ) -> list[Evaluator]:
        return [
            self.compile(operand, f"{where}[{i}]", depth, in_lambda)
            for i, operand in enumerate(operands)
        ]

    @staticmethod
    def _arity(name: str, operands: list[Any], where: str, *allowed: int) -> None:
        if len(operands) not in allowed:
            wanted = " or ".join(str(n) for n in allowed)
            raise RuleError(f"{where}: {name!r} needs {wanted} operands, got {len(operands)}")

    def _var(self, path: Any, where: str, in_lambda: bool) -> Evaluator:
        if not isinstance(path, str):
            raise RuleError(f'{where}: not of the form {{ "var": "<path>" }}')
        if not in_lambda:  # inside a reduce lambda, paths name `current`/`accumulator`
            self.facts.add(path)
        return data_access(path, where)

    def _if(self, name: str, operands: list[Any], where: str, depth: int, in_lambda: bool,
            ) -> Evaluator:
        self._arity(name, operands, where, 3)
        guard, then, otherwise = self._operands(name, operands, where, depth, in_lambda)

        def if_(data: Any) -> Any:
            value = guard(data)
            if value is True:
                return then(data)
            if value is False or value is None:
                return otherwise(data)
            # Spec: anything not truthy (falsy, or neither) takes the else branch.
            return then(data) if truthiness(value) is True else otherwise(data)

        return if_

    def _and(self, name: str, operands: list[Any], where: str, depth: int, in_lambda: bool,
             ) -> Evaluator:
        if len(operands) < 2:
            raise RuleError(f"{where}: 'and' needs at least 2 operands, got {len(operands)}")
        compiled = self._operands(name, operands, where, depth, in_lambda)
        if len(compiled) == 2:
            first, second = compiled

            def and_2(data: Any) -> Any:
                value = first(data)
                if value is not True and (
                    value is False or value is None or not require_truthiness(value, where)
                ):
                    return value
                value = second(data)
                if value is not True and value is not False and value is not None:
                    require_truthiness(value, where)
                return value

            return and_2

        def and_n(data: Any) -> Any:
            value = None
            for operand in compiled:  # lazily: stops at the first falsy operand
                value = operand(data)
                if value is not True and not require_truthiness(value, where):
                    return value
            return value

        return and_n

    def _not(self, name: str, operands: list[Any], where: str, depth: int, in_lambda: bool,
             ) -> Evaluator:
        self._arity(name, operands, where, 1)
        (operand,) = self._operands(name, operands, where, depth, in_lambda)

        def not_(data: Any) -> bool:
            value = operand(data)
            if value is True:
                return False
            if value is False or value is None:
                return True
            return not require_truthiness(value, where)

        return not_

    def _equal(self, name: str, operands: list[Any], where: str, depth: int, in_lambda: bool,
               ) -> Evaluator:
        self._arity(name, operands, where, 2)
        left, right = self._operands(name, operands, where, depth, in_lambda)
        negate = name == "!=="
        literal = self._literals.get(right, None)
        if type(literal) in (str, int, bool):  # `{"===": [{"var": "facts.x"}, false]}`
            literal_kind = type(literal)

            def equal_literal(data: Any) -> Any:
                a = left(data)
                if type(a) is literal_kind:
                    return (a != literal) if negate else (a == literal)
                return strict_equal(a, literal, where) is not negate

            return equal_literal

        def equal(data: Any) -> Any:  # a bool; Any spares a bool() call per evaluation
            a, b = left(data), right(data)
            kind = type(a)
            # Same plain type: Python's == is already strict (True == 1 needs two types).
            if kind is type(b) and (kind is str or kind is int or kind is bool):
                return (a != b) if negate else (a == b)
            return strict_equal(a, b, where) is not negate

        return equal

    def _in(self, name: str, operands: list[Any], where: str, depth: int, in_lambda: bool,
            ) -> Evaluator:
        self._arity(name, operands, where, 2)
        needle_of, haystack_of = self._operands(name, operands, where, depth, in_lambda)
        if haystack_of in self._literals:
            return self._in_literal(needle_of, self._literals[haystack_of], where)

        def in_(data: Any) -> bool:
            needle, haystack = needle_of(data), haystack_of(data)
            if type(haystack) is not list and not isinstance(haystack, list | tuple):
                raise RuleError(
                    f"{where}: 2nd operand must be an array, got {type_name(haystack)}"
                )
            kind = type(needle)
            if kind is str or needle is None:  # == on these is already strict
                return needle in haystack
            # Loose `in` is a superset of strict equality: only a loose hit needs a recheck.
            if (kind is int or kind is bool) and needle not in haystack:
                return False
            return any(strict_equal(needle, item, where) for item in haystack)

        return in_

    @staticmethod
    def _in_literal(needle_of: Evaluator, haystack: list[Any], where: str) -> Evaluator:
        # Strings and integers (not booleans) hash strictly by type, so sets answer them.
        strings = frozenset(item for item in haystack if type(item) is str)
        integers = frozenset(item for item in haystack if type(item) is int)

        def in_literal(data: Any) -> bool:
            needle = needle_of(data)
            kind = type(needle)
            if kind is str:
                return needle in strings
            if kind is int:
                return needle in integers
            return any(strict_equal(needle, item, where) for item in haystack)

        return in_literal

    def _plus(self, name: str, operands: list[Any], where: str, depth: int, in_lambda: bool,
              ) -> Evaluator:
        self._arity(name, operands, where, 2)
        left, right = self._operands(name, operands, where, depth, in_lambda)

        def plus(data: Any) -> int:
            a, b = left(data), right(data)
            if type(a) is int and type(b) is int:
                return a + b
            return _integer(a, where) + _integer(b, where)

        return plus

    def _compare(self, name: str, operands: list[Any], where: str, depth: int, in_lambda: bool,
                 ) -> Evaluator:
        self._arity(name, operands, where, 2, 3)
        compiled = self._operands(name, operands, where, depth, in_lambda)
        if name in _DATE_COMPARISONS:
            moments = [
                self._moments.get(item) or dateops.moment_of(item, where) for item in compiled
            ]
            return dateops.compare(_DATE_COMPARISONS[name], moments)
        compare = _INTEGER_COMPARISONS[name]
        if len(compiled) == 3:
            first, second, third = compiled

            def between(data: Any) -> bool:
                a, b, c = first(data), second(data), third(data)
                a, b, c = _integer(a, where), _integer(b, where), _integer(c, where)
                return compare(a, b) and compare(b, c)

            return between
        left, right = compiled
        limit = as_integer(operands[1]) if not isinstance(operands[1], bool) else None
        if limit is not None:  # a threshold literal: one call fewer on the hot path

            def against_literal(data: Any) -> bool:
                a = left(data)
                if type(a) is not int:
                    a = _integer(a, where)
                return compare(a, limit)

            return against_literal

        def binary(data: Any) -> bool:
            a, b = left(data), right(data)
            if type(a) is not int or type(b) is not int:
                a, b = _integer(a, where), _integer(b, where)
            return compare(a, b)

        return binary

    def _literal_integer(self, operands: list[Any], position: int, where: str, name: str) -> int:
        value = operands[position]
        number = None if isinstance(value, bool) else as_integer(value)
        if number is None:
            raise RuleError(
                f"{where}[{position}]: {name!r} needs an integer literal here, "
                f"got {type_name(value)}"
            )
        return number

    def _date_time_maker(self, moment_of: MomentOf) -> Evaluator:
        evaluator = dateops.as_date_time(moment_of)
        self._moments[evaluator] = moment_of
        return evaluator

    def _plus_time(self, name: str, operands: list[Any], where: str, depth: int, in_lambda: bool,
                   ) -> Evaluator:
        self._arity(name, operands, where, 3)
        amount = self._literal_integer(operands, 1, where, name)
        unit = operands[2]
        if not isinstance(unit, str) or unit not in TIME_UNITS:
            raise RuleError(f"{where}[2]: time unit must be one of {', '.join(TIME_UNITS)}")
        if isinstance(operands[0], str):  # a literal date: work it out once, now
            return self._date_time_maker(
                dateops.plus_time_of_literal(operands[0], amount, unit, where)
            )
        (operand,) = self._operands(name, operands[:1], where, depth, in_lambda)
        return self._date_time_maker(dateops.plus_time(operand, amount, unit, where))

    def _date_of_birth(self, name: str, operands: list[Any], where: str, depth: int,
                       in_lambda: bool) -> Evaluator:
        self._arity(name, operands, where, 1)
        if isinstance(operands[0], str):
            return self._date_time_maker(dateops.date_of_birth_of_literal(operands[0], where))
        (operand,) = self._operands(name, operands, where, depth, in_lambda)
        return self._date_time_maker(dateops.date_of_birth(operand, where))

    def _extract_from_uvci(self, name: str, operands: list[Any], where: str, depth: int,
                           in_lambda: bool) -> Evaluator:
        self._arity(name, operands, where, 2)
        index = self._literal_integer(operands, 1, where, name)
        (operand,) = self._operands(name, operands[:1], where, depth, in_lambda)

        def extract(data: Any) -> str | None:
            uci = operand(data)
            if uci is None:
                return None
            uci = _string_operand(uci, where, "a string or null")
            fragments = uci.replace("#", "/").replace(":", "/").split("/")
            if fragments[:2] == ["URN", "UVCI"]:  # the optional prefix is no fragment
                del fragments[:2]
            return fragments[index] if 0 <= index < len(fragments) else None

        return extract

    def _reduce(self, name: str, operands: list[Any], where: str, depth: int, in_lambda: bool,
                ) -> Evaluator:
        self._arity(name, operands, where, 3)
        array_of = self.compile(operands[0], f"{where}[0]", depth, in_lambda)
        step = self.compile(operands[1], f"{where}[1]", depth, True)
        initial_of = self.compile(operands[2], f"{where}[2]", depth, in_lambda)

        def reduce_(data: Any) -> Any:
            array = array_of(data)
            accumulator = initial_of(data)
            if array is None:  # JsonLogic and the suite: reducing null gives the initial
                return accumulator
            if not isinstance(array, list | tuple):
                raise RuleError(f"{where}: operand must be an array, got {type_name(array)}")
            for current in array:
                accumulator = step({"current": current, "accumulator": accumulator})
            return accumulator

        return reduce_
