"""The staff PIN: a salted scrypt hash in the config, and a lockout after repeated failures.

Hash format (one line, safe to keep in the config file)::

    scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>

`kiosk run --hash-pin` prints one. The kiosk never stores or shows the PIN itself, and the PIN
screen does not show how many digits were typed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.core.errors import KioskError
from kiosk.core.text import LocalText

MAX_FAILURES = 5
LOCKOUT_SECONDS = 300.0
MAX_PIN_DIGITS = 12
# n=2**14, r=8 costs ~16 MiB and tens of milliseconds: slow for guessing, fine for one touch.
_N, _R, _P = 2**14, 8, 1


class PinHashError(KioskError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            detail,
            LocalText(
                "工作人员密码配置有误，请联系运维人员。", "The staff PIN setting is faulty. Please contact IT support."
            ),
        )


def hash_pin(pin: str, *, salt: bytes | None = None, n: int = _N, r: int = _R, p: int = _P) -> str:
    if not pin.isdigit() or not 4 <= len(pin) <= MAX_PIN_DIGITS:
        raise ValueError(f"a staff PIN is 4 to {MAX_PIN_DIGITS} digits")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


@dataclass(frozen=True, slots=True)
class _Parsed:
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes


def _parse(stored: str) -> _Parsed:
    parts = stored.strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise PinHashError("staff_pin_hash is not scrypt$n$r$p$salt$hash")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, digest = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        raise PinHashError("staff_pin_hash has a non-numeric cost or non-hex salt/hash") from None
    if n < 2**10 or n > 2**20 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise PinHashError("staff_pin_hash cost parameters are out of range")
    if len(salt) < 8 or len(digest) < 16:
        raise PinHashError("staff_pin_hash salt or hash is too short")
    return _Parsed(n, r, p, salt, digest)


def validate_pin_hash(stored: str) -> None:
    _parse(stored)


class StaffPin:
    """Checks PIN attempts; after MAX_FAILURES wrong ones, refuses everything for a while."""

    def __init__(self, stored_hash: str | None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._parsed = _parse(stored_hash) if stored_hash else None
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0

    @property
    def configured(self) -> bool:
        return self._parsed is not None

    def seconds_locked(self) -> float:
        return max(0.0, self._locked_until - self._clock())

    def check(self, attempt: str) -> bool:
        """True when the PIN is right; a locked-out check is refused without hashing."""
        if self._parsed is None or self.seconds_locked() > 0:
            return False
        parsed = self._parsed
        ok = False
        if attempt.isdigit() and len(attempt) <= MAX_PIN_DIGITS:
            digest = hashlib.scrypt(
                attempt.encode(), salt=parsed.salt, n=parsed.n, r=parsed.r, p=parsed.p,
                maxmem=64 * 1024 * 1024, dklen=len(parsed.digest),
            )
            ok = hmac.compare_digest(digest, parsed.digest)
        if ok:
            self._failures = 0
            return True
        self._failures += 1
        if self._failures >= MAX_FAILURES:
            self._failures = 0
            self._locked_until = self._clock() + LOCKOUT_SECONDS
        return False
