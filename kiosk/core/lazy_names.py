"""A package's public names, imported from their modules when first used (PEP 562).

The kiosk's start and `kiosk check` import these packages on every run, and most runs use a few
of their names: each name's module loads at its first use, then the name is kept in the
package like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from importlib import import_module
from typing import Any


def lazy_names(package: str, module_of: Mapping[str, str], namespace: MutableMapping[str, Any]) -> Callable[[str], Any]:
    """The package's ``__getattr__``: ``module_of`` maps each public name to its module."""

    def attribute(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    return attribute
