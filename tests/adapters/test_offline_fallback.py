"""Online first, offline when the backend goes away: through the real HTTP client over loopback
and through the session flow, so a person mid-check still gets an (offline-labelled) answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from kiosk.adapters.backend_client import BackendClient, BackendRejected, BackendUnavailable, OnlineChecker
from kiosk.adapters.bundle_sync import Health, HealthTracker
from kiosk.core.bundle import PolicyBundle
from kiosk.core.credentials import read_presentation
from kiosk.core.decision import decide
from kiosk.core.decision_records import Mode, Outcome
from kiosk.core.offline import OfflineUnavailable, credential_settings
from kiosk.session.checkers import FallbackChecker, OfflineChecker, can_finish_offline
from kiosk.session.flow import SessionFlow
from kiosk.session.flow_view import FlowState
from kiosk.station.offline import offline_parts
from tests.support.bundle import AUTHORITY_PUBLIC_PEM, LoopbackBackend, demo_issuer, signed, verified

NOW = datetime.now(UTC).replace(microsecond=0)
FACTS = {
    "serious_dishonesty_listed": False,
    "abnormal_operations_listed": False,
    "last_penalty_date": "2019-03-01",
    "tax_credit_grade": "A",
    "credit_commitment_on_file": True,
}
USCC = "91350100M000100Y43"


@pytest.fixture
async def backend() -> AsyncIterator[LoopbackBackend]:
    server = await LoopbackBackend().start()
    yield server
    await server.close()


@pytest.fixture
def bundle() -> PolicyBundle:
    return verified(issued_at=NOW - timedelta(hours=1))


def payload() -> str:
    return demo_issuer().issue(kind="business", subject_value=USCC, facts=FACTS,
                               issued_at=NOW - timedelta(days=1))


def online_answer(bundle: PolicyBundle) -> bytes:
    benefit = bundle.catalog.get("expedited-permit")
    assert benefit is not None
    decision = decide(benefit, FACTS, policy_version=bundle.catalog.version, locale="en",
                      as_of={"credit-china": "2026-11-20"}, now=NOW)
    return json.dumps(decision.to_json()).encode()


def checker(
    backend: LoopbackBackend, bundle: PolicyBundle, tracker: HealthTracker
) -> tuple[FallbackChecker, BackendClient]:
    client = BackendClient(backend.url, "t0ken", "kiosk-0042", timeout=httpx.Timeout(0.5))
    fallback = FallbackChecker(OnlineChecker(client), OfflineChecker(lambda: bundle), health=tracker)
    return fallback, client


@pytest.mark.parametrize("mode", ["drop", "stall", "error"])
async def test_an_unreachable_backend_finishes_offline(
    backend: LoopbackBackend, bundle: PolicyBundle, mode: str
) -> None:
    backend.mode = mode
    tracker = HealthTracker()
    fallback, client = checker(backend, bundle, tracker)
    presentation = read_presentation(payload(), credential_settings(bundle), now=NOW)
    decision = await fallback.check("expedited-permit", presentation, "en")
    assert decision.mode is Mode.OFFLINE and decision.outcome is Outcome.ELIGIBLE
    assert backend.requests and backend.requests[0][0] == "POST /v1/eligibility"
    assert tracker.consecutive_failures == 1
    await client.aclose()


async def test_a_reachable_backend_decides_online(backend: LoopbackBackend, bundle: PolicyBundle) -> None:
    backend.decision_body = online_answer(bundle)
    tracker = HealthTracker()
    fallback, client = checker(backend, bundle, tracker)
    presentation = read_presentation(payload(), credential_settings(bundle), now=NOW)
    decision = await fallback.check("expedited-permit", presentation, "en")
    assert decision.mode is Mode.ONLINE and tracker.health is Health.ONLINE
    await client.aclose()


async def test_a_refusing_backend_is_not_overruled_offline(backend: LoopbackBackend, bundle: PolicyBundle) -> None:
    backend.mode = "serve"
    client = BackendClient(backend.url + "/nowhere", "t0ken", "kiosk-0042", timeout=httpx.Timeout(0.5))
    fallback = FallbackChecker(OnlineChecker(client), OfflineChecker(lambda: bundle))
    presentation = read_presentation(payload(), credential_settings(bundle), now=NOW)
    with pytest.raises(BackendRejected):
        await fallback.check("expedited-permit", presentation, "en")
    await client.aclose()


async def test_offline_impossible_too_says_so(backend: LoopbackBackend) -> None:
    old = verified(issued_at=NOW - timedelta(days=3), valid_for=timedelta(days=9))
    backend.mode = "drop"
    fallback, client = checker(backend, old, HealthTracker())
    presentation = read_presentation(payload(), credential_settings(old), now=NOW)
    with pytest.raises(OfflineUnavailable) as caught:
        await fallback.check("expedited-permit", presentation, "en")
    assert caught.value.reason == "stale"
    await client.aclose()


def test_the_agreed_marker_is_retryable_offline() -> None:
    assert can_finish_offline(BackendUnavailable("x"))
    assert not can_finish_offline(BackendRejected(404, {}))
    assert not can_finish_offline(RuntimeError("bug"))


async def test_a_session_moves_between_modes_without_being_lost(backend: LoopbackBackend, bundle: PolicyBundle) -> None:
    tracker = HealthTracker()
    fallback, client = checker(backend, bundle, tracker)
    settings = credential_settings(bundle)
    modes = []
    flow = SessionFlow(bundle.catalog, lambda raw: read_presentation(raw, settings, now=NOW), fallback)
    backend.decision_body = online_answer(bundle)
    for mode in ("serve", "drop", "stall", "serve"):
        backend.mode = mode
        flow.start()
        flow.choose_benefit("expedited-permit")
        flow.ready_to_present()
        task = flow.present(payload())
        assert task is not None
        await task
        assert flow.view.state is FlowState.RESULT, mode
        assert flow.view.decision is not None
        modes.append(flow.view.decision.mode)
        flow.finish()
        assert flow.view.state is FlowState.IDLE and flow.view.decision is None
    assert modes == [Mode.ONLINE, Mode.OFFLINE, Mode.OFFLINE, Mode.ONLINE]
    await client.aclose()


async def test_offline_parts_wire_store_sync_checker_and_settings(backend: LoopbackBackend, tmp_path: Path) -> None:
    bundle_bytes = signed(version=3, issued_at=NOW - timedelta(hours=1))
    backend.publish(bundle_bytes)
    client = BackendClient(backend.url, "t0ken", "kiosk-0042", timeout=httpx.Timeout(0.5))
    parts = offline_parts(data_dir=tmp_path, backend_url=backend.url, token="t0ken",
                          authority_key_files=[AUTHORITY_PUBLIC_PEM], online=OnlineChecker(client))
    assert isinstance(parts.checker, FallbackChecker)
    assert len(parts.credential_settings().trust) == 0  # nothing trusted before a bundle
    assert (await parts.sync.sync_now()).outcome == "updated"
    settings = parts.credential_settings()
    assert len(settings.trust) == 2 and settings is parts.credential_settings()
    backend.mode = "drop"
    presentation = read_presentation(payload(), settings, now=datetime.now(UTC))
    decision = await parts.checker.check("expedited-permit", presentation, "zh-CN")
    assert decision.mode is Mode.OFFLINE and parts.sync.health is Health.DEGRADED
    only = offline_parts(data_dir=tmp_path, backend_url=backend.url, token=None,
                         authority_key_files=[AUTHORITY_PUBLIC_PEM], online=None, offline_only=True)
    assert isinstance(only.checker, OfflineChecker) and only.sync.current is not None
    await parts.sync.stop()
    await only.sync.stop()
    await client.aclose()
