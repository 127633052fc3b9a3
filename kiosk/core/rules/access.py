"""CertLogic data access (`var`): a dotted path into the data, compiled to one closure.

Spec: fragments are separated by periods; an integer fragment indexes an array; anything
missing or not drillable (null, a string, a number) gives null; "" is the whole data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk.core.rules.values import Evaluator, RuleError


def _step(value: Any, key: str, index: int | None) -> Any:
    """One path fragment into anything but a plain dict (the closures handle those inline)."""
    if isinstance(value, Mapping):
        return value.get(key)
    if index is not None and isinstance(value, list | tuple):
        return value[index] if index < len(value) else None
    return None


def data_access(path: str, where: str) -> Evaluator:
    """The closure for `{"var": path}`; RuleError for an empty fragment ("a..b", "a.")."""
    if path == "":
        return lambda data: data
    fragments = path.split(".")
    if "" in fragments:
        raise RuleError(f"{where}.var: data access path doesn't have a valid format: {path}")
    # An integer fragment indexes arrays; JavaScript only reads canonical indices ("1", not
    # "01" or "-1"), and objects keep digit keys as keys.
    steps = tuple(
        (key, int(key) if key.isascii() and key.isdigit() and str(int(key)) == key else None)
        for key in fragments
    )
    # Paths of one or two fragments ("facts.x") are nearly all there is: no loop for them.
    if len(steps) == 1:
        ((key, index),) = steps

        def var_1(data: Any) -> Any:
            if type(data) is dict:
                return data.get(key)
            return _step(data, key, index)

        return var_1
    if len(steps) == 2:
        (key_1, index_1), (key_2, index_2) = steps

        def var_2(data: Any) -> Any:
            data = data.get(key_1) if type(data) is dict else _step(data, key_1, index_1)
            if type(data) is dict:
                return data.get(key_2)
            return _step(data, key_2, index_2)

        return var_2

    def var_n(data: Any) -> Any:
        for key, index in steps:
            data = data.get(key) if type(data) is dict else _step(data, key, index)
            if data is None:
                return None
        return data

    return var_n
