"""The operator's journey, from the built wheel in a fresh virtualenv, nothing from --demo:
own keys -> two authorities' feeds -> a device token -> serve -> a kiosk trusting only the new
authority key syncs -> online checks (USCC, resident ID) -> a credential minted with the new
issuer key decided offline -> a repair feed -> the next online check shows the new outcome.

The README's "Deploying for real" shows the same commands. The wheel and its dependencies come
from tests/support/image.py (built once, as build.sh builds it; the wheelhouse is cached per
dependency set); every command runs outside the checkout with no PYTHONPATH, so neither the
checkout nor the demo package can leak in.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.deployment import BUSINESS, FIXTURES, PERSON
from tests.support.image import cached_wheelhouse

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh venv holding only the built wheel and its locked dependencies."""
    wheels = cached_wheelhouse({})  # the kiosk wheel, built as build.sh builds it, and its deps
    wheel = next(wheels.glob("xinyi_kiosk-*.whl"))
    root = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    venv = root / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    made = run([base, "-m", "venv", str(venv)], root, env)
    assert made.returncode == 0, made.stderr
    pip = run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links", str(wheels),
               str(wheel)], root, env, timeout=900)
    assert pip.returncode == 0, pip.stderr[-2000:]
    # Not an editable install, not the checkout, no demo package.
    probe = run([str(venv / "bin" / "python"), "-c",
                 "import backend, kiosk, importlib.util as u; print(backend.__file__); "
                 "print(u.find_spec('demo') is None)"], root, env)
    assert probe.returncode == 0, probe.stderr
    where, no_demo = probe.stdout.split()
    assert where.startswith(str(venv)) and no_demo == "True"
    return venv / "bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def operator(installed: Path, tmp_path: Path) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """(bin, working folder, environment) for commands run as the operator would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "XINYI_", "VIRTUAL_ENV"))}
    env.update(KIVY_NO_ARGS="1", KIVY_NO_CONFIG="1", KIVY_NO_FILELOG="1", KIVY_HOME=str(tmp_path / "kivy"))
    yield installed, tmp_path, env


def test_an_operator_deploys_for_real(operator: tuple[Path, Path, dict[str, str]]) -> None:
    bin_dir, work, env = operator
    site, kiosk_dir = work / "site", work / "kiosk"
    site.mkdir()
    kiosk_dir.mkdir()
    for feed in FIXTURES.glob("*.*"):
        shutil.copy2(feed, work / feed.name)

    def backend(*argv: str) -> subprocess.CompletedProcess[str]:
        return run([str(bin_dir / "kiosk-backend"), *argv], work, env)

    def kiosk(*argv: str) -> subprocess.CompletedProcess[str]:
        return run([str(bin_dir / "kiosk"), *argv], work, env)

    # 1. Keys: the service's, and the kiosk's own device key (its public half in the registry).
    for kind in ("authority", "issuer", "receipt"):
        made = backend("keys", "new", "--kind", kind, "--out", f"site/{kind}")
        assert made.returncode == 0 and len(made.stdout.strip()) == 16, made.stderr
    device_key = kiosk("keys", "new", "--device", "kiosk-0001", "--out", "kiosk/device-key.pem")
    assert device_key.returncode == 0, device_key.stderr
    shutil.copy2(kiosk_dir / "device-key-public.pem", site / "kiosk-0001-device-public.pem")
    port = free_port()
    (site / "backend.toml").write_text(
        'db = "records.sqlite3"\ndevice_tokens = "devices.json"\n'
        'authority_key = "authority-private.pem"\nissuer_key = "issuer-private.pem"\n'
        'receipt_key = "receipt-private.pem"\ndevice_keys = ["kiosk-0001-device-public.pem"]\n'
        f'issuer_trust = ["issuer-public.pem"]\nport = {port}\n', encoding="utf-8")
    config = "site/backend.toml"
    # 2. Records from two authorities.
    for source, feed in (("credit-china", "credit-china.csv"), ("market-regulation", "market-regulation.jsonl")):
        loaded = backend("records", "import", "--config", config, "--source", source, "--as-of", "2026-11-30", feed)
        assert loaded.returncode == 0 and "new=" in loaded.stdout, loaded.stderr
    # 3. A device token.
    issued = backend("device-token", "issue", "--config", config, "--device", "kiosk-0001")
    assert issued.returncode == 0, issued.stderr
    (kiosk_dir / "device-token").write_text(issued.stdout)
    shutil.copy2(site / "authority-public.pem", kiosk_dir / "authority-public.pem")
    (kiosk_dir / "kiosk.toml").write_text(
        f'backend_url = "http://127.0.0.1:{port}"\ndevice_id = "kiosk-0001"\ntoken_file = "device-token"\n'
        'data_dir = "data"\nlocale = "en"\nauthority_keys = ["authority-public.pem"]\n'
        'device_key = "device-key.pem"\n', encoding="utf-8")
    # 4. Serve.
    server = subprocess.Popen([str(bin_dir / "kiosk-backend"), "serve", "--config", config], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "backend did not start"
            time.sleep(0.2)
        kiosk_config = ["--config", "kiosk/kiosk.toml"]
        # 5. The kiosk, trusting only the new authority key, syncs the policy bundle.
        synced = kiosk("sync", *kiosk_config)
        assert synced.returncode == 0 and synced.stdout.startswith("updated"), synced.stderr

        def check(benefit: str, scan: str, *extra: str) -> dict[str, object]:
            done = kiosk("check", *kiosk_config, "--benefit", benefit, "--scan", scan, "--json", *extra)
            assert done.returncode == 0, done.stderr
            return dict(json.loads(done.stdout))

        # 6. Online checks for a USCC and a resident ID number.
        business = check("fewer-inspections", BUSINESS)
        assert (business["mode"], business["outcome"]) == ("online", "not_eligible")
        person = check("library-deposit-free", PERSON)
        assert (person["mode"], person["outcome"]) == ("online", "not_eligible")
        # 7. A credential minted with the new issuer key, decided offline from the bundle.
        minted = backend("mint", "--config", config, "--subject", BUSINESS, "--out", "credential")
        assert minted.returncode == 0, minted.stderr
        offline = check("fewer-inspections", (work / "credential.txt").read_text().strip(), "--offline")
        assert (offline["mode"], offline["outcome"]) == ("offline", "not_eligible")
        # Both receipts verify against the synced bundle, and are the business's, not the person's.
        for decided, signer in ((business, "backend"), (offline, "device")):
            verified = kiosk("receipt", "verify", str(decided["receipt"]), *kiosk_config,
                             "--subject", f"uscc:{BUSINESS}", "--json")
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert json.loads(verified.stdout)["signed_by"] == signer
            other = kiosk("receipt", "verify", str(decided["receipt"]), *kiosk_config, "--subject", f"ric:{PERSON}")
            assert other.returncode == 3, other.stdout
        # 8. A repair reaches the very next online check.
        repaired = backend("records", "import", "--config", config, "--source", "credit-china",
                           "--as-of", "2026-12-01", "credit-china-repair.csv")
        assert repaired.returncode == 0 and "changed=1" in repaired.stdout, repaired.stderr
        after = check("fewer-inspections", BUSINESS)
        assert (after["mode"], after["outcome"]) == ("online", "eligible")
        # A kiosk that trusts the published DEMO authority key instead refuses this bundle.
        (kiosk_dir / "demo.toml").write_text(
            (kiosk_dir / "kiosk.toml").read_text().replace("authority-public.pem", "demo-authority.pem")
            .replace('data_dir = "data"', 'data_dir = "demo-data"'), encoding="utf-8")
        shutil.copy2(REPO / "demo" / "keys" / "authority-ed25519-DEMO-public.pem", kiosk_dir / "demo-authority.pem")
        refused = kiosk("sync", "--config", "kiosk/demo.toml")
        assert refused.returncode == 3 and "unknown_authority_key" in refused.stderr
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors
    for secret in (issued.stdout.strip(), BUSINESS, PERSON):
        assert secret not in errors
