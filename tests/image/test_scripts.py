"""Static checks of image-build/: shellcheck on every script, systemd-analyze on every unit.

systemd-analyze runs against a throw-away root (--root) that holds the units where the image
puts them, the host's unit library, and an executable at the ExecStart paths, so `verify`
checks the commands exist the way it would on the device.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.image import IMAGE_BUILD, MOUNT_UNIT, STAGE, UNITS, have

pytestmark = pytest.mark.skipif(not have("shellcheck"), reason="shellcheck is not installed")


def shell_scripts() -> list[Path]:
    """Every file under image-build/ that bash runs: *.sh, pi-gen's run scripts, and files
    with a shell shebang (pi-gen feeds *-run-chroot.sh to bash on stdin)."""
    found = []
    for path in sorted(IMAGE_BUILD.rglob("*")):
        if not path.is_file() or "out" in path.relative_to(IMAGE_BUILD).parts:
            continue
        first_line = path.read_bytes().split(b"\n", 1)[0]
        if path.suffix == ".sh" or re.match(rb"#!\s*/(usr/)?bin/(env )?(ba)?sh", first_line):
            found.append(path)
    return found


def test_the_script_list_covers_the_stage() -> None:
    names = {path.relative_to(IMAGE_BUILD).as_posix() for path in shell_scripts()}
    assert "build.sh" in names
    assert "lib/operator-config.sh" in names
    assert "stage-kiosk/02-kiosk-app/01-run-chroot.sh" in names
    assert "stage-kiosk/04-system/files/xinyi-firewall-backend" in names


@pytest.mark.parametrize("script", shell_scripts(), ids=lambda path: path.relative_to(IMAGE_BUILD).as_posix())
def test_shellcheck_is_clean(script: Path) -> None:
    result = subprocess.run(
        ["shellcheck", "--shell=bash", "--external-sources", "--severity=style", script.name],
        cwd=script.parent,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pi_gen_host_scripts_are_executable() -> None:
    # pi-gen skips a NN-run.sh that is not executable, silently.
    for script in STAGE.rglob("*-run.sh"):
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
    assert (STAGE / "prerun.sh").stat().st_mode & 0o111


UNIT_FILES = ["kiosk.service", MOUNT_UNIT, "xinyi-firewall-backend.service", "xinyi-firewall-backend.timer"]
EXEC_PATHS = [
    "opt/xinyi-kiosk/venv/bin/kiosk",
    "usr/local/lib/xinyi-kiosk/xinyi-firewall-backend",
]


@pytest.fixture(scope="module")
def unit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not have("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    root = tmp_path_factory.mktemp("unit-root")
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNIT_FILES:
        shutil.copy(UNITS / unit, root / "etc/systemd/system" / unit)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    # Debian's nftables package ships nftables.service; the build host may not have it.
    nftables_unit = root / "usr/lib/systemd/system/nftables.service"
    if not nftables_unit.exists():
        nftables_unit.write_text(
            "[Unit]\nDescription=nftables\n[Service]\nType=oneshot\nExecStart=/usr/sbin/nft -f /etc/nftables.conf\n"
        )
    for relative in [*EXEC_PATHS, "usr/bin/install", "usr/sbin/nft"]:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("#!/bin/sh\nexit 0\n")
        target.chmod(0o755)
    return root


def analyze(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *arguments[:1], f"--root={root}", *arguments[1:]],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("unit", UNIT_FILES)
def test_systemd_analyze_verify_is_silent(unit_root: Path, unit: str) -> None:
    # verify exits 0 on a mistyped value and only warns, so silence is the real pass mark.
    result = analyze(unit_root, "verify", unit)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_verify_notices_a_missing_exec_start(unit_root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "root"
    shutil.copytree(unit_root, broken, symlinks=True)
    (broken / EXEC_PATHS[0]).unlink()
    result = analyze(broken, "verify", "kiosk.service")
    assert result.returncode != 0
    assert "/opt/xinyi-kiosk/venv/bin/kiosk" in result.stderr


def test_verify_notices_a_bad_value(unit_root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "root"
    shutil.copytree(unit_root, broken, symlinks=True)
    unit = broken / "etc/systemd/system/kiosk.service"
    unit.write_text(unit.read_text().replace("WatchdogSec=30", "WatchdogSec=thirty"))
    result = analyze(broken, "verify", "kiosk.service")
    assert "WatchdogSec" in result.stderr or "thirty" in result.stderr


def test_kiosk_service_sandbox_scores_ok(unit_root: Path) -> None:
    # systemd's own exposure score, 0 (locked down) to 10 (unsandboxed); 3.0 and below is "OK".
    result = analyze(unit_root, "security", "--offline=yes", "--threshold=30", "kiosk.service")
    assert result.returncode == 0, result.stdout[-2000:]
    assert "Overall exposure level for kiosk.service" in result.stdout


def test_security_threshold_has_teeth(unit_root: Path, tmp_path: Path) -> None:
    bare = tmp_path / "root"
    shutil.copytree(unit_root, bare, symlinks=True)
    unit = bare / "etc/systemd/system/kiosk.service"
    sandbox_free = [line for line in unit.read_text().splitlines() if not line.startswith(SANDBOX_KEYS)]
    unit.write_text("\n".join(sandbox_free) + "\n")
    result = analyze(bare, "security", "--offline=yes", "--threshold=30", "kiosk.service")
    assert result.returncode != 0


SANDBOX_KEYS = (
    "Protect",
    "Private",
    "NoNewPrivileges",
    "Restrict",
    "LockPersonality",
    "SystemCall",
    "Capability",
    "AmbientCapabilities",
    "UMask",
    "User=",
    "Group=",
    "SupplementaryGroups",
)


def unit_settings(unit: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (UNITS / unit).read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_kiosk_service_has_the_promised_contract() -> None:
    service = unit_settings("kiosk.service")
    assert service["Type"] == ["notify"]
    assert service["Restart"] == ["always"]
    assert int(service["WatchdogSec"][0]) > 0
    assert service["User"] == ["kiosk"]
    assert service["ExecStart"] == ["/opt/xinyi-kiosk/venv/bin/kiosk run --config /etc/xinyi-kiosk/kiosk.toml"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["StateDirectory"] == ["xinyi-kiosk"]
    assert service["RequiresMountsFor"] == ["/var/lib/xinyi-kiosk"]
    environment = " ".join(service["Environment"])
    for setting in ("KIVY_WINDOW=sdl2", "SDL_VIDEODRIVER=kmsdrm", "KIVY_HOME=/run/xinyi-kiosk/kivy"):
        assert setting in environment
    # ProtectClock= would add DeviceAllow=char-rtc and with it close the touch screen and scanners.
    assert "ProtectClock" not in service
    assert "DeviceAllow" not in service


def test_journald_keeps_logs_in_memory_only() -> None:
    text = (UNITS / "journald-volatile.conf").read_text()
    assert re.search(r"^\[Journal\]$", text, re.M)
    assert re.search(r"^Storage=volatile$", text, re.M)


def test_no_virtual_console_offers_a_login() -> None:
    text = (UNITS / "logind-no-vts.conf").read_text()
    assert re.search(r"^\[Login\]$", text, re.M)
    assert re.search(r"^NAutoVTs=0$", text, re.M)
    assert re.search(r"^ReserveVT=0$", text, re.M)
