"""CertLogic: evaluate the rules of a benefit's criteria (specification version 1.3.3).

CertLogic is the JsonLogic subset written for EU DCC business rules: total, side-effect free,
evaluable offline. Written from the specification (ehn-dcc-development/dgc-business-rules,
``certlogic/specification/README.md``) and checked against its test suite in
``tests/conformance/certlogic/``.

>>> compiled = compile_expression({"and": [{"var": "facts.registered"},
...                                        {">=": [{"var": "facts.employees"}, 10]}]})
>>> compiled.evaluate({"facts": {"registered": True, "employees": 12}})
True
>>> sorted(compiled.facts)
['facts.employees', 'facts.registered']
>>> evaluate({"plusTime": ["2020-02-29", 1, "year"]}, None).isoformat()
'2021-03-01T00:00:00.000Z'

Choices where the spec leaves room (all tested in tests/test_rules_errors.py):

* A value from the data that is a float with an integral value counts as that integer
  (JSON cannot tell 2 from 2.0); other floats are no CertLogic value.
* ``===`` compares arrays and objects deeply, and refuses date-times (JavaScript would compare
  object identity); ``!==`` is its negation.
* ``in`` on a second operand that is not an array, and every operation on a value of the
  wrong type (``null`` included, except where the spec says otherwise), raises RuleError;
  so does a date string the spec's formats do not allow or that names no calendar day.
* ``reduce`` over ``null`` gives the initial value (as the suite expects).
* Date-times live in Python's years 0001-9999 (JavaScript's reach ±275,760 years): year 0000,
  or a ``plusTime`` beyond 9999, raises RuleError.
* Expressions may nest at most MAX_DEPTH (64) JSON levels; an operation counts two (its
  object and its operand array).

Module map: rules_compile (validation, closures), rules_operands (literal operand checks),
rules_access (``var``), rules_dateops and rules_datetime (date-time operations on C
``datetime``), rules_calendar (the exact integer reference calendar the fast path falls back
to), rules_values (RuleError, truthiness, ``===``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.core.rules.compiler import MAX_DEPTH, Compiler
from kiosk.core.rules.datetimes import DateTime
from kiosk.core.rules.values import Evaluator, RuleError, is_falsy, is_truthy

__all__ = [
    "MAX_DEPTH",
    "CompiledExpression",
    "DateTime",
    "RuleError",
    "compile_expression",
    "evaluate",
    "facts_read",
    "is_falsy",
    "is_truthy",
]


class CompiledExpression:
    """A validated expression, ready to evaluate against many data objects."""

    __slots__ = ("criterion", "evaluate", "expression", "facts")

    evaluate: Callable[[Any], Any]
    """``evaluate(data)``: the expression's value for `data`; RuleError naming the criterion
    when it has none. A closure in an attribute, not a method: one layer fewer per call."""

    def __init__(self, expression: Any, evaluator: Evaluator, facts: frozenset[str],
                 criterion: str | None) -> None:
        self.expression = expression
        self.criterion = criterion
        self.facts = facts

        def evaluate(data: Any) -> Any:
            try:
                return evaluator(data)
            except RuleError as error:
                raise error.for_criterion(criterion) from None

        self.evaluate = evaluate

    def __repr__(self) -> str:
        name = f" {self.criterion!r}" if self.criterion is not None else ""
        return f"<CompiledExpression{name} reading {sorted(self.facts)}>"


def compile_expression(expression: Any, *, criterion: str | None = None) -> CompiledExpression:
    """Validate the whole of `expression` now and return it ready to evaluate.

    Raises RuleError (naming `criterion` when given) for an unknown operator, a wrong number
    of operands, a malformed operation or literal, or nesting deeper than MAX_DEPTH.
    """
    compiler = Compiler()
    try:
        evaluator = compiler.compile(expression)
    except RuleError as error:
        raise error.for_criterion(criterion) from None
    return CompiledExpression(expression, evaluator, frozenset(compiler.facts), criterion)


def evaluate(expression: Any, data: Any) -> Any:
    """The CertLogic value of `expression` for the data object `data` (compiles each call)."""
    return compile_expression(expression).evaluate(data)


def facts_read(expression: Any) -> frozenset[str]:
    """The `var` paths `expression` reads from the data (not those inside reduce lambdas).

    Raises RuleError for an invalid expression, like compile_expression.
    """
    return compile_expression(expression).facts
