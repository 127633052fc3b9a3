"""Issue #17 "Done when": a backend, three kiosk runtimes that check people and heartbeat, one of
which goes silent, and a real browser that signs in to /fleet and sees two live, one silent,
the uptake chart and the data-freshness table; /metrics parses with prometheus-client's parser.

The kiosks are the real station (flow, online checker, store, bundle sync, runtime, ledger and
heartbeat sender) without a screen or serial devices; the backend is `kiosk-backend serve`'s
app on loopback; the browser is Debian's chromium driven by Playwright in its own thread, so
the kiosks keep beating on the test's event loop while it looks.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend.commands.serve import DEMO_OPERATOR_TOKEN
from demo.records import DemoSubject, demo_subjects
from kiosk.session.flow_view import FlowState
from kiosk.station.assembly import Station, build_station
from kiosk.station.config import KioskConfig
from tests.support.browser import chromium_page
from tests.support.fleet import KIOSK_TOKENS, OPERATOR, fleet_server
from tests.support.paths import DEMO_KEYS

pytestmark = pytest.mark.slow

LATE_SECONDS = 3.0
SILENT_SECONDS = 6.0
BEAT_SECONDS = 0.5
# Set to a folder (docs/fleet) to keep the screenshots the README shows.
SCREENSHOTS_ENV = "XINYI_FLEET_SCREENSHOTS"


def kiosk(url: str, device: str, data_dir: Path) -> Station:
    config = KioskConfig(
        backend_url=url,
        device_id=device,
        token=KIOSK_TOKENS[device],
        data_dir=data_dir,
        authority_keys=(DEMO_KEYS / "authority-ed25519-DEMO-public.pem",),
        trust_files=tuple(sorted(DEMO_KEYS.glob("issuer-*-DEMO-public.pem"))),
        origin=f"({device})",
    )
    station = build_station(config, devices=[])
    assert station.heartbeat is not None
    station.heartbeat.interval_seconds = BEAT_SECONDS
    return station


def checks(subjects: list[DemoSubject], each: int = 5) -> list[tuple[DemoSubject, str]]:
    """``each`` checks of every outcome, spread over subjects and over as many benefits as may be."""
    chosen: dict[str, list[tuple[DemoSubject, str]]] = {"eligible": [], "not_eligible": [], "undetermined": []}
    used: dict[str, int] = {}
    for subject in subjects:
        wanted = [(used.get(b, 0), b, o) for b, o in subject.expected.items() if len(chosen[o]) < each]
        if wanted:
            _, benefit, outcome = min(wanted)
            chosen[outcome].append((subject, benefit))
            used[benefit] = used.get(benefit, 0) + 1
    return [pair for group in zip(*chosen.values(), strict=False) for pair in group]


async def check(station: Station, benefit: str, code: str) -> str:
    flow = station.runtime.flow
    flow.start()
    flow.choose_benefit(benefit)
    flow.ready_to_present()
    flow.present(code)
    deadline = time.monotonic() + 15
    while flow.view.state not in (FlowState.RESULT, FlowState.ERROR):
        assert time.monotonic() < deadline, f"stuck in {flow.view.state}"
        await asyncio.sleep(0.01)
    view = flow.view
    flow.finish()
    assert view.decision is not None, view
    return view.decision.outcome.value


async def until(condition: Any, limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)


def fleet_view(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=10) as client:
        answer = client.get("/v1/fleet", headers=OPERATOR)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def look(url: str, shots: Path) -> dict[str, Any]:
    """Sign in, read what the page shows, and screenshot it in both languages (in a thread)."""
    seen: dict[str, Any] = {}
    with chromium_page() as page:
        page.goto(f"{url}/fleet?lang=en")
        assert page.locator("#sign-in").is_visible()
        page.fill("#token", DEMO_OPERATOR_TOKEN)
        page.click("#sign-in")
        page.wait_for_selector("#states")
        for state in ("live", "late", "silent"):
            seen[state] = int(page.inner_text(f"#states [data-state={state}] .count"))
        seen["rows"] = {
            row.get_attribute("data-device"): row.get_attribute("data-state") for row in page.locator("tr.device").all()
        }
        seen["bars"] = page.locator("#uptake-chart svg rect.bar").count()
        seen["tall_bars"] = sum(
            1 for bar in page.locator("#uptake-chart svg rect.bar").all() if float(bar.get_attribute("height") or 0) > 0
        )
        seen["freshness"] = [
            [cell.inner_text().strip() for cell in row.locator("th, td").all()]
            for row in page.locator("#freshness-table tbody tr").all()
        ]
        seen["scripts"] = page.locator("script").count()
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "fleet-en.png"), full_page=True)
        page.goto(f"{url}/fleet?lang=zh-CN")  # the session cookie carries over
        page.wait_for_selector("#states")
        seen["zh_title"] = page.inner_text("h1")
        page.screenshot(path=str(shots / "fleet-zh-CN.png"), full_page=True)
        page.click("text=退出登录")
        page.wait_for_selector("#sign-in")
        page.goto(f"{url}/fleet?lang=en")
        seen["after_sign_out"] = page.locator("#sign-in").is_visible()
    return seen


async def test_two_live_kiosks_one_silent_seen_in_a_real_browser(tmp_path: Path) -> None:
    subjects = [s for s in demo_subjects() if s.scheme == "uscc" and s.on_record]
    with fleet_server(
        tmp_path / "backend",
        demo_device=False,
        late_seconds=LATE_SECONDS,
        silent_seconds=SILENT_SECONDS,
        per_hour=36_000,
        burst=100,
    ) as url:
        stations = {device: kiosk(url, device, tmp_path / device) for device in KIOSK_TOKENS}
        try:
            outcomes = []
            for station in stations.values():
                await station.sync.sync_now()
                station.start()
            for index, (subject, benefit) in enumerate(checks(subjects)):
                outcome = await check(list(stations.values())[index % 3], benefit, subject.value)
                assert outcome == subject.expected[benefit]
                outcomes.append(outcome)
            assert set(outcomes) == {"eligible", "not_eligible", "undetermined"}

            def all_counted() -> bool:
                counted = fleet_view(url)["totals"]["decisions"]
                return sum(counted.values()) == len(outcomes)

            await until(all_counted, 20, "every decision reaches the fleet through the heartbeats")
            await stations["kiosk-0003"].aclose()  # it goes silent
            silent_at = time.monotonic()
            await until(lambda: fleet_view(url)["totals"]["silent"] == 1, SILENT_SECONDS + 5, "kiosk-0003 silent")
            assert time.monotonic() - silent_at >= SILENT_SECONDS - 1
            shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "shots")
            seen = await asyncio.to_thread(look, url, shots)
            with httpx.Client(base_url=url, timeout=10) as client:
                metrics = client.get("/metrics", headers=OPERATOR)
        finally:
            for device, station in stations.items():
                if device != "kiosk-0003":
                    await station.aclose()

    assert (seen["live"], seen["late"], seen["silent"]) == (2, 0, 1), seen
    assert seen["rows"] == {"kiosk-0001": "live", "kiosk-0002": "live", "kiosk-0003": "silent"}
    assert seen["bars"] >= 14 and seen["tall_bars"] >= 1, "the uptake chart has today's bars"
    authorities = [row[0] for row in seen["freshness"]]
    assert authorities and all(row[3].endswith("%") for row in seen["freshness"]), seen["freshness"]
    assert int(seen["freshness"][0][2]) >= 1, "the first row is an authority whose data was missing"
    assert seen["scripts"] == 0
    assert seen["zh_title"] == "自助终端运行总览"
    assert seen["after_sign_out"]
    for name in ("fleet-en.png", "fleet-zh-CN.png"):
        assert (shots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(metrics.text)}
    devices = {s.labels["state"]: s.value for s in families["xinyi_fleet_devices"].samples}
    assert devices == {"live": 2.0, "late": 0.0, "silent": 1.0}
    decided = sum(s.value for s in families["xinyi_fleet_decisions"].samples if s.name.endswith("_total"))
    assert decided == len(outcomes)
    latency = families["xinyi_http_request_duration_seconds"]
    assert latency.type == "histogram"
    routes = {s.labels["route"] for s in latency.samples}
    assert {"/v1/heartbeat", "/v1/eligibility", "/v1/bundle"} <= routes
    assert families["xinyi_bundle_age_seconds"].samples[0].value >= 0
    assert families["xinyi_records_import_age_seconds"].samples[0].value >= 0
    # No label carries a token, a subject, or anything of a person.
    labels = {value for family in families.values() for sample in family.samples for value in sample.labels.values()}
    secrets = {
        *KIOSK_TOKENS.values(),
        DEMO_OPERATOR_TOKEN,
        *(s.value for s in demo_subjects()),
        *(s.label for s in demo_subjects()),
    }
    assert not labels & secrets
    assert not any(secret in metrics.text for secret in secrets)
