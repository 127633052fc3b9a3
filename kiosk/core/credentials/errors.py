"""The one error family every credential reader raises, with the words a person sees.

Each failure names the step that failed, so support staff (``kiosk inspect``) and the flow can
tell "the code is damaged" from "the code is genuine but expired". ``detail`` is technical
English for staff and logs and never holds an identifier, a name, a fact or a payload.
"""

from __future__ import annotations

from typing import Literal, get_args

from kiosk.core.catalog import message
from kiosk.core.errors import KioskError
from kiosk.core.text import LocalText

Step = Literal[
    "encoding",  # bytes are neither UTF-8 nor GB18030
    "too_large",  # payload or inflated payload over the limit (a zlib bomb stops here)
    "prefix",  # looks like a signed credential, but not with our context prefix
    "base45",
    "decompression",
    "cose",  # not a well-formed COSE_Sign1, or an algorithm we do not accept
    "unprotected_header",  # alg (or, for our credentials, kid) outside the signed headers
    "unknown_key",  # key id not in the trust store (or missing)
    "bad_signature",
    "claims",  # CWT claims missing, malformed, or facts out of bounds
    "not_yet_valid",
    "expired",
    "revoked",
    "check_digit",  # USCC / resident ID number with a wrong check character
    "format",  # identifier or token with the wrong shape (length, characters, birth date)
    "unsupported_scheme",  # not any kind of code the kiosk reads
]
STEPS: tuple[Step, ...] = get_args(Step)


STEP_TEXTS: dict[Step, LocalText] = {
    "encoding": message("core.credentials.errors.encoding"),
    "too_large": message("core.credentials.errors.too_large"),
    "prefix": message("core.credentials.errors.prefix"),
    "base45": message("core.credentials.errors.base45"),
    "decompression": message("core.credentials.errors.decompression"),
    "cose": message("core.credentials.errors.cose"),
    "unknown_key": message("core.credentials.errors.unknown_key"),
    "bad_signature": message("core.credentials.errors.bad_signature"),
    "claims": message("core.credentials.errors.claims"),
    "not_yet_valid": message("core.credentials.errors.not_yet_valid"),
    "expired": message("core.credentials.errors.expired"),
    "revoked": message("core.credentials.errors.revoked"),
    "check_digit": message("core.credentials.errors.check_digit"),
    "format": message("core.credentials.errors.format"),
    "unsupported_scheme": message("core.credentials.errors.unsupported_scheme"),
}


# An alg or kid outside the signed headers is, to the person, a structure the kiosk will not read.
STEP_TEXTS["unprotected_header"] = STEP_TEXTS["cose"]


class CredentialError(KioskError):
    """A presented code could not be read or verified; ``step`` says where it failed."""

    def __init__(self, step: Step, detail: str, text: LocalText | None = None) -> None:
        super().__init__(detail, text if text is not None else STEP_TEXTS[step])
        self.step: Step = step

    def __repr__(self) -> str:
        return f"CredentialError(step={self.step!r}, detail={self.detail!r})"
