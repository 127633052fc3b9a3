"""`kiosk sync` and `kiosk doctor` when nothing can be saved (issue #18 item 6): the real CLI in
a subprocess against the real backend on loopback, with the kernel refusing the write."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.records import DEMO_TOKEN, DemoSubject
from kiosk.adapters.store import Store
from tests.support.backend import demo_server
from tests.support.bundle import AUTHORITY_PUBLIC_PEM

REPO = Path(__file__).resolve().parents[2]
# The demo bundle is ~56 KB; the store's small state file is well under this.
FILE_SIZE_LIMIT = 16 * 1024


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[DemoSubject]]]:
    with demo_server(tmp_path_factory.mktemp("sync"), rate_per_second=None) as running:
        yield running


def _small_files_only() -> None:
    # What a full disk does to a write, without needing one: the kernel refuses past the limit.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def kiosk(*args: str, limit_files: bool = False) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("XINYI_")}
    clean["XINYI_CONFIG"] = ""
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True, env=clean, cwd=REPO,
        timeout=60, preexec_fn=_small_files_only if limit_files else None,
    )


def config_for(tmp_path: Path, data: Path) -> Path:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'authority_keys = ["{AUTHORITY_PUBLIC_PEM}"]\ndata_dir = "{data}"\n', encoding="utf-8")
    return config


def test_a_sync_whose_write_fails_says_so_everywhere(demo: tuple[str, list[DemoSubject]], tmp_path: Path) -> None:
    url, _ = demo
    data = tmp_path / "data"
    config = config_for(tmp_path, data)
    failed = kiosk("sync", "--backend", url, "--token", DEMO_TOKEN, "--config", str(config), limit_files=True)
    assert failed.returncode == 5, failed.stdout + failed.stderr
    assert "updated" not in failed.stdout
    assert any(line.startswith("not saved: version ") for line in failed.stderr.splitlines())
    assert "File too large" in failed.stderr and "Traceback" not in failed.stderr
    assert Store(data).load_bundle() is None
    assert Store(data).get_state("last_sync_outcome") == "not_saved"

    doctor = kiosk("doctor", "--config", str(config), "--timeout", "0.05")
    section = doctor.stdout.split(f"Data folder {data}:")[1]
    assert "could not save it" in section and "NOT OK" in section
    assert doctor.returncode == 1

    fixed = kiosk("sync", "--backend", url, "--token", DEMO_TOKEN, "--config", str(config))
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.startswith("updated: policy bundle version")
    stored = Store(data).load_bundle()
    assert stored is not None
    doctor = kiosk("doctor", "--data-dir", str(data), "--scanner", str(tmp_path / "no-scanner"))
    assert doctor.stdout.split(f"Data folder {data}:")[1].splitlines()[1:3] == ["  The folder can be written.", "  OK"]


def test_a_data_folder_that_cannot_exist_is_not_saved(demo: tuple[str, list[DemoSubject]], tmp_path: Path) -> None:
    url, _ = demo
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    config = config_for(tmp_path, blocker / "data")
    result = kiosk("sync", "--backend", url, "--token", DEMO_TOKEN, "--config", str(config))
    assert result.returncode == 5, result.stdout + result.stderr
    assert "not saved" in result.stderr and "Traceback" not in result.stderr
    doctor = kiosk("doctor", "--config", str(config), "--timeout", "0.05")
    assert "does not exist or is not a folder" in doctor.stdout and doctor.returncode == 1
