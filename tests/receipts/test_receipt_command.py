"""`kiosk receipt verify` end to end: receipts from `kiosk check` online (the real backend on
loopback) and offline (the kiosk's own device key), verified against the synced bundle."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.records import DEMO_DEVICE_ID, DEMO_TOKEN, DemoSubject
from tests.commands.test_check_command import AUTHORITY, kiosk, mint, subject_for
from tests.support.backend import demo_server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[DemoSubject], Path, Path]]:
    """A provisioned kiosk: its own device key (in the service's device registry), a config
    naming it, and a synced bundle; and the demo service signing online receipts."""
    tmp = tmp_path_factory.mktemp("receipts")
    made = kiosk("keys", "new", "--device", DEMO_DEVICE_ID, "--out", str(tmp / "device.pem"))
    assert made.returncode == 0, made.stderr
    config = tmp / "kiosk.toml"
    config.write_text(
        f'authority_keys = ["{AUTHORITY}"]\ndata_dir = "{tmp / "data"}"\ndevice_key = "device.pem"\n',
        encoding="utf-8",
    )
    with demo_server(tmp, rate_per_second=None, device_keys=(tmp / "device-public.pem",)) as (url, subjects):
        synced = kiosk("sync", "--backend", url, "--token", DEMO_TOKEN, "--config", str(config))
        assert synced.returncode == 0, synced.stderr
        yield url, subjects, config, tmp


def _check(url: str, config: Path, payload: str, *extra: str) -> dict[str, object]:
    result = kiosk(
        "check",
        "--benefit",
        "expedited-permit",
        "--scan",
        payload,
        "--backend",
        url,
        "--token",
        DEMO_TOKEN,
        "--config",
        str(config),
        "--json",
        *extra,
    )
    assert result.returncode == 0, result.stderr
    decided: dict[str, object] = json.loads(result.stdout)
    return decided


def _verify(receipt: str, config: Path, *extra: str) -> tuple[int, dict[str, object]]:
    result = kiosk("receipt", "verify", receipt, "--config", str(config), "--json", *extra)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def test_online_and_offline_receipts_verify_against_the_bundle(
    world: tuple[str, list[DemoSubject], Path, Path],
) -> None:
    url, subjects, config, tmp = world
    subject = subject_for(subjects, "uscc", "expedited-permit", "not_eligible")
    other = subject_for(subjects, "uscc", "expedited-permit", "eligible")
    credential = mint(subject.value, tmp / "credential")
    online = _check(url, config, subject.value)
    offline = _check(url, config, credential, "--offline")
    for decided, signer in ((online, "backend"), (offline, "device")):
        receipt = decided["receipt"]
        assert isinstance(receipt, str) and receipt.startswith("XKR:")
        code, body = _verify(receipt, config, "--subject", f"uscc:{subject.value}")
        assert code == 0, body
        assert body["valid"] is True and body["subject_matches"] is True and body["failed_step"] is None
        assert body["signed_by"] == signer and body["mode"] == decided["mode"] == (
            "online" if signer == "backend" else "offline"
        )
        assert body["device"] == DEMO_DEVICE_ID and body["receipt_id"] == decided["decision_id"]
        assert body["benefit"] == "expedited-permit" and body["outcome"] == decided["outcome"] == "not_eligible"
        assert [(c["id"], c["status"]) for c in body["criteria"]] == [  # type: ignore[attr-defined]
            (c["id"], c["status"])
            for c in decided["criteria"]  # type: ignore[attr-defined]
        ]
        code, body = _verify(receipt, config, "--subject", f"uscc:{other.value}")
        assert code == 3 and body["valid"] is True and body["subject_matches"] is False
        assert body["failed_step"] == "subject"
        later = (datetime.now(UTC) + timedelta(days=400)).isoformat()
        code, body = _verify(receipt, config, "--at", later)
        assert code == 3 and body["failed_step"] == "expired" and body["valid"] is False
    plain = kiosk("receipt", "verify", str(offline["receipt"]), "--config", str(config), "--locale", "en")
    assert plain.returncode == 0 and plain.stdout.startswith("Genuine receipt: Not eligible"), plain.stdout
    assert f"kiosk {DEMO_DEVICE_ID}" in plain.stdout


def test_a_credential_is_not_a_receipt_and_an_unknown_signer_is_refused(
    world: tuple[str, list[DemoSubject], Path, Path],
) -> None:
    url, subjects, config, tmp = world
    subject = subject_for(subjects, "uscc", "expedited-permit", "eligible")
    credential = mint(subject.value, tmp / "credential-2")
    code, body = _verify(credential, config)
    assert code == 3 and body["failed_step"] == "prefix"
    assert "not a decision receipt" in body["message"]["en"]  # type: ignore[index]
    # Trusting only a receipt key of some other service: the demo service's receipt is unknown.
    made = subprocess.run(
        [sys.executable, "-m", "backend.cli", "keys", "new", "--kind", "receipt", "--out", str(tmp / "elsewhere")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    receipt = str(_check(url, config, subject.value)["receipt"])
    result = kiosk("receipt", "verify", receipt, "--trust", str(tmp / "elsewhere-public.pem"), "--json")
    assert result.returncode == 3, result.stderr
    assert json.loads(result.stdout)["failed_step"] == "unknown_key"


@pytest.mark.parametrize(
    "args",
    [
        ["receipt", "verify", "XKR:00", "--at", "yesterday"],
        ["receipt", "verify", "XKR:00", "--at", "2026-12-01T10:00:00"],
        ["receipt", "verify", "XKR:00"],  # no bundle, no --trust: nothing to trust
        ["receipt", "verify", "XKR:00", "--trust", "/nonexistent/receipt.pem"],
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str]) -> None:
    result = kiosk(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("kiosk receipt verify: ")


def test_keys_new_refuses_to_overwrite_and_names_the_device(tmp_path: Path) -> None:
    first = kiosk("keys", "new", "--device", "kiosk-0042", "--out", str(tmp_path / "key.pem"))
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.strip()) == 16
    assert (tmp_path / "key.pem").stat().st_mode & 0o077 == 0
    public = (tmp_path / "key-public.pem").read_text(encoding="ascii")
    assert "Xinyi-Key-Kind: device\nXinyi-Device: kiosk-0042\n" in public
    again = kiosk("keys", "new", "--device", "kiosk-0042", "--out", str(tmp_path / "key.pem"))
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr
    bad = kiosk("keys", "new", "--device", "no spaces", "--out", str(tmp_path / "other.pem"))
    assert bad.returncode == 2 and not (tmp_path / "other.pem").exists()
