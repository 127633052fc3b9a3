"""Effective dates: versions of a criterion by date, the bundle carrying future versions, an
offline kiosk switching on the day (in the policy's time zone), and bad dates refused."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.issuer import demo_trust_store
from kiosk.adapters.store import Store
from kiosk.common.policy_folder import DEFAULT_POLICY_DIR, load_catalog, read_policy_document
from kiosk.core.benefits import CatalogError, parse_catalog
from kiosk.core.bundle import BundleError, trust_keys_from_store
from kiosk.core.bundle_signing import build_payload, sign_bundle, verify_bundle
from kiosk.core.decision import NotInForce, decide
from kiosk.core.decision_records import Status
from kiosk.core.offline import OfflineUnavailable
from kiosk.station.offline import decide_from_cache
from tests.support.bundle import authorities, authority_private, demo_issuer
from tests.support.policy_edit import Document, copy_policy, criterion, edit_benefit

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.now(UTC).replace(microsecond=0)
CHANGE = NOW.astimezone(SHANGHAI).date() + timedelta(days=1)  # tomorrow, Shanghai time
IN_FORCE_SINCE = "2026-01-01"  # the shipped versions
USCC = "91350100M000100Y43"


def _shorter_penalty_window(document: Document) -> None:
    """From CHANGE on, a penalty blocks for 6 months instead of 12 (a new version)."""
    old = criterion(document, "no-penalty-12-months")
    old["valid_to"] = (CHANGE - timedelta(days=1)).isoformat()
    new = copy.deepcopy(old)
    del new["valid_to"]
    new["valid_from"] = CHANGE.isoformat()
    new["rule"] = {"if": [
        {"===": [{"var": "facts.last_penalty_date"}, "none"]},
        True,
        {"not-after": [{"plusTime": [{"var": "facts.last_penalty_date"}, 6, "month"]},
                       {"plusTime": [{"var": "external.today"}, 0, "day"]}]},
    ]}
    new["change"] = {"zh-CN": "处罚影响期由12个月缩短为6个月。",
                     "en": "A penalty now counts for 6 months instead of 12."}
    document["criteria"].insert(document["criteria"].index(old) + 1, new)


def _sign(folder: Path, issued_at: datetime, valid_for: timedelta = timedelta(days=2)) -> bytes:
    document, _ = read_policy_document(folder)
    payload = build_payload(
        document, version=1, issued_at=issued_at, valid_for=valid_for,
        trust_keys=trust_keys_from_store(demo_trust_store()), revoked=[],
    )
    return sign_bundle(payload, authority_private())


def _shanghai(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def test_an_offline_kiosk_switches_to_the_new_version_on_its_date(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path)
    edit_benefit(folder, "expedited-permit", _shorter_penalty_window)
    raw = _sign(folder, NOW)
    data_dir = tmp_path / "data"
    Store(data_dir).save_bundle(verify_bundle(raw, authorities()), None)
    # A penalty 9 months before the change: blocks under the 12-month rule, not under 6.
    penalty = (CHANGE - timedelta(days=270)).isoformat()
    facts = {
        "serious_dishonesty_listed": False, "abnormal_operations_listed": False,
        "last_penalty_date": penalty, "tax_credit_grade": "A", "credit_commitment_on_file": True,
    }
    code = demo_issuer().issue(kind="business", subject_value=USCC, facts=facts, issued_at=NOW - timedelta(hours=1))

    def penalty_result(moment: datetime) -> tuple[Status, str]:
        decision = decide_from_cache(data_dir, "expedited-permit", code, "en", moment, authorities=authorities())
        result = next(c for c in decision.criteria if c.id == "no-penalty-12-months")
        return result.status, result.rule_version

    before = _shanghai(CHANGE - timedelta(days=1), 23, 59)
    after = _shanghai(CHANGE, 0, 1)
    assert penalty_result(before) == (Status.FAILED, IN_FORCE_SINCE)
    assert penalty_result(after) == (Status.PASSED, CHANGE.isoformat())
    # Both moments fall on one UTC day: the switch follows the policy's time zone.
    assert before.date() == after.date()


def test_the_bundle_carries_versions_in_force_now_or_later_and_drops_ended_ones(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path)
    edit_benefit(folder, "expedited-permit", _shorter_penalty_window)
    today = verify_bundle(_sign(folder, NOW), authorities()).catalog.get("expedited-permit")
    assert today is not None
    assert [c.rule_version for c in today.versions_of("no-penalty-12-months")] == [IN_FORCE_SINCE, CHANGE.isoformat()]
    # Signed after the change, the ended version is not carried at all.
    later = verify_bundle(_sign(folder, NOW + timedelta(days=3)), authorities()).catalog.get("expedited-permit")
    assert later is not None
    assert [c.rule_version for c in later.versions_of("no-penalty-12-months")] == [CHANGE.isoformat()]


def test_a_version_starting_after_the_bundle_expires_is_not_carried(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path)
    far = NOW.astimezone(SHANGHAI).date() + timedelta(days=30)

    def far_change(document: Document) -> None:
        old = criterion(document, "no-penalty-12-months")
        old["valid_to"] = (far - timedelta(days=1)).isoformat()
        new = copy.deepcopy(old)
        del new["valid_to"]
        new["valid_from"] = far.isoformat()
        document["criteria"].append(new)

    edit_benefit(folder, "expedited-permit", far_change)
    benefit = verify_bundle(_sign(folder, NOW), authorities()).catalog.get("expedited-permit")
    assert benefit is not None and len(benefit.versions_of("no-penalty-12-months")) == 1


def test_a_benefit_with_no_version_in_force_is_not_offered(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path)
    start = NOW.astimezone(SHANGHAI).date() + timedelta(days=1)
    edit_benefit(folder, "library-deposit-free", lambda d: d.update(valid_from=start.isoformat()))
    catalog = load_catalog(folder)
    today = NOW.astimezone(SHANGHAI).date()
    assert "library-deposit-free" not in {b.id for b in catalog.offered(today)}
    assert "library-deposit-free" in {b.id for b in catalog.offered(start)}
    benefit = catalog.get("library-deposit-free")
    assert benefit is not None
    with pytest.raises(NotInForce):
        decide(benefit, {}, policy_version="x", locale="en", now=NOW)
    # Offline, the kiosk says it is not in force rather than "not eligible".
    data_dir = tmp_path / "data"
    Store(data_dir).save_bundle(verify_bundle(_sign(folder, NOW), authorities()), None)
    code = demo_issuer().issue(kind="person", subject_value="110101199001011237",
                               facts={"library_reader_registered": True}, issued_at=NOW - timedelta(hours=1))
    with pytest.raises(OfflineUnavailable) as caught:
        decide_from_cache(data_dir, "library-deposit-free", code, "en", NOW, authorities=authorities())
    assert caught.value.reason == "not_in_force"


def test_a_bundle_with_nothing_in_force_is_refused(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path)
    for path in (folder / "benefits").glob("*.json"):
        edit_benefit(folder, path.stem, lambda d: d.update(valid_to="2026-04-30"))
    with pytest.raises(BundleError):
        _sign(folder, NOW)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: d.update(valid_from="2026-13-01"), "valid_from", "calendar date"),
        (lambda d: d.update(valid_from="1 April 2026"), "valid_from", "YYYY-MM-DD"),
        (lambda d: d.update(valid_from="2026-05-01", valid_to="2026-04-30"), "valid_to", "before"),
        (lambda d: d["criteria"][1].update(valid_to="2025-12-01"), "criteria[1].valid_to", "before"),
        (lambda d: d["criteria"][0].update(valid_from=20260401), "criteria[0].valid_from", "YYYY-MM-DD"),
    ],
)
def test_a_bad_date_names_file_benefit_and_field(tmp_path: Path, change, field: str, words: str) -> None:  # type: ignore[no-untyped-def]
    folder = copy_policy(tmp_path)
    path = edit_benefit(folder, "fewer-inspections", change)
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert caught.value.origin == str(path) and caught.value.benefit == "fewer-inspections"
    assert caught.value.field_name == field and words in caught.value.detail


def test_an_unknown_time_zone_is_refused(tmp_path: Path) -> None:
    folder = copy_policy(tmp_path)
    head = folder / "policy.json"
    text = head.read_text(encoding="utf-8").replace('"version"', '"time_zone": "Mars/Olympus", "version"', 1)
    head.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(folder)
    assert caught.value.field_name == "time_zone"


def test_every_decision_names_the_policy_and_rule_versions() -> None:
    catalog = load_catalog()
    for benefit in catalog.benefits:
        decision = decide(benefit, {}, policy_version=catalog.version, locale="zh-CN", now=NOW)
        assert decision.policy_version == catalog.version
        body = decision.to_json()
        assert all(c["rule_version"] == IN_FORCE_SINCE for c in body["criteria"])


_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["2026-01-01", "2026-02-30", "2026-13-01", "none", "passed", "failed", "eligible"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(["valid_from", "valid_to", "examples", "change"]),
    where=st.sampled_from(["benefit", "criterion", "example"]),
    value=_ANY_JSON,
)
def test_any_value_in_a_date_or_example_field_is_a_catalog_or_a_catalog_error(
    field: str, where: str, value: object
) -> None:
    document, origins = read_policy_document(DEFAULT_POLICY_DIR)
    document = copy.deepcopy(document)
    benefit = document["benefits"][2]
    if where == "benefit":
        benefit[field] = value
    elif where == "criterion":
        benefit["criteria"][1][field if field != "examples" else "dates"] = value
    else:
        benefit["examples"][1][{"valid_from": "on", "valid_to": "as_of", "examples": "criteria",
                                "change": "facts"}[field]] = value
    try:
        parse_catalog(document, origin="policy.json", benefit_origins=origins)
    except CatalogError as error:
        assert error.origin == origins[2] and error.field_name
