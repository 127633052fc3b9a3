"""The subject binding: SHA-256(salt || subject reference), with a fresh salt in each receipt.

The subject reference is the text ``scheme:value`` with the value in the compact form the
backend keys its records by (``uscc:91350100M000100Y43``, ``ric:...``, ``token:XKT:...``). A
signed credential binds to the identifier it names, so a counter confirms a receipt from an
offline decision by scanning the applicant's credential, business licence or ID card alike.

Why a salt: without it, equal subjects would give equal bindings on every receipt, and a
receipt would be a pseudonym that links every visit. What the salt cannot do: a reference
from a small space (a resident ID number is a birth date, a region and a few digits) can be
found from one receipt by trying every candidate; the binding confirms a code in hand, it does
not hide one from a determined search. The receipt carries no name, identifier or fact.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from kiosk.core.credentials import ric, token, uscc
from kiosk.core.credentials.errors import CredentialError
from kiosk.core.credentials.model import Scheme, SubjectRef

SALT_BYTES = 16
BINDING_BYTES = 32  # the whole SHA-256
_VALIDATORS = {Scheme.USCC: uscc.validate, Scheme.RIC: ric.validate, Scheme.TOKEN: token.validate}


class SubjectReferenceError(ValueError):
    """``scheme:value`` could not be read as a subject reference; the text never holds the value."""


def subject_reference(subject: SubjectRef | str) -> bytes:
    """The bytes a binding hashes: ``scheme:value`` in canonical form, as UTF-8."""
    if isinstance(subject, SubjectRef):
        scheme_name, value = subject.scheme.value, subject.value
    else:
        scheme_name, separator, value = subject.partition(":")
        if not separator:
            raise SubjectReferenceError("a subject reference is SCHEME:VALUE (uscc, ric or token)")
    try:
        scheme = Scheme(scheme_name.strip().lower())
    except ValueError:
        raise SubjectReferenceError(f"scheme must be one of uscc, ric, token, not {scheme_name[:16]!r}") from None
    validate = _VALIDATORS.get(scheme)
    if validate is None:
        raise SubjectReferenceError("a receipt binds the identifier a credential names, not the credential")
    try:
        canonical = validate(value)
    except CredentialError as error:
        raise SubjectReferenceError(f"{scheme.value} value: {error.detail}") from None
    return f"{scheme.value}:{canonical}".encode()


def new_salt() -> bytes:
    # secrets.token_bytes is os.urandom; importing secrets costs an offline check its start-up.
    return os.urandom(SALT_BYTES)


def binding(salt: bytes, reference: bytes) -> bytes:
    return hashlib.sha256(salt + reference).digest()


def binding_matches(salt: bytes, expected: bytes, reference: bytes) -> bool:
    return hmac.compare_digest(binding(salt, reference), expected)
