"""Site presets in the policy: validated against the catalog, carried by the signed bundle."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.common.policy_folder import load_catalog
from kiosk.core.benefits import CatalogError, parse_catalog
from kiosk.core.bundle import BundleError, trust_keys_from_store
from kiosk.core.bundle_signing import build_payload, sign_bundle, verify_bundle
from kiosk.core.sites import SiteError, parse_sites
from tests.support.bundle import authorities, authority_private, catalog_document

RENTAL = "deposit-free-rental"


def with_sites(sites: Any) -> dict[str, Any]:
    return {**catalog_document(), "sites": sites}


def test_the_shipped_policy_has_a_single_benefit_demo_site_and_an_ordered_hall() -> None:
    catalog = load_catalog()
    rental = catalog.site("demo-rental-counter")
    hall = catalog.site("demo-business-hall")
    assert rental is not None and rental.single_benefit and rental.benefits == (RENTAL,)
    assert rental.elder_view is True and rental.speak_results is True and rental.locale == "zh-CN"
    assert rental.counter_name is not None and rental.counter_name.en == "Housing counter 3"
    assert hall is not None and not hall.single_benefit
    day = catalog.day_of(datetime.now(UTC))
    # The hall's order, not the catalog's, and only the business benefits it names.
    assert [b.id for b in catalog.offered(day, hall.benefits)] == list(hall.benefits)
    assert {b.kind for b in catalog.offered(day, hall.benefits)} == {"business"}
    assert catalog.site("no-such-site") is None


@pytest.mark.parametrize(
    ("site", "field", "words"),
    [
        ({"id": "a", "benefits": ["no-such-benefit"]}, "sites[0].benefits[0]", "not a benefit of this policy"),
        ({"id": "a", "benefits": [RENTAL, RENTAL]}, "sites[0].benefits[1]", "twice"),
        ({"id": "a", "benefits": [RENTAL], "locale": "fr"}, "sites[0].locale", "zh-CN, en"),
        ({"id": "a", "benefits": [RENTAL], "view": "huge"}, "sites[0].view", "standard, elder"),
        (
            {"id": "a", "benefits": [RENTAL, "expedited-permit"], "single_benefit": True},
            "sites[0].single_benefit",
            "exactly one benefit",
        ),
        ({"id": "a", "benefits": []}, "sites[0].benefits", "non-empty"),
        ({"id": "A b", "benefits": [RENTAL]}, "sites[0].id", "lower-case"),
        ({"id": "a", "benefits": [RENTAL], "speak_results": "yes"}, "sites[0].speak_results", "true or false"),
        ({"id": "a", "benefits": [RENTAL], "counter_name": {"zh-CN": "三号"}}, "sites[0].counter_name", "en"),
        (
            {"id": "a", "benefits": [RENTAL], "counter_name": {"zh-CN": "窗" * 41, "en": "x"}},
            "sites[0].counter_name",
            "at most 40",
        ),
        ({"id": "a", "benefits": [RENTAL], "colour": "red"}, "sites[0]", "unknown field"),
    ],
)
def test_a_bad_site_is_one_line_naming_site_and_field(site: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(with_sites([site]), origin="policy", sites_origin="policy/sites.json")
    error = caught.value
    assert error.field_name == field and words in error.detail
    assert error.detail.startswith("policy/sites.json")
    assert "\n" not in error.detail


def test_two_sites_with_one_id_are_refused() -> None:
    sites = [{"id": "hall", "benefits": [RENTAL]}, {"id": "hall", "benefits": ["expedited-permit"]}]
    with pytest.raises(CatalogError, match=r"site 'hall', field 'sites\[1\]\.id': is used by another site"):
        parse_catalog(with_sites(sites))


def test_sites_travel_in_the_signed_bundle() -> None:
    document = catalog_document()
    now = datetime.now(UTC).replace(microsecond=0)
    body = sign_bundle(
        build_payload(
            document,
            version=5,
            issued_at=now,
            valid_for=timedelta(days=1),
            trust_keys=trust_keys_from_store({}),
            revoked=[],
        ),
        authority_private(),
    )
    bundle = verify_bundle(body, authorities())
    assert bundle.catalog.sites == load_catalog().sites
    assert json.loads(body)["payload"]["catalog"]["sites"][0]["id"] == "demo-rental-counter"


def test_a_benefit_that_has_ended_leaves_its_sites_and_an_empty_site_is_not_signed() -> None:
    document = catalog_document()
    ended = next(b for b in document["benefits"] if b["id"] == RENTAL)
    ended["valid_to"] = "2026-01-31"
    ended["examples"] = []
    document["sites"] = [
        {"id": "mixed", "benefits": [RENTAL, "expedited-permit"]},
        {"id": "rental-only", "benefits": [RENTAL], "single_benefit": True},
    ]
    issued = datetime(2026, 6, 1, tzinfo=UTC)
    with pytest.raises(BundleError, match="site 'rental-only' offers no benefit"):
        build_payload(document, version=1, issued_at=issued, valid_for=timedelta(days=1), trust_keys=[], revoked=[])
    document["sites"] = document["sites"][:1]
    payload = build_payload(
        document, version=1, issued_at=issued, valid_for=timedelta(days=1), trust_keys=[], revoked=[]
    )
    assert payload["catalog"]["sites"] == [{"id": "mixed", "benefits": ["expedited-permit"]}]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_field_values = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "hall-1", "", "X"]),
        "benefits": st.lists(st.sampled_from([RENTAL, "expedited-permit", "nope"]), max_size=3) | _json,
    },
    optional={
        "locale": st.sampled_from(["zh-CN", "en", "de", 3]) | _json,
        "view": st.sampled_from(["standard", "elder", "x"]),
        "single_benefit": st.booleans() | _json,
        "speak_results": st.booleans() | _json,
        "counter_name": _json,
        "name": _json,
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_field_values | _json, max_size=3) | _json)
def test_random_sites_parse_or_are_refused_with_a_site_error(raw: Any) -> None:
    try:
        sites = parse_sites(raw, {RENTAL, "expedited-permit"})
    except SiteError as error:
        assert error.field_name.startswith("sites") and error.problem
        return
    for site in sites:
        assert site.benefits and set(site.benefits) <= {RENTAL, "expedited-permit"}
        assert site.id and (not site.single_benefit or len(site.benefits) == 1)
