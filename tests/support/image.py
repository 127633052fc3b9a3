"""Shared pieces for the image-build tests: a valid operator config and the kiosk wheel."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

REPO = Path(__file__).resolve().parents[2]
IMAGE_BUILD = REPO / "image-build"
BUILD_SH = IMAGE_BUILD / "build.sh"
STAGE = IMAGE_BUILD / "stage-kiosk"
UNITS = STAGE / "04-system" / "files"
MOUNT_UNIT = "var-lib-xinyi\\x2dkiosk.mount"
# Kept between runs: the debootstrap root and the wheels of the kiosk's dependencies.
CACHE = Path(os.environ.get("XINYI_DEBOOTSTRAP_CACHE", "/var/cache/xinyi-debootstrap"))

TOKEN = "tok-5b1f0c9e2d7a4c3b8e6f1a2d"
SSH_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEm3Sgx6M1kR9dbgzW2SPdYdYk6Dq0dGm0lUvX8Xq0Rz ops@centre\n"


def authority_public_pem() -> bytes:
    """A fresh Ed25519 public key in PEM, as the authority would hand it out."""
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_operator_files(folder: Path, **overrides: str | None) -> Path:
    """A complete, valid operator config in `folder`; overrides replace or (None) drop keys."""
    (folder / "device.token").write_text(TOKEN + "\n")
    (folder / "authority.pem").write_bytes(authority_public_pem())
    (folder / "wifi.conf").write_text("ssid=服务大厅 Hall\npsk=p\\ss & word\n")
    (folder / "ops.pub").write_text(SSH_PUBLIC_KEY)
    settings: dict[str, str | None] = {
        "BACKEND_URL": "https://eligibility.example.gov.cn:8443",
        "DEVICE_ID": "kiosk-0042",
        "DEVICE_TOKEN_FILE": "device.token",
        "AUTHORITY_KEY_FILE": "authority.pem",
        "WIFI_FILE": "wifi.conf",
        "WIFI_COUNTRY": "CN",
        "SSH_PUBKEY_FILE": "ops.pub",
    }
    settings.update(overrides)
    lines = ["# operator config for one kiosk"]
    lines += [f"{key}={value}" for key, value in settings.items() if value is not None]
    config = folder / "operator.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


@functools.cache
def kiosk_wheel_dir() -> Path:
    """The kiosk wheel, built once per test run the way build.sh builds it."""
    folder = Path(tempfile.mkdtemp(prefix="xinyi-wheel-"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--quiet", "-w", str(folder)],
        check=True,
        capture_output=True,
    )
    return folder


def run_build(config: Path, out: Path, *extra: str, wheel_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = ["bash", str(BUILD_SH), "--dry-run", "--out", str(out), *extra]
    if wheel_dir is not None:
        command += ["--wheel-dir", str(wheel_dir)]
    command.append(str(config))
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def unit_environment(unit: str = "kiosk.service") -> dict[str, str]:
    """The variables a unit's Environment= lines set (values here have no spaces or quotes)."""
    environment: dict[str, str] = {}
    for line in (UNITS / unit).read_text().splitlines():
        if line.startswith("Environment="):
            for assignment in line.removeprefix("Environment=").split():
                name, value = assignment.split("=", 1)
                environment[name] = value
    return environment


def cached_wheelhouse(timings: dict[str, float]) -> Path:
    """Our wheel plus wheels of all its dependencies, made once per dependency set on the host
    (same Python and libc as the bookworm root), so the chroot's pip needs no index."""
    kiosk_wheel = next(kiosk_wheel_dir().glob("xinyi_kiosk-*.whl"))
    with zipfile.ZipFile(kiosk_wheel) as wheel:
        metadata = next(name for name in wheel.namelist() if name.endswith(".dist-info/METADATA"))
        requirements = sorted(
            line for line in wheel.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")
        )
    key = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:12]
    wheelhouse = CACHE / f"wheelhouse-{key}"
    if not (wheelhouse / ".complete").exists():
        started = time.monotonic()
        shutil.rmtree(wheelhouse, ignore_errors=True)
        built = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--prefer-binary",
                "-w",
                str(wheelhouse),
                str(kiosk_wheel),
            ],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if built.returncode != 0:
            pytest.fail(f"could not fetch the kiosk's dependencies:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}")
        for own in wheelhouse.glob("xinyi_kiosk-*.whl"):
            own.unlink()
        (wheelhouse / ".complete").write_text("\n".join(requirements) + "\n")
        timings["wheelhouse"] = time.monotonic() - started
    folder = Path(tempfile.mkdtemp(prefix="xinyi-wheels-"))
    for wheel_file in [kiosk_wheel, *wheelhouse.glob("*.whl")]:
        shutil.copy(wheel_file, folder)
    return folder
