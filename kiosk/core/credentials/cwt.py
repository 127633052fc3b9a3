"""CWT claims (RFC 8392) that every signed credential shares, and the validity-window check.

Private claims are left in ``raw`` for a pluggable reader: ours (claims.py) reads one private
claim, the EU DCC test reads -260.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from kiosk.core.credentials.errors import CredentialError
from kiosk.core.credentials.layers import loads_strict

CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_NBF = 5
CLAIM_IAT = 6
CLAIM_CTI = 7
MAX_CTI_BYTES = 64


@dataclass(frozen=True, slots=True)
class CwtClaims:
    issuer: str | None
    issued_at: datetime | None
    not_before: datetime | None
    expires: datetime | None
    cti: bytes | None
    raw: Mapping[object, object] = field(repr=False)

    @property
    def credential_id(self) -> str | None:
        """Lower-case hex of ``cti``: the id revocation lists hash."""
        return self.cti.hex() if self.cti is not None else None


def _epoch(claims: Mapping[object, object], key: int) -> datetime | None:
    value = claims.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CredentialError("claims", f"time claim {key} must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise CredentialError("claims", f"time claim {key} is not finite")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise CredentialError("claims", f"time claim {key} is out of range") from None


def decode_cwt(payload: bytes, *, max_depth: int) -> CwtClaims:
    claims = loads_strict(payload, max_depth=max_depth, step="claims")
    if not isinstance(claims, Mapping):
        raise CredentialError("claims", "CWT payload must be a map")
    issuer = claims.get(CLAIM_ISS)
    if issuer is not None and not isinstance(issuer, str):
        raise CredentialError("claims", "iss must be text")
    cti = claims.get(CLAIM_CTI)
    if cti is not None and (not isinstance(cti, bytes) or not 0 < len(cti) <= MAX_CTI_BYTES):
        raise CredentialError("claims", f"cti must be 1-{MAX_CTI_BYTES} bytes")
    return CwtClaims(
        issuer=issuer,
        issued_at=_epoch(claims, CLAIM_IAT),
        not_before=_epoch(claims, CLAIM_NBF),
        expires=_epoch(claims, CLAIM_EXP),
        cti=cti,
        raw=claims,
    )


def check_validity(claims: CwtClaims, now: datetime, *, skew: timedelta) -> None:
    """``nbf <= now``, ``iat - skew <= now`` and ``now <= exp``; a credential must expire."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if claims.expires is None:
        raise CredentialError("claims", "credential has no expiry (exp)")
    if claims.not_before is not None and now < claims.not_before:
        raise CredentialError("not_yet_valid", "now is before nbf")
    if claims.issued_at is not None and now < claims.issued_at - skew:
        raise CredentialError("not_yet_valid", "now is before iat")
    if now > claims.expires:
        raise CredentialError("expired", "now is after exp")
