"""One entry point: whatever the scanner or card reader delivered -> a Presentation.

Detection, in order:
1. ``<PREFIX>:`` (default ``XK1:``) -> signed credential, verified offline (signed.py);
2. ``XKT:`` -> opaque token (token.py);
3. 18 characters after removing spaces/dashes -> resident ID number or USCC:
   * a resident ID number is 17 digits + digit/X with a real, past birth date;
   * a USCC matches GB 32100's pattern (uscc.PATTERN);
   * when both check characters fit, the **resident ID wins**. An all-digit string with a real
     birth date in digits 7-14 passes the USCC mod-31 check about 1 time in 31, so roughly 3% of
     real ID numbers are also "valid" USCCs; a real USCC must have a date-shaped organisation
     code *and* pass the mod-11 check to look like an ID number, which is far rarer. Callers
     that know the source (the ID-card reader) should call ``ric.validate`` directly.
4. a business-licence QR text or URL that holds exactly one valid USCC -> that USCC;
5. another context prefix followed by base45 (``HC1:NCF...``) -> step "prefix";
6. otherwise step "unsupported_scheme".
"""

from __future__ import annotations

import re
from datetime import datetime

from kiosk.core.catalog import message
from kiosk.core.credentials import ric, token, uscc
from kiosk.core.credentials.errors import CredentialError
from kiosk.core.credentials.layers import scanner_text
from kiosk.core.credentials.model import Presentation, Scheme, SubjectRef
from kiosk.core.credentials.settings import RECEIPT_PREFIX, CredentialSettings
from kiosk.core.credentials.signed import LayerReport, layer, read_signed

# Another issuer's container (``HC1:`` + base45, ...), as opposed to any text with a colon.
_RECEIPT_SHOWN = message("core.credentials.errors.receipt")
_OTHER_CONTAINER = re.compile(r"[A-Z][A-Z0-9]{1,7}:[0-9A-Z $%*+\-./:]+")


def read_presentation(
    raw: bytes | str,
    settings: CredentialSettings,
    *,
    now: datetime,
    trace: list[LayerReport] | None = None,
) -> Presentation:
    """Read and (for signed credentials) verify one presented code, or raise CredentialError.

    ``trace``, when given, receives one LayerReport per layer (for ``kiosk inspect``).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    with layer(trace, "input") as summary:
        text, encoding = scanner_text(raw, max_bytes=settings.limits.max_payload_bytes)
        if trace is not None:
            summary.update(encoding=encoding, chars=len(text))
        if not text:
            raise CredentialError("unsupported_scheme", "empty payload")
    if text.startswith(settings.prefix + ":"):
        return read_signed(text, settings, now=now, trace=trace)
    with layer(trace, "identifier") as summary:
        if text.startswith(token.PREFIX):
            found = Presentation(Scheme.TOKEN, SubjectRef(Scheme.TOKEN, token.validate(text)))
        else:
            found = _read_identifier(text, now)
        if trace is not None:
            summary.update(scheme=found.scheme.value, subject=str(found.subject))
    return found


def _person(code: str) -> Presentation:
    return Presentation(Scheme.RIC, SubjectRef(Scheme.RIC, code), subject_kind="person")


def _business(code: str) -> Presentation:
    return Presentation(Scheme.USCC, SubjectRef(Scheme.USCC, code), subject_kind="business")


def _read_identifier(text: str, now: datetime) -> Presentation:
    today = now.date()
    candidate = ric.compact(text)
    if len(candidate) == ric.LENGTH and candidate.isascii():
        ric_shaped = ric.looks_like(candidate, today=today)
        if ric_shaped and ric.is_valid(candidate, today=today):
            return _person(candidate)
        if uscc.PATTERN.fullmatch(candidate):
            try:
                return _business(uscc.validate(candidate))
            except CredentialError:
                if not ric_shaped:
                    raise
        if ric_shaped:
            ric.validate(candidate, today=today)  # raises the resident ID's own error
        if ric.PATTERN.fullmatch(candidate):
            ric.validate(candidate, today=today)  # 18 digits, impossible birth date
        raise CredentialError("format", "18 characters, but neither a USCC nor an ID number")
    embedded = uscc.find_in_text(text)
    if embedded is not None:
        return _business(embedded)
    if text.startswith(RECEIPT_PREFIX + ":"):
        # Someone shows the receipt of an earlier check: say what it is and where it counts.
        raise CredentialError("prefix", "a decision receipt, not a code to check", _RECEIPT_SHOWN)
    if _OTHER_CONTAINER.fullmatch(text):
        raise CredentialError("prefix", "payload carries another context prefix")
    raise CredentialError("unsupported_scheme", "payload matches no scheme the kiosk reads")
