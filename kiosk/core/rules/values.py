"""CertLogic values: the rule error, date-time values, truthiness and strict equality.

Spec: ehn-dcc-development/dgc-business-rules, certlogic/specification/README.md, version 1.3.3.
Values are JSON values (None, bool, int, str, list, dict) plus date-times, which only
`plusTime` and `dccDateOfBirth` make. JSON cannot tell 2 from 2.0, so a float with an integral
value counts as that integer everywhere; any other float is no CertLogic value (neither truthy
nor falsy, an error wherever a number is needed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kiosk.core.catalog import message
from kiosk.core.errors import KioskError
from kiosk.core.rules.datetimes import DateTime

# A compiled expression: the data -> its value. Every operation compiles to one.
Evaluator = Callable[[Any], Any]

_RULE_TEXT = message("core.rules.values.rule")


class RuleError(KioskError):
    """An invalid CertLogic expression, or one that met a value it cannot work on.

    `reason` says what is wrong and where in the expression (a path such as
    ``$.and[1].after[0]``); it never quotes the data evaluated, only its type.
    """

    def __init__(self, reason: str, *, criterion: str | None = None) -> None:
        self.reason = reason
        self.criterion = criterion
        if criterion is None:
            detail, text = reason, _RULE_TEXT
        else:
            detail = f"criterion {criterion!r}: {reason}"
            text = message("core.rules.values.rule_in_criterion", criterion=criterion)
        super().__init__(detail, text)

    def for_criterion(self, criterion: str | None) -> RuleError:
        """The same error naming `criterion`; unchanged when it already names one."""
        if criterion is None or self.criterion is not None:
            return self
        return RuleError(self.reason, criterion=criterion)


def type_name(value: object) -> str:
    """The CertLogic name of a value's type, for error messages (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "non-integer number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, DateTime):
        return "date-time"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "non-JSON value"


def as_integer(value: object) -> int | None:
    """The integer a value stands for, or None when it is not one (booleans are not)."""
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def truthiness(value: Any) -> bool | None:
    """True for truthy, False for falsy, None for values that are neither (spec: Values)."""
    kind = type(value)
    if kind is bool:
        return bool(value)
    if kind is str or kind is list or kind is dict:
        return len(value) > 0
    if kind is int:
        return bool(value)
    if value is None:
        return False
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) > 0
    number = as_integer(value)
    if number is not None:
        return number != 0
    return None


def is_truthy(value: Any) -> bool:
    """CertLogic truthiness: only truthy values give True (neither-nor values give False)."""
    if value is True or value is False:  # what criteria nearly always give: no second call
        return value
    return truthiness(value) is True


def is_falsy(value: Any) -> bool:
    """CertLogic falsiness: only falsy values give True (neither-nor values give False)."""
    return truthiness(value) is False


def require_truthiness(value: Any, where: str) -> bool:
    """Truthiness where the spec demands a truthy or falsy value (`and`, `!`)."""
    verdict = truthiness(value)
    if verdict is None:
        raise RuleError(f"{where}: operand is neither truthy nor falsy ({type_name(value)})")
    return verdict


def _json_kind(value: Any) -> str:
    """The JSON kind `===` compares by: numbers are one kind, as in JavaScript."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "number"
    return type_name(value).replace("non-integer number", "number").replace("integer", "number")


def _scalar_equal(left: Any, right: Any, where: str) -> bool | None:
    """Equality of two values unless both are arrays or both objects (then None)."""
    left_kind, right_kind = _json_kind(left), _json_kind(right)
    if "date-time" in (left_kind, right_kind):
        raise RuleError(f"{where}: '===' is not defined on date-times; use not-before/not-after")
    if "non-JSON value" in (left_kind, right_kind):
        raise RuleError(f"{where}: '===' met a non-JSON value")
    if left_kind != right_kind:
        return False
    if left_kind == "array" or left_kind == "object":
        return None
    return bool(left == right)


def strict_equal(left: Any, right: Any, where: str) -> bool:
    """`===` without type coercion: 1 is not true, "1" is not 1; arrays and objects deeply.

    Iterative, so deeply nested data cannot exhaust the stack.
    """
    pending = [(left, right)]
    while pending:
        a, b = pending.pop()
        verdict = _scalar_equal(a, b, where)
        if verdict is False:
            return False
        if verdict is None:
            if len(a) != len(b):
                return False
            if isinstance(a, Mapping):
                if a.keys() != b.keys():
                    return False
                pending.extend((a[key], b[key]) for key in a)
            else:
                pending.extend(zip(a, b, strict=True))
    return True
