"""Resident identity card number (居民身份证号码, GB 11643-1999), python-stdnum style.

The checksum is ISO 7064 MOD 11-2 (held equal to ``stdnum.cn.ric`` by a test); the rest is
ours too: ``stdnum.cn.ric.validate`` also demands that the region code be in its bundled table
for the birth year, which rejects real numbers whenever the table lags (DOMAIN.md §3). We
require the shape, a real birth date not in the future, and the check character.

>>> validate("44011320141005001x")
'44011320141005001X'
>>> validate("990101199001011230")
'990101199001011230'
>>> is_valid("36042619910102009X")
False
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from kiosk.core.credentials.errors import CredentialError

LENGTH = 18
PATTERN = re.compile(r"[1-9][0-9]{16}[0-9X]")
EARLIEST_BIRTH_YEAR = 1890
_SEPARATORS = str.maketrans("", "", " -\t")


def compact(value: str) -> str:
    """Strip spaces and dashes, fold full-width digits, upper-case the x."""
    # NFKC leaves ASCII as it is: only other text (full-width forms) needs folding.
    folded = value if value.isascii() else unicodedata.normalize("NFKC", value)
    return folded.translate(_SEPARATORS).strip().upper()


# ISO 7064 MOD 11-2 weights, 2^(17-i) mod 11, computed here rather than by stdnum: importing
# stdnum costs ~30 ms at every start (it imports ssl and pydoc).
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


def calc_check_digit(value: str) -> str:
    """Check character for an 18-character number (its own last character is ignored).

    The first 17 characters must be ASCII digits (validate() checks the pattern first)."""
    total = sum(map(int.__mul__, map(int, value[:17]), _WEIGHTS))
    return "0123456789X"[(12 - total % 11) % 11]


def birth_date(value: str) -> date | None:
    """The birth date digits 7-14 encode, or None when they are not a real date."""
    digits = value[6:14]
    if len(digits) != 8 or not digits.isascii() or not digits.isdigit():
        return None
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    return born if born.year >= EARLIEST_BIRTH_YEAR else None


def looks_like(value: str, *, today: date | None = None) -> bool:
    """Shape and birth date of a resident ID number, whatever the check character says."""
    code = compact(value)
    born = birth_date(code)
    return PATTERN.fullmatch(code) is not None and born is not None and born <= (today or date.today())


def validate(value: str, *, today: date | None = None) -> str:
    """Return the compact number, or raise CredentialError ("format" or "check_digit")."""
    code = compact(value)
    if len(code) != LENGTH:
        raise CredentialError("format", f"resident ID number must have {LENGTH} characters")
    if not PATTERN.fullmatch(code):
        raise CredentialError("format", "resident ID number must be 17 digits and a digit or X")
    born = birth_date(code)
    if born is None:
        raise CredentialError("format", "resident ID number does not hold a real birth date")
    if born > (today or date.today()):
        raise CredentialError("format", "resident ID number holds a birth date in the future")
    if code[-1] != calc_check_digit(code):
        raise CredentialError("check_digit", "resident ID check character does not match")
    return code


def is_valid(value: str, *, today: date | None = None) -> bool:
    try:
        validate(value, today=today)
    except CredentialError:
        return False
    return True


def format(value: str) -> str:
    return compact(value)
