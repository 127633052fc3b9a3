"""A module's logger that imports `logging` at its first use.

The store, the bundle sync and the checkers log only when something goes wrong, and an offline
`kiosk check` goes through all of them: importing logging at their import (with the traceback,
threading and string modules it loads) was ~5 ms of a run that usually logs nothing. Once
used, every attribute is the real logger's own, so records name their true caller, and the
configuration in logs.py (or a test's caplog) applies as to any logger.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import logging


class _LazyLogger:
    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: logging.Logger | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._logger is None:
            import logging

            self._logger = logging.getLogger(self._name)
        return getattr(self._logger, attribute)


def lazy_logger(name: str) -> logging.Logger:
    """What ``logging.getLogger(name)`` gives, made when first used."""
    return cast("logging.Logger", _LazyLogger(name))
