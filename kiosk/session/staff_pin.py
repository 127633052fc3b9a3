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

from kiosk.core.catalog import message
from kiosk.core.errors import KioskError

MAX_FAILURES = 5
LOCKOUT_SECONDS = 300.0
MAX_PIN_DIGITS = 12
# n=2**14, r=8 costs ~16 MiB and tens of milliseconds: slow for guessing, fine for one touch.
_N, _R, _P = 2**14, 8, 1
# What one check may cost. OpenSSL refuses a hash whose buffers (128*r*p + 128*r*(n+2) bytes)
# exceed maxmem, or with n >= 2**(16*r); the check runs on the UI loop, so its work (n*r*p) is
# capped at 4x the default's.
MAXMEM = 64 * 1024 * 1024
MAX_WORK = 4 * _N * _R * _P


class PinHashError(KioskError):
    def __init__(self, detail: str) -> None:
        super().__init__(
            detail,
            message("session.staff_pin.text"),
        )


def hash_pin(pin: str, *, salt: bytes | None = None, n: int = _N, r: int = _R, p: int = _P) -> str:
    if not pin.isdigit() or not 4 <= len(pin) <= MAX_PIN_DIGITS:
        raise ValueError(f"a staff PIN is 4 to {MAX_PIN_DIGITS} digits")
    salt = salt if salt is not None else secrets.token_bytes(16)
    _check_cost(n, r, p)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=MAXMEM, dklen=32)
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
    _check_cost(n, r, p)
    if not 8 <= len(salt) <= 64 or not 16 <= len(digest) <= 64:
        raise PinHashError("staff_pin_hash salt (8-64 bytes) or hash (16-64 bytes) has the wrong length")
    return _Parsed(n, r, p, salt, digest)


def scrypt_memory(n: int, r: int, p: int) -> int:
    """Bytes OpenSSL's scrypt allocates (B and V, X, T of RFC 7914), the figure maxmem bounds."""
    return 128 * r * p + 128 * r * (n + 2)


def _check_cost(n: int, r: int, p: int) -> None:
    """Exactly the parameters the checker can run: in range, within MAXMEM and MAX_WORK."""
    if n < 2**10 or n > 2**20 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise PinHashError("staff_pin_hash cost parameters are out of range")
    if n >= 2 ** (16 * r):
        raise PinHashError("staff_pin_hash n must be below 2**(16*r) (scrypt's own rule): raise r")
    if scrypt_memory(n, r, p) > MAXMEM:
        raise PinHashError(
            f"staff_pin_hash needs {scrypt_memory(n, r, p) // (1024 * 1024)} MiB per check, over the "
            f"{MAXMEM // (1024 * 1024)} MiB limit: lower n or r (e.g. n=16384, r=8)"
        )
    if n * r * p > MAX_WORK:
        raise PinHashError("staff_pin_hash costs more work than one check may take: lower n, r or p")


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
                maxmem=MAXMEM, dklen=len(parsed.digest),
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
