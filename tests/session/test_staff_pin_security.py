"""Staff PIN gaps not in tests/test_staff_pin.py: the stored form really is salted scrypt at the
default cost, a plain PIN in the config is refused, and a locked-out kiosk does no hashing."""

from __future__ import annotations

import hashlib
import hmac
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.session.staff_pin import (
    LOCKOUT_SECONDS,
    MAX_FAILURES,
    MAXMEM,
    PinHashError,
    StaffPin,
    hash_pin,
    scrypt_memory,
    validate_pin_hash,
)
from kiosk.station.config import ConfigError, load_config


def test_the_default_hash_is_scrypt_with_a_16_byte_salt_at_n_2_14() -> None:
    stored = hash_pin("13579")
    name, n, r, p, salt, digest = stored.split("$")
    assert (name, int(n), int(r), int(p)) == ("scrypt", 2**14, 8, 1)
    assert len(bytes.fromhex(salt)) == 16
    again = hashlib.scrypt(b"13579", salt=bytes.fromhex(salt), n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024,
                           dklen=len(bytes.fromhex(digest)))
    assert hmac.compare_digest(again, bytes.fromhex(digest))
    assert "13579" not in stored


@pytest.mark.parametrize("value", ["2468", "sha256$abc", "scrypt$16384$8$1$00$00"])
def test_a_plain_or_weak_pin_in_the_config_stops_start_up(tmp_path: Path, value: str) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'staff_pin_hash = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.key == "staff_pin_hash"
    assert value not in caught.value.text.zh + caught.value.text.en


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_locked_out_pin_is_refused_without_hashing_and_unlocks_after_the_lockout() -> None:
    clock = Clock()
    pin = StaffPin(hash_pin("97531", n=2**10), clock=clock)
    for attempt in ["1", "22", "333", "4444", "55555"][:MAX_FAILURES]:
        assert not pin.check(attempt)  # wrong PINs of any length count the same
    assert pin.seconds_locked() == LOCKOUT_SECONDS
    calls = 0

    def profiler(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "c_call" and arg is hashlib.scrypt:
            calls += 1

    sys.setprofile(profiler)
    try:
        refused = pin.check("97531")
    finally:
        sys.setprofile(None)
    assert not refused
    assert calls == 0  # no hashing while locked: no timing to learn from, no CPU to burn
    clock.now += LOCKOUT_SECONDS
    assert pin.check("97531")


# -- issue #18 item 7: validation accepts exactly what the checker can run --------------------

def _hash_line(n: int, r: int, p: int) -> str:
    return f"scrypt${n}${r}${p}${'00' * 16}${'11' * 32}"


@pytest.mark.parametrize(("n", "r"), [(65536, 8), (16384, 32), (65536, 1), (32768, 16)])
def test_costs_the_checker_cannot_run_are_refused_by_validation_in_one_line(n: int, r: int) -> None:
    with pytest.raises(PinHashError) as caught:
        validate_pin_hash(_hash_line(n, r, 1))
    assert "\n" not in caught.value.detail
    with pytest.raises(ValueError):  # and OpenSSL indeed refuses them
        hashlib.scrypt(b"1234", salt=b"0" * 16, n=n, r=r, p=1, maxmem=MAXMEM, dklen=32)


def _largest_accepted_n(r: int, p: int) -> int | None:
    accepted = [1 << e for e in range(10, 21) if _accepts(1 << e, r, p)]
    return max(accepted) if accepted else None


def _accepts(n: int, r: int, p: int) -> bool:
    try:
        validate_pin_hash(_hash_line(n, r, p))
    except PinHashError:
        return False
    return True


@pytest.mark.parametrize("r", [1, 8, 15, 16, 32])
@pytest.mark.parametrize("p", [1, 16])
def test_at_the_edge_of_what_validation_accepts_the_check_runs_and_one_step_more_is_refused(r: int, p: int) -> None:
    """For each r and p: the largest accepted n hashes a PIN; the next n, if refused for its
    memory, is refused by OpenSSL as well. So validation and the checker agree at the edge."""
    n = _largest_accepted_n(r, p)
    if n is None:
        assert not any(_accepts(1 << e, r, p) for e in range(10, 21))
        return
    stored = hash_pin("2468", salt=b"s" * 16, n=n, r=r, p=p)
    assert StaffPin(stored).check("2468")
    beyond = n * 2
    if beyond <= 2**20 and (scrypt_memory(beyond, r, p) > MAXMEM or beyond >= 2 ** (16 * r)):
        with pytest.raises(ValueError):
            hashlib.scrypt(b"2468", salt=b"s" * 16, n=beyond, r=r, p=p, maxmem=MAXMEM, dklen=32)


def test_the_config_refuses_a_pin_hash_the_checker_cannot_run(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'staff_pin_hash = "{_hash_line(65536, 8, 1)}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.key == "staff_pin_hash"
