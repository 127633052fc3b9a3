"""`kiosk heartbeat --config FILE --data-dir DIR [--json]`: one beat now, printed, with the exit
codes of every kiosk command (a field tool, run as a separate process like a technician would)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from kiosk.adapters.heartbeat_ledger import HeartbeatLedger
from kiosk.core.heartbeat import HEARTBEAT_FIELDS
from tests.privacy.harness import dead_url
from tests.support.fleet import KIOSK_TOKENS, OPERATOR, fleet_server, today
from tests.support.paths import DEMO_KEYS


def config(tmp: Path, url: str, **extra: str) -> Path:
    (tmp / "device-token").write_text(KIOSK_TOKENS["kiosk-0001"] + "\n", encoding="utf-8")
    lines = [
        f'backend_url = "{url}"',
        'device_id = "kiosk-0001"',
        'token_file = "device-token"',
        f'authority_keys = ["{DEMO_KEYS / "authority-ed25519-DEMO-public.pem"}"]',
        *(f"{key} = {value}" for key, value in extra.items()),
    ]
    path = tmp / "kiosk.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "heartbeat", *args], capture_output=True, text=True, timeout=60
    )


def test_one_beat_now_sends_the_waiting_counters_and_prints_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    HeartbeatLedger(data).count("expedited-permit", "eligible", [("tax-credit-a-or-b", "passed")], today())
    with fleet_server(tmp_path / "backend") as url:
        result = kiosk("--config", str(config(tmp_path, url)), "--data-dir", str(data), "--json")
        assert result.returncode == 0, result.stderr
        printed = json.loads(result.stdout)
        assert tuple(printed["sent"]) == HEARTBEAT_FIELDS
        assert printed["sent"]["device"] == "kiosk-0001"
        assert printed["result"]["outcome"] == "acknowledged" and printed["result"]["status"] == 200
        assert printed["sent"]["counters"]["outcomes"][0]["count"] == 1
        view = httpx.get(f"{url}/v1/fleet", headers=OPERATOR).json()
        row = next(d for d in view["devices"] if d["device"] == "kiosk-0001")
        assert row["state"] == "live" and view["totals"]["decisions"] == {"eligible": 1}
        again = kiosk("--config", str(config(tmp_path, url)), "--data-dir", str(data))
        assert again.returncode == 0 and "delivered" in again.stdout and '"counters": null' in again.stdout


def test_an_unreachable_backend_is_exit_4_and_the_counters_wait(tmp_path: Path) -> None:
    data = tmp_path / "data"
    HeartbeatLedger(data).count("expedited-permit", "eligible", [], today())
    result = kiosk("--config", str(config(tmp_path, dead_url())), "--data-dir", str(data))
    assert result.returncode == 4, result.stderr
    assert "unreachable" in result.stderr and "Traceback" not in result.stderr
    assert HeartbeatLedger(data).batch_to_send() is not None


def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "kiosk.toml"
    broken.write_text("heartbeat_minutes = -1\n", encoding="utf-8")
    result = kiosk("--config", str(broken), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2 and "heartbeat_minutes" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    offline = config(tmp_path, "http://127.0.0.1:9", offline_only="true")
    result = kiosk("--config", str(offline), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2 and "offline-only" in result.stderr
