"""A lazy logger is the real one once used: same records, same name, the true caller."""

from __future__ import annotations

import logging

import pytest

from kiosk.common.lazy_logging import lazy_logger


def _warn_from_here() -> None:
    lazy_logger("test.lazy").warning("something %s", "odd")


def test_records_reach_the_named_logger_from_their_caller(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="test.lazy"):
        _warn_from_here()
    (record,) = caplog.records
    assert (record.name, record.getMessage(), record.funcName) == ("test.lazy", "something odd", "_warn_from_here")


def test_it_answers_as_the_logger_itself() -> None:
    assert lazy_logger("test.lazy").isEnabledFor is not None
    assert lazy_logger("test.lazy").name == logging.getLogger("test.lazy").name
