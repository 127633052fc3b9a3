"""Signed credentials: ``<PREFIX>:`` + base45(zlib(COSE_Sign1(CWT))), decoded layer by layer.

:func:`decode_signed` is generic over the claims reader, so the EU DCC conformance test runs
the very same layers with a reader for claim -260. Order of checks: prefix, base45,
decompression, COSE structure, key, signature, CWT claims, validity window, revocation, then
the reader's own claims. Each layer can report a summary for ``kiosk inspect``; summaries carry
no subject value and no facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from kiosk.core.credentials.claims import CredentialContent, read_xinyi_claims
from kiosk.core.credentials.cose import ALGORITHM_NAMES, CoseSign1, parse_cose_sign1, verify_signature
from kiosk.core.credentials.cwt import CwtClaims, check_validity, decode_cwt
from kiosk.core.credentials.errors import CredentialError
from kiosk.core.credentials.layers import decode_base45, inflate, unprefix
from kiosk.core.credentials.model import JSON, Presentation, Scheme
from kiosk.core.credentials.settings import CredentialLimits, CredentialSettings, revocation_hash

T = TypeVar("T")
ClaimsReader = Callable[[CwtClaims, CredentialLimits], T]


@dataclass(slots=True)
class LayerReport:
    """One decoded layer for support staff: name, whether it passed, a summary without PII."""

    layer: str
    ok: bool = True
    summary: dict[str, JSON] = field(default_factory=dict)
    failed_step: str | None = None

    def to_json(self) -> dict[str, JSON]:
        return {
            "layer": self.layer,
            "ok": self.ok,
            "failed_step": self.failed_step,
            "summary": self.summary,
        }


@dataclass(frozen=True, slots=True)
class Verified(Generic[T]):
    cose: CoseSign1
    kid: bytes
    claims: CwtClaims
    content: T


class TraceLayer:
    """Context for one layer: records a LayerReport when tracing, costs next to nothing when not."""

    __slots__ = ("name", "reports", "summary")

    def __init__(self, reports: list[LayerReport] | None, name: str) -> None:
        self.reports = reports
        self.name = name
        self.summary: dict[str, JSON] = {}

    def __enter__(self) -> dict[str, JSON]:
        return self.summary

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _: object) -> None:
        if self.reports is None:
            return
        if error is None:
            self.reports.append(LayerReport(self.name, True, self.summary))
        elif isinstance(error, CredentialError):
            self.summary["detail"] = error.detail
            self.reports.append(LayerReport(self.name, False, self.summary, error.step))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _cose_summary(cose: CoseSign1) -> dict[str, JSON]:
    alg = cose.alg
    return {
        "tags": list(cose.tags),
        "alg": ALGORITHM_NAMES.get(alg, str(alg)) if alg is not None else None,
        "alg_in": cose.header(1)[1],
        "kid": cose.kid.hex() if cose.kid else None,
        "kid_in": cose.header(4)[1],
        "payload_bytes": len(cose.payload),
        "signature_bytes": len(cose.signature),
    }


def decode_signed(
    text: str,
    settings: CredentialSettings,
    *,
    now: datetime,
    read_claims: ClaimsReader[T],
    trace: list[LayerReport] | None = None,
) -> Verified[T]:
    limits = settings.limits
    traced = trace is not None  # summaries are built only for `kiosk inspect`
    with TraceLayer(trace, "payload") as summary:
        if traced:
            summary["chars"] = len(text)
        if len(text) > limits.max_payload_bytes:
            raise CredentialError("too_large", f"payload over {limits.max_payload_bytes} bytes")
    with TraceLayer(trace, "prefix") as summary:
        if traced:
            summary["expected"] = settings.prefix
        body = unprefix(text, settings.prefix)
    with TraceLayer(trace, "base45") as summary:
        compressed = decode_base45(body)
        if traced:
            summary["bytes"] = len(compressed)
    with TraceLayer(trace, "decompression") as summary:
        cose_bytes = inflate(compressed, max_bytes=limits.max_inflated_bytes)
        if traced:
            summary["inflated_bytes"] = len(cose_bytes)
    with TraceLayer(trace, "cose") as summary:
        cose = parse_cose_sign1(cose_bytes, max_depth=limits.max_cbor_depth)
        if traced:
            summary.update(_cose_summary(cose))
    with TraceLayer(trace, "signature") as summary:
        if traced:
            summary["trusted_keys"] = len(settings.trust)
        kid = verify_signature(cose, settings.trust, protected_kid=limits.protected_kid)
        if traced:
            summary["verified_with"] = kid.hex()
    with TraceLayer(trace, "claims") as summary:
        claims = decode_cwt(cose.payload, max_depth=limits.max_cbor_depth)
        if traced:
            summary.update(
                iss=claims.issuer,
                iat=_iso(claims.issued_at),
                nbf=_iso(claims.not_before),
                exp=_iso(claims.expires),
                claim_keys=[str(k) for k in sorted(claims.raw, key=str)],
            )
    with TraceLayer(trace, "validity") as summary:
        if traced:
            summary["now"] = now.isoformat()
        check_validity(claims, now, skew=limits.clock_skew)
    with TraceLayer(trace, "revocation") as summary:
        credential_id = claims.credential_id
        if traced:
            summary["has_credential_id"] = credential_id is not None
        if credential_id is not None and revocation_hash(credential_id) in settings.revoked:
            raise CredentialError("revoked", "credential id is on the revocation list")
    with TraceLayer(trace, "content"):
        content = read_claims(claims, limits)
    return Verified(cose, kid, claims, content)


def read_signed(
    text: str,
    settings: CredentialSettings,
    *,
    now: datetime,
    trace: list[LayerReport] | None = None,
) -> Presentation:
    """Our signed credential -> a Presentation with verified facts (offline-capable)."""
    verified: Verified[CredentialContent] = decode_signed(
        text, settings, now=now, read_claims=read_xinyi_claims, trace=trace
    )
    claims, content = verified.claims, verified.content
    if trace is not None:
        trace[-1].summary.update(
            kind=content.kind,
            subject_scheme=content.subject.scheme.value,
            facts=len(content.facts),
        )
    return Presentation(
        scheme=Scheme.CREDENTIAL,
        subject=content.subject,
        subject_kind=content.kind,
        facts=content.facts,
        issuer=claims.issuer,
        issued_at=claims.issued_at,
        valid_from=claims.not_before or claims.issued_at,
        valid_until=claims.expires,
        credential_id=claims.credential_id,
        offline_capable=True,
    )
