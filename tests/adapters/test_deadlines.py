"""Every backend exchange ends by its deadline, against a real loopback server sending one byte
a second (issue #18 item 5): httpx's per-read timeouts never trip on such a server, so only the
total deadline stops it; then the fallback applies and the sync lock is free again."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from kiosk.adapters.backend_client import BackendClient, BackendUnavailable, OnlineChecker
from kiosk.adapters.bundle_sync import BundleSync
from kiosk.adapters.store import Store
from kiosk.core.credentials import read_presentation
from kiosk.core.decision_records import Mode
from kiosk.core.offline import credential_settings
from kiosk.session.checkers import FallbackChecker, OfflineChecker
from tests.support.bundle import AUTHORITY_PUBLIC_PEM, LoopbackBackend, authorities, demo_issuer, signed, verified

REPO = Path(__file__).resolve().parents[2]
# Per-read timeouts well above the byte interval: they must not be what ends the exchange.
PATIENT = httpx.Timeout(5.0)
NOW = datetime.now(UTC).replace(microsecond=0)
USCC = "91350100M000100Y43"
FACTS = {"serious_dishonesty_listed": False, "abnormal_operations_listed": False,
         "last_penalty_date": "2019-03-01", "tax_credit_grade": "A", "credit_commitment_on_file": True}


@pytest.fixture
async def trickle() -> AsyncIterator[LoopbackBackend]:
    server = await LoopbackBackend().start()
    server.mode, server.trickle_seconds = "trickle", 1.0
    yield server
    await server.close()


async def test_a_trickled_bundle_is_unreachable_by_the_deadline_and_frees_the_lock(
    tmp_path: Path, trickle: LoopbackBackend
) -> None:
    trickle.publish(signed(version=1))
    sync = BundleSync(Store(tmp_path), authorities(), base_url=trickle.url, timeout=PATIENT, deadline=2.0)
    background = asyncio.ensure_future(sync.sync_now())
    while not trickle.requests:
        await asyncio.sleep(0.01)
    # The staff's "sync now" waits for the lock the trickled attempt holds, then gets its turn.
    trickle.mode = "serve"
    async with asyncio.timeout(30):
        staff = await sync.sync_now()
    first = await background
    assert first.outcome == "unreachable" and "within 2 s" in first.detail
    assert staff.outcome == "updated" and sync.current is not None
    await sync.stop()


async def test_a_trickled_check_finishes_offline_by_the_check_deadline(trickle: LoopbackBackend) -> None:
    bundle = verified(issued_at=NOW - timedelta(hours=1))
    client = BackendClient(trickle.url, "t0ken", "kiosk-0042", timeout=PATIENT, check_deadline=2.0)
    fallback = FallbackChecker(OnlineChecker(client), OfflineChecker(lambda: bundle))
    presentation = read_presentation(
        demo_issuer().issue(kind="business", subject_value=USCC, facts=FACTS, issued_at=NOW - timedelta(days=1)),
        credential_settings(bundle), now=NOW,
    )
    async with asyncio.timeout(30):
        decision = await fallback.check("expedited-permit", presentation, "en")
        with pytest.raises(BackendUnavailable, match="within 2 s"):
            await client.check("expedited-permit", presentation.subject, "en")
    assert decision.mode is Mode.OFFLINE
    await client.aclose()


async def test_a_trickled_health_probe_ends_by_its_deadline(trickle: LoopbackBackend) -> None:
    client = BackendClient(trickle.url, "t0ken", "kiosk-0042", timeout=PATIENT, deadline=1.5)
    async with asyncio.timeout(30):
        with pytest.raises(BackendUnavailable, match=r"within 1\.5 s"):
            await client.health()
    await client.aclose()


async def test_kiosk_check_against_a_trickling_backend_answers_offline(
    tmp_path: Path, trickle: LoopbackBackend
) -> None:
    """The CLI, which has no session clock to time the check out: the configured checking time does."""
    data = tmp_path / "data"
    assert Store(data).save_bundle(verified(issued_at=NOW - timedelta(hours=1)), None)
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'authority_keys = ["{AUTHORITY_PUBLIC_PEM}"]\ndata_dir = "{data}"\n[timeouts]\nchecking = 5\n',
        encoding="utf-8",
    )
    payload = demo_issuer().issue(kind="business", subject_value=USCC, facts=FACTS,
                                  issued_at=NOW - timedelta(days=1))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kiosk.cli", "check", "--benefit", "expedited-permit", "--scan", payload,
        "--backend", trickle.url, "--token", "t0ken", "--config", str(config), "--json",
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "XINYI_CONFIG": "", "PYTHONPATH": str(REPO)},
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert json.loads(out)["mode"] == "offline"
    assert trickle.requests and trickle.requests[0][0] == "POST /v1/eligibility"
