"""Static operand checks: literals an operation can never accept, refused when compiling.

The spec lets an evaluator find type mismatches up front where it can; a literal of the wrong
type is one it always can.
"""

from __future__ import annotations

from typing import Any

from kiosk.core.rules.values import RuleError, as_integer

# Operands that no literal of another type can satisfy: (positions or None for all, the
# literal kinds allowed there, what the operand must be). Such an operation could only ever
# raise, so it is refused up front, when the policy is loaded, not at an applicant's check.
LITERAL_OPERANDS: dict[str, tuple[tuple[int, ...] | None, tuple[str, ...], str]] = {
    **{name: (None, ("integer",), "an integer") for name in ("<", ">", "<=", ">=")},
    **{
        name: (None, (), "a date-time")
        for name in ("after", "before", "not-after", "not-before")
    },
    "+": (None, ("integer",), "an integer"),
    "in": ((1,), ("array",), "an array"),
    "reduce": ((0,), ("array",), "an array"),
    "plusTime": ((0,), ("string",), "a date(-time) string"),
    "dccDateOfBirth": ((0,), ("string",), "a date-of-birth string"),
    "extractFromUVCI": ((0,), ("string",), "a string"),
}


def _literal_kind(operand: Any) -> str | None:
    """The kind of a literal operand; None for an operation (or what compile refuses)."""
    if isinstance(operand, bool):
        return "boolean"
    if isinstance(operand, str):
        return "string"
    if isinstance(operand, list | tuple):
        return "array"
    if as_integer(operand) is not None:
        return "integer"
    return None


def check_literal_operands(name: str, operands: list[Any], where: str) -> None:
    positions, allowed, what = LITERAL_OPERANDS[name]
    for position in range(len(operands)) if positions is None else positions:
        if position < len(operands):
            kind = _literal_kind(operands[position])
            if kind is not None and kind not in allowed:
                raise RuleError(
                    f"{where}[{position}]: operand must be {what}, but is a literal {kind}"
                )
