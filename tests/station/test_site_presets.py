"""Site presets end to end: the real backend signs a policy with sites and serves it over
loopback, the kiosk station syncs it into its real TinyDB store, and the next person meets the
site's benefits, order, language, view and counter; the local config fills what a preset omits."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.records import DEMO_DEVICE_ID, DEMO_TOKEN
from kiosk.common.policy_folder import load_catalog
from kiosk.core.benefits import Catalog
from kiosk.core.sites import SitePreset
from kiosk.core.text import LocalText
from kiosk.session.flow_view import FlowState
from kiosk.session.site import PresetState
from kiosk.station.assembly import build_station
from kiosk.station.config import ConfigError, KioskConfig, load_config
from kiosk.station.site import resolve_site
from tests.support.backend import demo_server
from tests.support.bundle import AUTHORITY_PUBLIC_PEM
from tests.support.policy_edit import copy_policy

SITES = [
    {
        "id": "loan-desk",
        "name": {"zh-CN": "信易贷窗口", "en": "Loan desk"},
        "benefits": ["sme-loan-referral"],
        "single_benefit": True,
        "locale": "en",
        "view": "elder",
        "counter_name": {"zh-CN": "7号窗口", "en": "Desk 7"},
    },
    {"id": "mixed-hall", "benefits": ["volunteer-transit", "expedited-permit", "library-deposit-free"]},
]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = copy_policy(tmp_path_factory.mktemp("policy"))
    (folder / "sites.json").write_text(json.dumps(SITES, ensure_ascii=False), encoding="utf-8")
    with demo_server(tmp_path_factory.mktemp("backend"), rate_per_second=None, policy_dir=folder) as (url, _):
        yield url


def config(url: str, data_dir: Path, **changes: Any) -> KioskConfig:
    settings: dict[str, Any] = dict(
        backend_url=url,
        device_id=DEMO_DEVICE_ID,
        token=DEMO_TOKEN,
        data_dir=data_dir,
        authority_keys=(AUTHORITY_PUBLIC_PEM,),
        locale="zh-CN",
        speak_results=True,
        counter_name=LocalText("本地窗口", "Local counter"),
    )
    settings.update(changes)
    return KioskConfig(**settings)


async def test_a_signed_preset_applies_at_the_next_sync_between_two_people(backend: str, tmp_path: Path) -> None:
    station = build_station(config(backend, tmp_path / "data", site="loan-desk"), devices=[])
    flow = station.runtime.flow
    try:
        # Before any sync the shipped policy decides: it has no "loan-desk", so every benefit.
        assert flow.site.preset is PresetState.UNKNOWN and flow.site.site_id == "loan-desk"
        assert len(flow.offered()) == len(load_catalog().benefits)
        flow.start()
        assert flow.view.state is FlowState.CHOOSE_BENEFIT
        result = await station.sync.sync_now()
        assert result.outcome == "updated"
        # Someone is at the kiosk: nothing changes under them.
        assert flow.site.preset is PresetState.UNKNOWN and flow.view.state is FlowState.CHOOSE_BENEFIT
        flow.cancel()
        site = flow.site
        assert site.preset is PresetState.APPLIED and site.name == LocalText("信易贷窗口", "Loan desk")
        assert site.locale == "en" and site.elder_view and site.counter_name("en") == "Desk 7"
        assert site.speak_results  # the preset leaves it out: the config's value
        assert site.time_zone == "Asia/Shanghai"
        assert flow.view.locale == "en" and flow.default_locale == "en"
        # The next person goes straight to the one benefit's criteria; back leaves the session.
        flow.start()
        assert flow.view.state is FlowState.CRITERIA
        assert flow.view.benefit is not None and flow.view.benefit.id == "sme-loan-referral"
        flow.back()
        assert flow.view.state is FlowState.IDLE
    finally:
        await station.aclose()
    # A restart finds the preset in the stored bundle at once.
    again = build_station(config(backend, tmp_path / "data", site="loan-desk"), devices=[])
    try:
        assert again.runtime.flow.site.preset is PresetState.APPLIED
        assert [b.id for b in again.runtime.flow.offered()] == ["sme-loan-referral"]
    finally:
        await again.aclose()


async def test_a_site_offers_its_benefits_in_its_order_and_keeps_the_list(backend: str, tmp_path: Path) -> None:
    station = build_station(config(backend, tmp_path / "data", site="mixed-hall"), devices=[])
    flow = station.runtime.flow
    try:
        await station.sync.sync_now()
        assert [b.id for b in flow.offered()] == ["volunteer-transit", "expedited-permit", "library-deposit-free"]
        # No preset value: the config's language, view and counter.
        assert flow.site.locale == "zh-CN" and not flow.site.elder_view
        assert flow.site.counter_name("zh-CN") == "本地窗口"
        flow.start()
        assert flow.view.state is FlowState.CHOOSE_BENEFIT
        flow.choose_benefit("expedited-permit")
        flow.back()
        assert flow.view.state is FlowState.CHOOSE_BENEFIT
    finally:
        await station.aclose()


async def test_an_unknown_site_offers_the_whole_catalog(backend: str, tmp_path: Path) -> None:
    station = build_station(config(backend, tmp_path / "data", site="nowhere"), devices=[])
    flow = station.runtime.flow
    try:
        await station.sync.sync_now()
        held = station.sync.current
        assert held is not None and held.catalog.site("loan-desk") is not None
        assert flow.site.preset is PresetState.UNKNOWN and flow.site.benefits is None
        today = held.catalog.day_of(datetime.now(UTC))
        assert flow.offered() == held.catalog.offered(today) and len(flow.offered()) == 7
    finally:
        await station.aclose()


def test_without_a_site_the_config_decides(tmp_path: Path) -> None:
    site = resolve_site(KioskConfig(locale="en", elder_view=True), load_catalog())
    assert site.preset is PresetState.NONE and site.benefits is None and site.locale == "en" and site.elder_view


@pytest.mark.parametrize("value", ["'Loan Desk'", "''", "'a/b'", "3"])
def test_a_bad_site_name_in_the_config_is_one_line(tmp_path: Path, value: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"site = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == "site" and "\n" not in caught.value.detail


@functools.cache
def shipped_catalog() -> Catalog:
    return load_catalog()


_maybe_bool = st.none() | st.booleans()
_maybe_text = st.none() | st.builds(LocalText, st.text(min_size=1, max_size=5), st.text(min_size=1, max_size=5))


@settings(max_examples=200, deadline=None)
@given(
    locale=st.none() | st.sampled_from(["zh-CN", "en"]),
    elder=_maybe_bool,
    speak=_maybe_bool,
    counter=_maybe_text,
    local_locale=st.sampled_from(["zh-CN", "en"]),
    local_elder=st.booleans(),
    local_speak=st.booleans(),
    local_counter=_maybe_text,
)
def test_what_a_preset_sets_wins_and_the_config_fills_the_rest(
    locale: Any,
    elder: bool | None,
    speak: bool | None,
    counter: LocalText | None,
    local_locale: Any,
    local_elder: bool,
    local_speak: bool,
    local_counter: LocalText | None,
) -> None:
    preset = SitePreset(
        "hall", ("expedited-permit",), locale=locale, elder_view=elder, speak_results=speak, counter_name=counter
    )
    catalog = replace(shipped_catalog(), sites=(preset,))
    local = KioskConfig(
        locale=local_locale,
        elder_view=local_elder,
        speak_results=local_speak,
        counter_name=local_counter,
        time_zone="Europe/Berlin",
        site="hall",
    )
    site = resolve_site(local, catalog)
    assert site.preset is PresetState.APPLIED and site.benefits == ("expedited-permit",)
    assert site.locale == (locale or local_locale)
    assert site.elder_view == (local_elder if elder is None else elder)
    assert site.speak_results == (local_speak if speak is None else speak)
    assert site.counter == (counter if counter is not None else local_counter)
    assert site.time_zone == "Europe/Berlin"
