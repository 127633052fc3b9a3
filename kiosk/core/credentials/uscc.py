"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015), python-stdnum style.

The checksum is GB 32100's (held equal to ``stdnum.cn.uscc`` by a test); the format rule is
GB 32100's own too, because ``stdnum.cn.uscc.validate`` wrongly demands eight leading digits
and so rejects real codes whose registering authority is ``A``, ``N`` or ``Y`` (DOMAIN.md §3).

>>> validate("91 110000 600037341L")
'91110000600037341L'
>>> validate("N21100006000373414")
'N21100006000373414'
>>> is_valid("91110000600037341N")
False
"""

from __future__ import annotations

import re
import unicodedata

from kiosk.core.credentials.errors import CredentialError

LENGTH = 18
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 code characters: no I, O, S, V, Z
# Registering authority [1-9ANY], category [1-9], 6-digit region, 9-char organisation code
# (8 + its own check char), then the USCC check char.
PATTERN = re.compile(rf"[1-9ANY][1-9][0-9]{{6}}[{ALPHABET}]{{10}}")
_SEPARATORS = str.maketrans("", "", " -\t")
# Codes inside business-licence QR text or URLs: 18 code chars not touching other letters/digits.
_EMBEDDED = re.compile(rf"(?<![0-9A-Za-z])[1-9ANY][1-9][0-9]{{6}}[{ALPHABET}]{{10}}(?![0-9A-Za-z])")


def compact(value: str) -> str:
    """Strip spaces and dashes, upper-case (full-width forms are folded first)."""
    # NFKC leaves ASCII as it is: only other text (full-width forms) needs folding.
    folded = value if value.isascii() else unicodedata.normalize("NFKC", value)
    return folded.translate(_SEPARATORS).strip().upper()


# GB 32100's weights, 3^i mod 31. Computed here rather than by stdnum: its calc_check_digit
# cleans its input again on every call (most of the cost of reading a signed credential's
# subject), and importing stdnum costs ~30 ms at every start (it imports ssl and pydoc).
# tests/core/test_credentials_identifiers.py compares both over generated codes.
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _check_char(code: str) -> str:
    total = sum(map(int.__mul__, map(ALPHABET.index, code[:17]), _WEIGHTS))
    return ALPHABET[(31 - total) % 31]


def calc_check_digit(value: str) -> str:
    """Check character for the first 17 characters (upper case, from ALPHABET)."""
    return _check_char(value)


def validate(value: str) -> str:
    """Return the compact code, or raise CredentialError ("format" or "check_digit")."""
    code = compact(value)
    if len(code) != LENGTH:
        raise CredentialError("format", f"USCC must have {LENGTH} characters, got {len(code)}")
    if not PATTERN.fullmatch(code):
        raise CredentialError("format", "USCC has characters outside GB 32100's pattern")
    if code[-1] != _check_char(code):
        raise CredentialError("check_digit", "USCC check character does not match")
    return code


def is_valid(value: str) -> bool:
    try:
        validate(value)
    except CredentialError:
        return False
    return True


def format(value: str) -> str:
    return compact(value)


def find_in_text(text: str) -> str | None:
    """The one valid USCC inside a business-licence QR text or URL, if there is exactly one."""
    found = {m.group(0) for m in _EMBEDDED.finditer(text.upper()) if is_valid(m.group(0))}
    return found.pop() if len(found) == 1 else None
