"""The kiosk's clock against the server's Date header at each sync: kept in the station's sync
state, and offline decisions refused while it is known to be wrong by more than the bundle's
tolerance. The real backend over loopback, its real signed bundle, the real TinyDB store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from demo.records import DEMO_DEVICE_ID, DEMO_TOKEN
from kiosk.adapters.backend_client import BackendClient, OnlineChecker
from kiosk.adapters.bundle_sync import BundleSync
from kiosk.adapters.store import STATE_FILE, Store
from kiosk.core.bundle import CLOCK_SKEW
from kiosk.core.catalog import message
from kiosk.core.credentials import CredentialError, read_presentation
from kiosk.core.decision_records import Mode
from kiosk.core.offline import OfflineUnavailable, credential_settings
from kiosk.session.checkers import FallbackChecker, OfflineChecker
from kiosk.session.flow import SessionFlow
from kiosk.session.flow_view import FlowState
from kiosk.station.config import KioskConfig
from kiosk.station.services import build_services
from tests.support.backend import demo_server
from tests.support.bundle import AUTHORITY_PUBLIC_PEM, DEMO_KEYS, authorities, demo_issuer

USCC = "91350100M000100Y43"
FACTS = {
    "serious_dishonesty_listed": False,
    "abnormal_operations_listed": False,
    "last_penalty_date": "2019-03-01",
    "tax_credit_grade": "A",
    "credit_commitment_on_file": True,
}


class KioskClock:
    """The kiosk's wall clock: the real time plus an offset a test sets (a wrong clock)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_server(tmp_path_factory.mktemp("backend"), rate_per_second=None) as (url, _):
        yield url


def sync_for(url: str, data_dir: Path, clock: KioskClock) -> BundleSync:
    return BundleSync(Store(data_dir), authorities(), base_url=url, token=DEMO_TOKEN, clock=clock)


def credential() -> str:
    return demo_issuer().issue(
        kind="business", subject_value=USCC, facts=FACTS, issued_at=datetime.now(UTC) - timedelta(days=1)
    )


async def test_a_clock_an_hour_ahead_is_measured_kept_and_stops_offline_decisions(backend: str, tmp_path: Path) -> None:
    clock = KioskClock(timedelta(hours=1))
    sync = sync_for(backend, tmp_path, clock)
    try:
        result = await sync.sync_now()
        assert result.outcome == "updated"
        skew = sync.clock_skew_seconds
        assert skew is not None and 3590 < skew < 3610
        state = json.loads((tmp_path / STATE_FILE).read_text(encoding="utf-8"))
        kept = {row["key"]: row["value"] for row in state["device"].values()}
        assert 3590 < kept["clock_skew_seconds"] < 3610 and kept["clock_checked_at"]

        # The backend goes away mid-check: the offline answer is refused, in words for a person.
        dead = BackendClient("http://127.0.0.1:9", DEMO_TOKEN, "kiosk-demo", check_deadline=2.0)
        offline = OfflineChecker(sync.held_for_offline, clock=clock)
        checker = FallbackChecker(OnlineChecker(dead), offline)
        bundle = sync.current
        assert bundle is not None
        flow = SessionFlow(
            bundle.catalog, lambda raw: read_presentation(raw, credential_settings(bundle), now=clock()), checker
        )
        flow.start()
        flow.choose_benefit("expedited-permit")
        flow.ready_to_present()
        task = flow.present(credential())
        assert task is not None
        await task
        assert flow.view.state is FlowState.ERROR
        assert flow.view.error == message("core.offline.clock_skew")
        assert not flow.holds_personal_data
        with pytest.raises(OfflineUnavailable) as caught:
            sync.offline_bundle()
        assert caught.value.reason == "clock_skew"

        # The clock is set right (NTP after a boot without network): refused no longer, at once.
        clock.offset = timedelta(0)
        assert abs(sync.clock_skew_seconds or 0) < 10
        presentation = read_presentation(credential(), credential_settings(bundle), now=clock())
        decision = await checker.check("expedited-permit", presentation, "en")
        assert decision.mode is Mode.OFFLINE
        await dead.aclose()
    finally:
        await sync.stop()


@pytest.mark.parametrize("minutes", [-8, 3, 7])
async def test_a_clock_within_the_tolerance_still_decides_offline(backend: str, tmp_path: Path, minutes: int) -> None:
    clock = KioskClock(timedelta(minutes=minutes))
    sync = sync_for(backend, tmp_path, clock)
    try:
        await sync.sync_now()
        skew = sync.clock_skew_seconds
        assert skew is not None and abs(skew - minutes * 60) < 10
        assert abs(skew) < CLOCK_SKEW.total_seconds()
        assert sync.offline_bundle() is sync.current
    finally:
        await sync.stop()


async def test_no_answer_means_no_skew_known(tmp_path: Path) -> None:
    sync = sync_for("http://127.0.0.1:9", tmp_path, KioskClock(timedelta(hours=5)))
    try:
        result = await sync.sync_now()
        assert result.outcome == "unreachable" and sync.clock_skew_seconds is None
    finally:
        await sync.stop()


async def test_a_code_expired_only_by_a_wrong_clock_is_not_blamed_on_the_person(backend: str, tmp_path: Path) -> None:
    config = KioskConfig(
        backend_url=backend,
        device_id=DEMO_DEVICE_ID,
        token=DEMO_TOKEN,
        data_dir=tmp_path,
        authority_keys=(AUTHORITY_PUBLIC_PEM,),
        trust_files=(DEMO_KEYS / "issuer-ed25519-DEMO-public.pem",),
    )
    services = build_services(config)
    try:
        await services.offline.sync.sync_now()
        now = datetime.now(UTC)
        # Valid from 45 to 15 days ago by this kiosk's clock: expired, as far as it can tell.
        code = demo_issuer().issue(
            kind="business",
            subject_value=USCC,
            facts=FACTS,
            issued_at=now - timedelta(days=45),
            valid_for=timedelta(days=30),
        )
        read = services.presentation_reader()
        with pytest.raises(CredentialError) as expired:
            read(code)
        assert expired.value.step == "expired"
        # The server's Date says it is 40 days earlier: the code is valid and the clock wrong.
        services.offline.sync.clock.record(format_datetime(now - timedelta(days=40), usegmt=True), now)
        assert services.offline.sync.clock_known_wrong
        with pytest.raises(OfflineUnavailable) as unavailable:
            read(code)
        assert unavailable.value.reason == "clock_skew"
        assert unavailable.value.text == message("core.offline.clock_skew")
    finally:
        await services.aclose()
