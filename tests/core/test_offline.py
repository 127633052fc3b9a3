"""Offline decisions from signed credentials and the cached bundle; the same facts decide the
same way online and offline; other schemes are undetermined; a stale bundle stops decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.records import demo_subjects
from kiosk.adapters.store import Store
from kiosk.core.bundle import BundleError
from kiosk.core.bundle_signing import verify_bundle
from kiosk.core.credentials import CredentialError, Presentation, Scheme, SubjectRef, read_presentation
from kiosk.core.credentials import revocation_hash as hash_of
from kiosk.core.decision import decide
from kiosk.core.decision_records import Mode, Outcome, Status
from kiosk.core.offline import DEFAULT_MAX_AGE, OfflineUnavailable, credential_settings, decide_offline
from kiosk.station.offline import decide_from_cache
from tests.support.bundle import authorities, demo_issuer, signed, verified

NOW = datetime.now(UTC).replace(microsecond=0)
BUSINESS_FACTS = {
    "serious_dishonesty_listed": False,
    "abnormal_operations_listed": False,
    "last_penalty_date": "2019-03-01",
    "tax_credit_grade": "A",
    "credit_commitment_on_file": True,
}
USCC = "91350100M000100Y43"


def credential(facts: dict[str, object] | None = None, *, issued_at: datetime | None = None,
               kind: str = "business", subject: str = USCC) -> str:
    return demo_issuer().issue(
        kind=kind, subject_value=subject, facts=facts if facts is not None else BUSINESS_FACTS,
        issued_at=issued_at or NOW - timedelta(days=1),
    )


def present(payload: str, bundle_kwargs: dict[str, object] | None = None) -> tuple[Presentation, object]:
    bundle = verified(issued_at=NOW - timedelta(hours=1), **(bundle_kwargs or {}))
    return read_presentation(payload, credential_settings(bundle), now=NOW), bundle


def test_a_signed_credential_is_decided_offline_as_of_its_issue_date() -> None:
    issued = NOW - timedelta(days=3)
    presentation, bundle = present(credential(issued_at=issued))
    decision = decide_offline(presentation, bundle, "expedited-permit", "en", NOW)  # type: ignore[arg-type]
    assert decision.mode is Mode.OFFLINE
    assert decision.to_json(with_mode=True)["mode"] == "offline"
    assert decision.outcome is Outcome.ELIGIBLE
    assert {c.as_of for c in decision.criteria} == {issued.date().isoformat()}
    assert decision.policy_version == bundle.catalog.version  # type: ignore[attr-defined]


def test_one_failing_fact_is_not_eligible_with_a_remedy() -> None:
    presentation, bundle = present(credential({**BUSINESS_FACTS, "tax_credit_grade": "C"}))
    decision = decide_offline(presentation, bundle, "expedited-permit", "zh-CN", NOW)  # type: ignore[arg-type]
    assert decision.outcome is Outcome.NOT_ELIGIBLE
    failed = [c for c in decision.criteria if c.status is Status.FAILED]
    assert len(failed) == 1 and failed[0].remedy


def test_a_missing_fact_is_undetermined_not_a_guess() -> None:
    facts = dict(BUSINESS_FACTS)
    del facts["tax_credit_grade"]
    presentation, bundle = present(credential(facts))
    decision = decide_offline(presentation, bundle, "expedited-permit", "en", NOW)  # type: ignore[arg-type]
    assert decision.outcome is Outcome.UNDETERMINED
    unknown = [c for c in decision.criteria if c.status is Status.UNKNOWN]
    assert len(unknown) == 1 and unknown[0].as_of is None


@pytest.mark.parametrize(
    "presentation",
    [
        Presentation(Scheme.USCC, SubjectRef(Scheme.USCC, USCC), "business"),
        Presentation(Scheme.TOKEN, SubjectRef(Scheme.TOKEN, "XKT:abcdefghijkl"), None),
    ],
)
def test_other_schemes_offline_are_undetermined_with_where_to_go(presentation: Presentation) -> None:
    bundle = verified(issued_at=NOW)
    for locale, counter in (("en", "staffed counter"), ("zh-CN", "人工窗口")):
        decision = decide_offline(presentation, bundle, "expedited-permit", locale, NOW)  # type: ignore[arg-type]
        assert decision.outcome is Outcome.UNDETERMINED and decision.mode is Mode.OFFLINE
        assert all(c.status is Status.UNKNOWN for c in decision.criteria)
        assert all(c.remedy and counter in c.remedy for c in decision.criteria)
        assert all("offline" in c.reason or "离线" in c.reason for c in decision.criteria)
        assert USCC not in str(decision.to_json())


def test_same_facts_decide_identically_online_and_offline_for_every_demo_subject() -> None:
    bundle = verified(issued_at=NOW - timedelta(hours=1))
    settings = credential_settings(bundle)
    issuer = demo_issuer()
    compared = 0
    for subject in demo_subjects(bundle.catalog, today=NOW.date()):
        if subject.scheme not in ("uscc", "ric") or not subject.on_record:
            continue
        payload = issuer.issue(kind=subject.kind, subject_value=subject.value,
                               facts=dict(subject.facts), issued_at=NOW - timedelta(hours=2))
        presentation = read_presentation(payload, settings, now=NOW)
        for benefit_id, expected in subject.expected.items():
            benefit = bundle.catalog.get(benefit_id)
            assert benefit is not None
            if "credential" not in benefit.schemes:
                continue
            offline = decide_offline(presentation, bundle, benefit_id, "zh-CN", NOW)
            online = decide(benefit, subject.facts, policy_version=bundle.catalog.version,
                            locale="zh-CN", as_of=subject.as_of, now=NOW, mode=Mode.ONLINE)
            assert offline.outcome.value == expected == online.outcome.value
            assert [(c.id, c.status, c.reason, c.remedy, c.title, c.source) for c in offline.criteria] == [
                (c.id, c.status, c.reason, c.remedy, c.title, c.source) for c in online.criteria
            ]
            compared += 1
    assert compared >= 100
    seen = {o for s in demo_subjects(bundle.catalog, today=NOW.date()) for o in s.expected.values()}
    assert seen == {"eligible", "not_eligible", "undetermined"}


def test_a_revoked_credential_is_refused_offline() -> None:
    payload = credential()
    plain = read_presentation(payload, credential_settings(verified(issued_at=NOW)), now=NOW)
    assert plain.credential_id is not None
    revoked_bundle = verified(issued_at=NOW, revoked=[hash_of(plain.credential_id)])
    with pytest.raises(CredentialError) as caught:
        read_presentation(payload, credential_settings(revoked_bundle), now=NOW)
    assert caught.value.step == "revoked"
    # Read with settings that missed the revocation: decide_offline still refuses it.
    with pytest.raises(CredentialError) as caught:
        decide_offline(plain, revoked_bundle, "expedited-permit", "en", NOW)
    assert caught.value.step == "revoked"


def test_a_credential_from_an_issuer_the_bundle_does_not_trust_is_refused() -> None:
    bundle = verified(issued_at=NOW, trust={})
    with pytest.raises(CredentialError) as caught:
        read_presentation(credential(), credential_settings(bundle), now=NOW)
    assert caught.value.step == "unknown_key"


@pytest.mark.parametrize(
    ("issued_ago", "valid_for", "reason"),
    [
        (DEFAULT_MAX_AGE + timedelta(minutes=1), timedelta(days=7), "stale"),
        (timedelta(days=3), timedelta(days=2), "expired"),
        (-timedelta(days=1), timedelta(days=7), "clock"),
    ],
)
def test_a_bundle_too_old_or_from_the_future_stops_offline_decisions(
    issued_ago: timedelta, valid_for: timedelta, reason: str
) -> None:
    bundle = verified(issued_at=NOW - issued_ago, valid_for=valid_for)
    presentation = read_presentation(credential(issued_at=NOW - timedelta(days=5)),
                                     credential_settings(bundle), now=NOW)
    with pytest.raises(OfflineUnavailable) as caught:
        decide_offline(presentation, bundle, "expedited-permit", "en", NOW)
    assert caught.value.reason == reason
    assert "cannot check offline" in caught.value.text.en or "clock" in caught.value.text.en


def test_no_bundle_and_unknown_benefit_are_clear_errors() -> None:
    presentation, bundle = present(credential())
    with pytest.raises(OfflineUnavailable) as caught:
        decide_offline(presentation, None, "expedited-permit", "en", NOW)
    assert caught.value.reason == "no_bundle"
    with pytest.raises(OfflineUnavailable) as caught:
        decide_offline(presentation, bundle, "no-such-benefit", "en", NOW)  # type: ignore[arg-type]
    assert caught.value.reason == "unknown_benefit"


def test_a_person_credential_for_a_business_benefit_is_refused() -> None:
    payload = credential(kind="person", subject="11010519491231002X")
    presentation, bundle = present(payload)
    with pytest.raises(OfflineUnavailable) as caught:
        decide_offline(presentation, bundle, "expedited-permit", "en", NOW)  # type: ignore[arg-type]
    assert caught.value.reason == "wrong_kind"


class TestDecideFromCache:
    def test_decides_from_the_bundle_on_disk(self, tmp_path: Path) -> None:
        raw = signed(issued_at=NOW - timedelta(hours=2))
        Store(tmp_path).save_bundle(verify_bundle(raw, authorities()), None)
        decision = decide_from_cache(tmp_path, "expedited-permit", credential(), "en", NOW,
                                     authorities=authorities())
        assert decision.outcome is Outcome.ELIGIBLE and decision.mode is Mode.OFFLINE

    def test_trusts_no_bundle_when_no_authority_is_configured(self, tmp_path: Path) -> None:
        Store(tmp_path).save_bundle(verified(issued_at=NOW), None)
        with pytest.raises(BundleError):
            decide_from_cache(tmp_path, "expedited-permit", credential().encode(), "zh-CN", NOW)

    def test_without_a_bundle_it_says_to_sync(self, tmp_path: Path) -> None:
        with pytest.raises(OfflineUnavailable) as caught:
            decide_from_cache(tmp_path, "expedited-permit", credential(), "en", NOW, authorities=authorities())
        assert caught.value.reason == "no_bundle" and "kiosk sync" in caught.value.detail

    def test_a_stale_cache_is_refused_before_reading_the_code(self, tmp_path: Path) -> None:
        Store(tmp_path).save_bundle(verified(issued_at=NOW - timedelta(days=3), valid_for=timedelta(days=9)), None)
        with pytest.raises(OfflineUnavailable) as caught:
            decide_from_cache(tmp_path, "expedited-permit", "garbage", "en", NOW, authorities=authorities())
        assert caught.value.reason == "stale"

    def test_a_damaged_code_is_a_credential_error(self, tmp_path: Path) -> None:
        Store(tmp_path).save_bundle(verified(issued_at=NOW), None)
        with pytest.raises(CredentialError):
            decide_from_cache(tmp_path, "expedited-permit", "XK1:NOT-BASE45!!", "en", NOW, authorities=authorities())
