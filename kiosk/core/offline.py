"""Offline decisions: a verified signed credential, the cached bundle's rules, the same decide().

Only a signed credential carries facts the kiosk can trust without the backend; its signature,
validity window and revocation were checked against the bundle's trust keys and revocation
list when it was read (see :func:`credential_settings`). Every other scheme is answered
"undetermined", with the reason and where to go instead; a bundle that is too old stops
offline decisions altogether (:class:`OfflineUnavailable`): the kiosk never guesses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from kiosk.core.benefits import Benefit
from kiosk.core.bundle import CLOCK_SKEW, PolicyBundle, iso_utc
from kiosk.core.catalog import message
from kiosk.core.credentials.errors import CredentialError
from kiosk.core.credentials.model import Presentation, Scheme
from kiosk.core.credentials.settings import DEFAULT_PREFIX, CredentialSettings, revocation_hash
from kiosk.core.decision import decide
from kiosk.core.decision_ids import new_decision_id
from kiosk.core.decision_records import CriterionResult, Decision, Mode, Outcome, Status
from kiosk.core.errors import KioskError
from kiosk.core.policy_dates import local_day
from kiosk.core.text import Locale, LocalText

# DCC verifiers refresh daily and warn after 24-48 h (research DOMAIN.md §5): two days lets a
# field team miss one sync without the kiosk going dark, and no more.
DEFAULT_MAX_AGE = timedelta(hours=48)

UnavailableReason = Literal[
    "no_bundle", "stale", "expired", "clock", "clock_skew", "unknown_benefit", "not_in_force", "wrong_kind"
]

_UNAVAILABLE_TEXTS: dict[UnavailableReason, LocalText] = {
    "no_bundle": message("core.offline.no_bundle"),
    "stale": message("core.offline.stale"),
    "expired": message("core.offline.expired"),
    "clock": message("core.offline.clock"),
    "clock_skew": message("core.offline.clock_skew"),
    "unknown_benefit": message("core.offline.unknown_benefit"),
    "not_in_force": message("core.offline.not_in_force"),
    "wrong_kind": message("core.offline.wrong_kind"),
}

_ONLINE_ONLY = message("core.offline.online_only")
_ONLINE_ONLY_REMEDY = message("core.offline.online_only_remedy")
_SCHEME_NOT_ACCEPTED = message("core.offline.scheme_not_accepted")


class OfflineUnavailable(KioskError):
    """No offline decision can be made at all; ``reason`` says why."""

    retryable_offline = False

    def __init__(self, reason: UnavailableReason, detail: str) -> None:
        super().__init__(f"cannot decide offline ({reason}): {detail}", _UNAVAILABLE_TEXTS[reason])
        self.reason: UnavailableReason = reason


def credential_settings(bundle: PolicyBundle, prefix: str = DEFAULT_PREFIX) -> CredentialSettings:
    """What to read a presented code with offline: the bundle's trust keys and revocations."""
    return CredentialSettings(prefix=prefix, trust=bundle.trust_store(), revoked=bundle.revoked)


def ensure_usable(bundle: PolicyBundle | None, now: datetime, max_age: timedelta) -> PolicyBundle:
    """The bundle, if offline decisions may be made from it at ``now``; else OfflineUnavailable."""
    if bundle is None:
        raise OfflineUnavailable("no_bundle", "no verified bundle is cached")
    if bundle.issued_at > now + CLOCK_SKEW:
        raise OfflineUnavailable("clock", "the bundle is dated after the kiosk's clock")
    if bundle.is_expired(now):
        raise OfflineUnavailable("expired", f"bundle expired at {iso_utc(bundle.expires_at)}")
    age = bundle.age(now)
    if age > max_age:
        raise OfflineUnavailable(
            "stale", f"bundle is {age.total_seconds() / 3600:.1f} h old, the limit is "
            f"{max_age.total_seconds() / 3600:.1f} h"
        )
    return bundle


def decide_offline(
    presentation: Presentation,
    bundle: PolicyBundle | None,
    benefit_id: str,
    locale: Locale,
    now: datetime,
    *,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> Decision:
    """Decide from the cached bundle; labelled offline, as of the credential's issue date."""
    usable = ensure_usable(bundle, now, max_age)
    benefit = usable.catalog.get(benefit_id)
    if benefit is None:
        raise OfflineUnavailable("unknown_benefit", "benefit not in the cached catalog")
    # The bundle carries every version in force until it expires; the day picks one.
    if not benefit.in_force(local_day(now, benefit.time_zone)):
        raise OfflineUnavailable("not_in_force", "no version of the benefit is in force today")
    policy_version = usable.catalog.version
    if presentation.scheme is not Scheme.CREDENTIAL or presentation.facts is None:
        return _undetermined(benefit, policy_version, locale, now, _ONLINE_ONLY)
    if Scheme.CREDENTIAL.value not in benefit.schemes:
        return _undetermined(benefit, policy_version, locale, now, _SCHEME_NOT_ACCEPTED)
    if presentation.subject_kind is not None and presentation.subject_kind != benefit.kind:
        raise OfflineUnavailable("wrong_kind", "credential subject kind differs from the benefit's")
    # Read with credential_settings() this is already refused; a presentation read with other
    # settings must not slip a revoked credential past the cached list.
    if presentation.credential_id is not None and (
        revocation_hash(presentation.credential_id) in usable.revoked
    ):
        raise CredentialError("revoked", "credential is on the cached revocation list")
    issued = presentation.issued_at
    as_of: dict[str, str] = {}
    if issued is not None:
        as_of = dict.fromkeys(usable.catalog.authorities, issued.date().isoformat())
    return decide(
        benefit,
        presentation.facts,
        policy_version=policy_version,
        locale=locale,
        as_of=as_of,
        now=now,
        mode=Mode.OFFLINE,
    )


def _undetermined(
    benefit: Benefit, policy_version: str, locale: Locale, now: datetime, why: LocalText
) -> Decision:
    results = tuple(
        CriterionResult(
            id=criterion.id,
            title=criterion.title.get(locale),
            status=Status.UNKNOWN,
            reason=why.get(locale),
            as_of=None,
            source=criterion.source.get(locale),
            remedy=_ONLINE_ONLY_REMEDY.get(locale),
            rule_version=criterion.rule_version,
        )
        for criterion in benefit.criteria_on(local_day(now, benefit.time_zone))
    )
    return Decision(
        decision_id=new_decision_id(),  # as uuid4().hex; the uuid module is ~8 ms of import
        benefit=benefit.id,
        outcome=Outcome.UNDETERMINED,
        criteria=results,
        policy_version=policy_version,
        decided_at=iso_utc(now),
        valid_until=iso_utc(now + timedelta(hours=benefit.valid_hours)),
        mode=Mode.OFFLINE,
    )
