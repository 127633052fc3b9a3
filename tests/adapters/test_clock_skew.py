"""Clock skew from a Date header: sign, resolution, and every kind of bad header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.adapters.clock_skew import skew_seconds

NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


def test_a_kiosk_ahead_of_the_server_has_a_positive_skew() -> None:
    assert skew_seconds("Tue, 01 Dec 2026 11:54:00 GMT", NOW) == 360.0


def test_a_kiosk_behind_the_server_has_a_negative_skew() -> None:
    assert skew_seconds("Tue, 01 Dec 2026 12:10:00 GMT", NOW) == -600.0


def test_local_time_in_another_zone_is_compared_as_the_same_moment() -> None:
    beijing = NOW.astimezone(timezone(timedelta(hours=8)))
    assert skew_seconds("Tue, 01 Dec 2026 12:00:00 GMT", beijing) == 0.0


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "yesterday",
        "Tue, 01 Dec 2026 25:00:00 GMT",
        "Tue, 01 Dec 2026 12:00:00 -0000",
        "Tue, 01 Dec 9999999 12:00:00 GMT",
        "Tue, 01 Dec 2026 12:00:00 GMT" + " " * 80,
        "Mon, 01 Jan 1900 00:00:00 GMT",
    ],
)
def test_a_missing_or_unreadable_header_means_no_skew_is_known(header: str | None) -> None:
    assert skew_seconds(header, NOW) is None


def test_a_naive_local_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="time zone"):
        skew_seconds("Tue, 01 Dec 2026 12:00:00 GMT", datetime(2026, 12, 1, 12))


@given(st.text(max_size=80))
def test_any_header_text_gives_a_finite_number_or_none(header: str) -> None:
    result = skew_seconds(header, NOW)
    assert result is None or abs(result) < 4e9
