"""Staff PIN: scrypt hash round trip, lockout after five failures, bad hashes refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.session.staff_pin import LOCKOUT_SECONDS, MAX_FAILURES, PinHashError, StaffPin, hash_pin

FAST = {"n": 2**10, "r": 8, "p": 1}


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_right_pin_opens_and_the_hash_never_holds_it() -> None:
    stored = hash_pin("246810", **FAST)
    assert "246810" not in stored and stored.startswith("scrypt$1024$8$1$")
    pin = StaffPin(stored)
    assert pin.check("246810")
    assert not pin.check("246811")
    assert hash_pin("246810", **FAST) != stored  # salted


def test_five_failures_lock_out_even_the_right_pin_for_five_minutes() -> None:
    clock = Clock()
    pin = StaffPin(hash_pin("1357", **FAST), clock=clock)
    for _ in range(MAX_FAILURES):
        assert not pin.check("0000")
    assert pin.seconds_locked() == LOCKOUT_SECONDS
    assert not pin.check("1357")
    clock.now += LOCKOUT_SECONDS - 1
    assert not pin.check("1357")
    clock.now += 1
    assert pin.check("1357")


def test_no_configured_pin_means_no_staff_mode() -> None:
    pin = StaffPin(None)
    assert not pin.configured and not pin.check("1234")


@pytest.mark.parametrize(
    "stored",
    ["", "md5$abc", "scrypt$1000$8$1$00ff00ff00ff00ff$" + "00" * 32, "scrypt$1024$8$1$zz$00", "scrypt$1024$8$1$00$00"],
)
def test_a_broken_hash_is_a_config_error_not_a_crash(stored: str) -> None:
    if not stored:
        assert not StaffPin(stored).configured
        return
    with pytest.raises(PinHashError) as caught:
        StaffPin(stored)
    assert caught.value.text.en


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=20))
def test_any_attempt_is_just_wrong(attempt: str) -> None:
    pin = StaffPin(hash_pin("97531", **FAST))
    assert pin.check(attempt) is (attempt == "97531")


def test_pins_that_are_not_4_to_12_digits_are_refused_when_hashing() -> None:
    for bad in ("123", "12ab", "1" * 13):
        with pytest.raises(ValueError):
            hash_pin(bad, **FAST)
