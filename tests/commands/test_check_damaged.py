"""`kiosk check` with a damaged data folder (issue #18 item 14): a signed credential the kiosk
cannot verify for want of policy data is "cannot check right now" (exit 4), never "unknown key"
(exit 3, blaming the person's code). The real CLI in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.adapters.store import Store
from tests.support.bundle import AUTHORITY_PUBLIC_PEM, demo_issuer, verified

REPO = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(microsecond=0)


def _garbage_index(data: Path) -> None:
    (data / "bundle.json").write_bytes(b"\x00\xff not json")


def _cut_short(data: Path) -> None:
    sidecar = next(data.glob("bundle-*.signed"))
    sidecar.write_bytes(sidecar.read_bytes()[:100])


def _tampered(data: Path) -> None:
    sidecar = next(data.glob("bundle-*.signed"))
    raw = sidecar.read_bytes()
    sidecar.write_bytes(raw.replace(b'"version":', b'"version": ', 1)[: len(raw)])


def _index_is_a_folder(data: Path) -> None:
    (data / "bundle.json").unlink()
    (data / "bundle.json").mkdir()


def _all_gone(data: Path) -> None:
    for path in data.iterdir():
        path.unlink()


@pytest.mark.parametrize("damage", [_garbage_index, _cut_short, _tampered, _index_is_a_folder, _all_gone])
def test_a_signed_code_with_a_damaged_data_folder_cannot_be_checked_right_now(
    tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    data = tmp_path / "data"
    assert Store(data).save_bundle(verified(issued_at=NOW - timedelta(hours=1)), None)
    damage(data)
    config = tmp_path / "kiosk.toml"
    config.write_text(f'authority_keys = ["{AUTHORITY_PUBLIC_PEM}"]\ndata_dir = "{data}"\n', encoding="utf-8")
    payload = demo_issuer().issue(kind="business", subject_value="91350100M000100Y43",
                                  facts={"tax_credit_grade": "A"}, issued_at=NOW - timedelta(days=1))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINYI_")}
    for extra in ([], ["--offline"]):
        result = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "check", "--benefit", "expedited-permit", "--scan", payload,
             "--backend", dead, "--token", "t0ken", "--config", str(config), "--locale", "en", *extra],
            capture_output=True, text=True, cwd=REPO, timeout=60, env={**env, "XINYI_CONFIG": ""},
        )
        assert result.returncode == 4, result.stderr
        assert "cannot check offline" in result.stderr
        assert "does not know the key" not in result.stderr and "Traceback" not in result.stderr
