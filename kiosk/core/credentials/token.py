"""Opaque token from the citizen's app: ``XKT:`` + base64url (no padding) of 16-48 random bytes.

The kiosk learns nothing from a token; only the backend can resolve it. The subject value is the
whole token text, prefix included.

>>> validate("XKT:AAECAwQFBgcICQoLDA0ODw")
'XKT:AAECAwQFBgcICQoLDA0ODw'
>>> is_valid("XKT:short")
False
"""

from __future__ import annotations

import base64
import re

from kiosk.core.credentials.errors import CredentialError

PREFIX = "XKT:"
MIN_BYTES = 16
MAX_BYTES = 48
MAX_LENGTH = len(PREFIX) + (MAX_BYTES * 4 + 2) // 3
_BODY = re.compile(r"[A-Za-z0-9_-]+")


def compact(value: str) -> str:
    return value.strip()


def validate(value: str) -> str:
    """Return the token, or raise CredentialError ("format", or "too_large" past the limit)."""
    token = compact(value)
    if not token.startswith(PREFIX):
        raise CredentialError("format", f"token must start with {PREFIX}")
    if len(token) > MAX_LENGTH:
        raise CredentialError("too_large", f"token longer than {MAX_LENGTH} characters")
    body = token[len(PREFIX) :]
    if not _BODY.fullmatch(body) or len(body) % 4 == 1:
        raise CredentialError("format", "token body must be unpadded base64url")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    if not MIN_BYTES <= len(raw) <= MAX_BYTES:
        raise CredentialError("format", f"token must carry {MIN_BYTES}-{MAX_BYTES} bytes")
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != body:
        raise CredentialError("format", "token body is not canonical base64url")
    return token


def is_valid(value: str) -> bool:
    try:
        validate(value)
    except CredentialError:
        return False
    return True


def generate(n_bytes: int = 24) -> str:
    """A fresh random token (for the backend and demo data)."""
    if not MIN_BYTES <= n_bytes <= MAX_BYTES:
        raise ValueError(f"token size must be {MIN_BYTES}-{MAX_BYTES} bytes")
    # Imported here: only the backend mints tokens, and secrets (through hmac) is ~10 ms of
    # import at every start of the kiosk and of `kiosk check`.
    import secrets

    return PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(n_bytes)).rstrip(b"=").decode()
