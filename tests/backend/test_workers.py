"""`kiosk-backend serve --workers N`: what must hold across worker processes does — one rate
limit per device, a revoked token refused by every worker, an import seen by every worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.deployment import BUSINESS, FIXTURES, Deployment, make_deployment, records_db
from tests.support.serving import ROOT, children_of, serve_process

__all__ = ["records_db"]  # fixture

pytestmark = pytest.mark.slow


def _ask(url: str, site: Deployment, token: str, device: str) -> httpx.Response:
    """One request on a connection of its own, so the kernel may hand it to any worker."""
    body = {
        "benefit": "fewer-inspections",
        "subject": {"scheme": "uscc", "value": BUSINESS},
        "locale": "en",
        "device": device,
    }
    return httpx.post(f"{url}/v1/eligibility", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_two_workers_share_the_rate_revocations_and_imports(tmp_path: Path, records_db: str) -> None:
    site = make_deployment(tmp_path / "site", db=records_db)
    postgres = records_db.startswith("postgresql://")
    flags = ["--workers", "2", "--rate-limit", "0.01/6" if postgres else "off"]
    with serve_process(site.config, *flags) as (url, pid):
        assert len(children_of(pid)) == 2
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(lambda _: _ask(url, site, site.token, site.device).status_code, range(12)))
        if postgres:  # one bucket of 6 for the device, whichever worker answers
            assert sorted(answers) == [200] * 6 + [429] * 6, answers
        else:
            assert answers == [200] * 12
        code, token, err = site.backend("device-token", "issue", "--config", str(site.config), "--device", "kiosk-0002")
        assert code == 0, err
        token = token.strip()
        deadline = time.monotonic() + 10  # each worker re-reads the tokens file within a second
        while _ask(url, site, token, "kiosk-0002").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.2)
        assert {_ask(url, site, token, "kiosk-0002").json()["outcome"] for _ in range(2)} == {"not_eligible"}
        code, _, err = site.records_import("credit-china", FIXTURES / "credit-china-repair.csv", as_of="2026-12-01")
        assert code == 0, err
        # Every worker, on its next request, answers from the new data.
        assert {_ask(url, site, token, "kiosk-0002").json()["outcome"] for _ in range(3)} == {"eligible"}
        code, _, err = site.backend("device-token", "revoke", "--config", str(site.config), "--device", "kiosk-0002")
        assert code == 0, err
        time.sleep(1.5)
        assert {_ask(url, site, token, "kiosk-0002").status_code for _ in range(4)} == {401}


def test_several_workers_on_sqlite_need_the_rate_limit_off(tmp_path: Path) -> None:
    site = make_deployment(tmp_path / "site")
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", "serve", "--config", str(site.config), "--workers", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "rate limit" in done.stderr and done.stderr.count("\n") == 1, done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", "serve", "--config", str(site.config), "--workers", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--workers" in done.stderr, done.stderr


def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    site = make_deployment(tmp_path / "site")
    with serve_process(site.config, "--workers", "2", "--rate-limit", "off") as (url, pid):
        before = children_of(pid)
        assert len(before) == 2
        os.kill(before[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = children_of(pid)
            if len(now) == 2 and before[0] not in now:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"no replacement worker: {children_of(pid)}")
        assert {_ask(url, site, site.token, site.device).status_code for _ in range(4)} == {200}
