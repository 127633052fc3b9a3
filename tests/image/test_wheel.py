"""The built wheel is the product: it carries what the kiosk reads at run time and nothing of the
demo, and a fresh virtual environment with only that wheel (and its dependencies) runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.image import cached_wheelhouse, kiosk_wheel_dir

pytestmark = pytest.mark.slow

BENEFITS = 7


@pytest.fixture(scope="module")
def wheel() -> Path:
    return next(kiosk_wheel_dir().glob("xinyi_kiosk-*.whl"))


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    wheels = cached_wheelhouse({})
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--no-index", "--find-links", str(wheels), str(wheel)],
        check=True, capture_output=True, timeout=600,
    )
    yield venv


def clean_env() -> dict[str, str]:
    # Nothing of the checkout may leak in: no PYTHONPATH, and run from a folder outside it.
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XINYI_CONFIG", "XINYI_DATA_DIR")}


def test_the_wheel_holds_the_run_time_data_and_nothing_of_the_demo(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    benefits = [n for n in names if n.startswith("kiosk/common/policy/benefits/") and n.endswith(".json")]
    assert len(benefits) == BENEFITS
    assert "kiosk/common/policy/policy.json" in names and "kiosk/common/policy/FACTS.md" in names
    assert "kiosk/common/policy/sites.json" in names  # site presets are policy, shipped with it
    catalogs = {f"kiosk/core/catalogs/{lang}/LC_MESSAGES/kiosk.po" for lang in ("zh_CN", "en")}
    assert catalogs <= set(names)
    assert any(n.startswith("kiosk/ui/screens/") and n.endswith(".kv") for n in names)
    assert not [n for n in names if n.startswith(("demo/", "tests/"))]
    assert not [n for n in names if n.endswith(".pem") or "DEMO" in n]


def test_kiosk_benefits_runs_from_the_installed_wheel(fresh_venv: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(fresh_venv / "bin" / "kiosk"), "benefits", "--json"],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["benefits"]) == BENEFITS


def test_the_installed_app_loads_its_catalog_screens_and_texts(fresh_venv: Path, tmp_path: Path) -> None:
    script = (
        "from importlib import resources\n"
        "from kiosk.common.policy_folder import load_catalog\n"
        "from kiosk.core.catalog import keys\n"

        "import kiosk\n"
        "assert 'site-packages' in kiosk.__file__, kiosk.__file__\n"
        "layouts = [f for f in resources.files('kiosk.ui.screens').iterdir() if f.name.endswith('.kv')]\n"
        "print(len(load_catalog().benefits), len(layouts) > 5, len(keys('en')) > 100)\n"
    )
    result = subprocess.run(
        [str(fresh_venv / "bin" / "python"), "-c", script],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(BENEFITS), "True", "True"]


def test_the_demo_says_it_is_not_installed(fresh_venv: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(fresh_venv / "bin" / "kiosk"), "demo", "--headless", "--out", str(tmp_path / "shots")],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "demo" in result.stderr
