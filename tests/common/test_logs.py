"""The redaction filter: the second line of defence behind 'log events, never payloads'."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.common.logs import RedactionFilter, redact

CANARIES = [
    "91110000600037341L",  # USCC
    "11010519491231002X",  # resident ID number, upper-case X
    "11010519491231002x",  # lower-case x as people type it
    "110105491231002",  # first-generation 15-digit number
    "XKT:Zm9vYmFyYmF6cXV4",  # opaque token
    "XK1:6BFOXN*TS0BI$ZD8UHYTR.JFPN",  # signed credential text
    "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH",
]


@pytest.mark.parametrize("canary", CANARIES)
def test_identifiers_tokens_and_credentials_are_masked(canary: str) -> None:
    line = f"checked subject {canary} for expedited-permit"
    assert canary not in redact(line)
    assert "expedited-permit" in redact(line)


def test_the_filter_masks_arguments_and_drops_exception_text(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactionFilter())
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("scan %s", "91110000600037341L")
            try:
                raise ValueError("holder 11010519491231002X")
            except ValueError:
                logger.exception("check failed")
    finally:
        logger.filters.clear()
    assert "91110000600037341L" not in caplog.text
    assert "11010519491231002X" not in caplog.text
    assert "[ValueError]" in caplog.text


def test_ordinary_event_lines_are_left_alone() -> None:
    line = "POST /v1/eligibility 200 1.3 ms device=kiosk-0042 benefit=sme-loan-fast-track"
    assert redact(line) == line


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.sampled_from(CANARIES), st.text(max_size=40))
def test_a_canary_is_masked_wherever_it_stands(before: str, canary: str, after: str) -> None:
    # Glue characters that could extend the identifier are what a real log line has around it.
    line = f"{before} {canary} {after}"
    assert canary not in redact(line)
