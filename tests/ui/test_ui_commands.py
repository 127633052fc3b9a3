"""The commands a newcomer runs: `kiosk demo` without a display, `kiosk screenshots`, `kiosk run`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ui, pytest.mark.slow]

KIOSK = [sys.executable, "-m", "kiosk.cli"]


def headless_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "KIVY_HOME")}
    env["HOME"] = str(tmp_path / "home")  # proves nothing is written to ~/.kivy
    return env


def test_kiosk_demo_without_a_display_walks_through_and_saves_every_step(tmp_path: Path) -> None:
    out = tmp_path / "demo-output"
    done = subprocess.run([*KIOSK, "demo", "--out", str(out)], env=headless_env(tmp_path), cwd=tmp_path,
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "no display found" in done.stdout and str(out) in done.stdout
    shots = sorted(p.name for p in out.glob("*.png"))
    for step in ("01-idle", "05-checking", "06-result-eligible", "result-not-eligible", "result-undetermined",
                 "result-offline", "error-expired", "error-unreadable", "result-person-card", "staff"):
        assert any(step in name for name in shots), (step, shots)
    assert all((out / name).stat().st_size > 5000 for name in shots)
    assert not (tmp_path / "home" / ".kivy").exists()


def test_kiosk_screenshots_renders_every_screen_in_both_languages(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    done = subprocess.run([*KIOSK, "screenshots", "--out", str(out), "--size", "480x800"],
                          env=headless_env(tmp_path), capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {p.name for p in out.glob("*.png")}
    # Both languages x both views; the layout test (tests/ui_layout/test_layout.py) checks what they show.
    for locale in ("zh-CN", "en"):
        for view in ("standard", "large"):
            for screen in ("01-idle", "02-benefits", "03-criteria", "04-present", "05-checking",
                           "06-result-eligible", "07-result-not-eligible", "08-result-undetermined",
                           "09-result-offline", "10-error-expired", "11-error-unreadable", "12-call-staff",
                           "13-staff-pin", "14-staff"):
                assert f"480x800-{locale}-{view}-{screen}.png" in names


def test_kiosk_run_names_the_faulty_config_key_and_stops(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('backend_url = "http://127.0.0.1:8080"\n[timeouts]\npresent = 1\n', encoding="utf-8")
    done = subprocess.run([*KIOSK, "run", "--config", str(config)], env=headless_env(tmp_path),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "timeouts.present" in done.stderr and "Traceback" not in done.stderr
