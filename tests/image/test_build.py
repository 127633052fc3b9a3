"""build.sh: the operator config is checked with clear messages, and --dry-run lays out exactly
the pi-gen stage and config the real build would use (real files, real bash, real tools)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.station.config import load_config
from tests.support.image import (
    IMAGE_BUILD,
    REPO,
    SSH_PUBLIC_KEY,
    TOKEN,
    have,
    kiosk_wheel_dir,
    run_build,
    write_operator_files,
)

EXIT_OK, EXIT_USAGE, EXIT_INVALID_CONFIG = 0, 2, 3


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("operator")
    config = write_operator_files(folder)
    out = folder / "out"
    result = run_build(config, out, wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_OK, result.stderr
    assert "dry run; nothing built" in result.stdout
    return out


def stage_file(out: Path, relative: str) -> Path:
    return out / "stage-kiosk" / relative


def test_dry_run_lays_out_the_whole_stage(laid_out: Path) -> None:
    for relative in [
        "prerun.sh",
        "EXPORT_IMAGE",
        "00-packages/00-packages-nr",
        "01-kiosk-user/01-run-chroot.sh",
        "02-kiosk-app/files/README.md",
        "03-kiosk-config/files/kiosk.toml",
        "03-kiosk-config/files/device-token",
        "03-kiosk-config/files/authority-key.pem",
        "03-kiosk-config/files/firewall.env",
        "03-kiosk-config/files/kivy-config.ini",
        "03-kiosk-config/files/wifi.nmconnection",
        "04-system/files/kiosk.service",
        "04-system/files/nftables.conf",
        "05-raspberrypi/02-run-chroot.sh",
    ]:
        assert stage_file(laid_out, relative).is_file(), relative
    wheels = list(stage_file(laid_out, "02-kiosk-app/files/wheels").glob("xinyi_kiosk-*.whl"))
    assert len(wheels) == 1
    # Templates are filled in, not shipped.
    leftovers = [path for path in (laid_out / "stage-kiosk").rglob("*.in")]
    assert leftovers == []
    for path in (laid_out / "stage-kiosk").rglob("*"):
        if path.is_file() and path.suffix not in (".whl",):
            assert not re.search(r"@[A-Z_]+@", path.read_text(errors="replace")), path


def test_kiosk_toml_is_what_the_app_reads(laid_out: Path) -> None:
    path = stage_file(laid_out, "03-kiosk-config/files/kiosk.toml")
    document = tomllib.loads(path.read_text())
    assert document["backend_url"] == "https://eligibility.example.gov.cn:8443"
    config = load_config(path)
    assert config.backend_url == "https://eligibility.example.gov.cn:8443"
    assert config.device_id == "kiosk-0042"
    assert config.token_file == Path("/etc/xinyi-kiosk/device-token")
    assert config.data_dir == Path("/var/lib/xinyi-kiosk")
    assert config.authority_keys == (Path("/etc/xinyi-kiosk/authority-key.pem"),)
    assert TOKEN not in path.read_text()


def test_secrets_are_private_in_the_layout(laid_out: Path) -> None:
    token = stage_file(laid_out, "03-kiosk-config/files/device-token")
    assert token.read_text().strip() == TOKEN
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    wifi = stage_file(laid_out, "03-kiosk-config/files/wifi.nmconnection")
    assert stat.S_IMODE(wifi.stat().st_mode) == 0o600
    assert stat.S_IMODE((laid_out / "pi-gen-config").stat().st_mode) == 0o600


def test_wifi_keyfile_keeps_any_ssid_and_escapes_the_passphrase(laid_out: Path) -> None:
    text = stage_file(laid_out, "03-kiosk-config/files/wifi.nmconnection").read_text()
    ssid_line = re.search(r"^ssid=(.*)$", text, re.M)
    assert ssid_line is not None
    ssid = bytes(int(part) for part in ssid_line.group(1).split(";") if part)
    assert ssid.decode() == "服务大厅 Hall"
    assert re.search(r"^psk=p\\\\ss & word$", text, re.M)


def pi_gen_settings(out: Path, *names: str) -> dict[str, str]:
    """Source the pi-gen config with bash, as pi-gen does, and read the values back."""
    script = f'. "{out}/pi-gen-config"; ' + "; ".join(f'printf "%s\\0" "${{{name}:-}}"' for name in names)
    values = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout
    return dict(zip(names, values.split("\0")[:-1], strict=True))


def test_pi_gen_config_runs_our_stage_after_lite(laid_out: Path) -> None:
    values = pi_gen_settings(
        laid_out,
        "STAGE_LIST",
        "ENABLE_SSH",
        "PUBKEY_SSH_FIRST_USER",
        "PUBKEY_ONLY_SSH",
        "DEPLOY_COMPRESSION",
        "TARGET_HOSTNAME",
        "WPA_COUNTRY",
        "ENABLE_CLOUD_INIT",
        "DISABLE_FIRST_BOOT_USER_RENAME",
    )
    assert values["STAGE_LIST"] == f"stage0 stage1 stage2 {laid_out}/stage-kiosk"
    assert values["ENABLE_SSH"] == "1"
    assert values["PUBKEY_SSH_FIRST_USER"] == SSH_PUBLIC_KEY.strip()
    assert values["PUBKEY_ONLY_SSH"] == "1"
    assert values["DEPLOY_COMPRESSION"] == "none"
    assert values["TARGET_HOSTNAME"] == "kiosk-0042"
    assert values["WPA_COUNTRY"] == "CN"
    assert values["ENABLE_CLOUD_INIT"] == "0"
    assert values["DISABLE_FIRST_BOOT_USER_RENAME"] == "1"


def test_firewall_lets_through_only_the_backend_port_and_ssh_when_asked(laid_out: Path) -> None:
    rules = stage_file(laid_out, "04-system/files/nftables.conf").read_text()
    assert "ip daddr @backend_v4 tcp dport 8443 accept" in rules
    assert "ip6 daddr @backend_v6 tcp dport 8443 accept" in rules
    assert "tcp dport 22" in rules
    assert rules.count("policy drop") == 3
    settings_file = stage_file(laid_out, "03-kiosk-config/files/firewall.env")
    sourced = subprocess.run(
        ["bash", "-c", f'. "{settings_file}"; echo "$backend_host:$backend_port"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sourced.stdout.strip() == "eligibility.example.gov.cn:8443"


def test_udev_rules_from_config_are_copied(laid_out: Path) -> None:
    source = sorted(path.name for path in (REPO / "config" / "udev").glob("*.rules"))
    copied = sorted(path.name for path in stage_file(laid_out, "04-system/files/udev").glob("*.rules"))
    assert copied == source


def test_without_ssh_key_ssh_stays_off_and_closed(tmp_path: Path) -> None:
    config = write_operator_files(tmp_path, SSH_PUBKEY_FILE=None, WIFI_FILE=None, WIFI_COUNTRY=None)
    out = tmp_path / "out"
    result = run_build(config, out, wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_OK, result.stderr
    assert pi_gen_settings(out, "ENABLE_SSH", "PUBKEY_SSH_FIRST_USER") == {
        "ENABLE_SSH": "0",
        "PUBKEY_SSH_FIRST_USER": "",
    }
    assert "dport 22" not in stage_file(out, "04-system/files/nftables.conf").read_text()
    assert not stage_file(out, "03-kiosk-config/files/wifi.nmconnection").exists()


def test_https_default_port_and_own_kiosk_toml(tmp_path: Path) -> None:
    own = tmp_path / "own.toml"
    own.write_text('backend_url = "https://backend.example"\ndevice_id = "kiosk-7"\n')
    config = write_operator_files(tmp_path, BACKEND_URL="https://backend.example", KIOSK_TOML="own.toml")
    out = tmp_path / "out"
    result = run_build(config, out, wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_OK, result.stderr
    assert "tcp dport 443 accept" in stage_file(out, "04-system/files/nftables.conf").read_text()
    assert stage_file(out, "03-kiosk-config/files/kiosk.toml").read_text() == own.read_text()


PRIVATE_PEM = (
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPrivateBytesPrivateBytesPrivate=\n-----END PRIVATE KEY-----\n"
)


@pytest.mark.parametrize(
    ("overrides", "files", "message"),
    [
        ({"BACKEND_URL": None}, {}, "BACKEND_URL is required"),
        ({"BACKEND_URL": "http://backend.example"}, {}, "must start with https://"),
        ({"BACKEND_URL": "https://backend.example/?token=1"}, {}, "no user, query or fragment"),
        ({"BACKEND_URL": "https://user@backend.example"}, {}, "no user, query or fragment"),
        ({"BACKEND_URL": "https://backend.example:70000"}, {}, "outside 1-65535"),
        ({"DEVICE_ID": "Kiosk_42"}, {}, "DEVICE_ID must be"),
        ({"DEVICE_TOKEN_FILE": "missing.token"}, {}, "no such readable file"),
        ({}, {"device.token": "two words\n"}, "one line, without spaces"),
        ({}, {"device.token": ""}, "file is empty"),
        ({}, {"authority.pem": PRIVATE_PEM}, "PRIVATE key"),
        ({}, {"authority.pem": "not a key\n"}, "PEM public key"),
        ({}, {"wifi.conf": "ssid=Hall\npsk=short\n"}, "psk must be"),
        ({}, {"wifi.conf": "ssid=\npsk=long enough\n"}, "ssid must be 1-32 bytes"),
        ({}, {"wifi.conf": "network=Hall\n"}, "only ssid=... and psk="),
        ({"WIFI_COUNTRY": None}, {}, "WIFI_COUNTRY is required"),
        ({"WIFI_FILE": None}, {}, "WIFI_COUNTRY is set but WIFI_FILE is not"),
        ({}, {"ops.pub": "ssh-ed25519 not base64 !!\n"}, "OpenSSH public key"),
        ({"TYPO_KEY": "1"}, {}, "unknown key TYPO_KEY"),
        ({"DATA_PARTITION_MB": "10"}, {}, "between 64 and 65536"),
        ({"RELEASE": "buster"}, {}, "RELEASE must be trixie or bookworm"),
        ({"TIMEZONE": "../../etc"}, {}, "TIMEZONE must look like"),
    ],
)
def test_bad_operator_config_gets_a_clear_message(
    tmp_path: Path, overrides: dict[str, str | None], files: dict[str, str], message: str
) -> None:
    config = write_operator_files(tmp_path, **overrides)
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    result = run_build(config, tmp_path / "out", wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_INVALID_CONFIG, result.stderr
    assert message in result.stderr
    assert "has problems" in result.stderr
    # Secrets never reach the terminal, whatever went wrong.
    for secret in (TOKEN, "PrivateBytes", "long enough", "word"):
        assert secret not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    config = write_operator_files(tmp_path, BACKEND_URL="http://x", DEVICE_ID="UPPER", WIFI_COUNTRY=None)
    result = run_build(config, tmp_path / "out", wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_INVALID_CONFIG
    problems = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(problems) == 3, result.stderr


def test_malformed_lines_and_duplicates_name_their_line(tmp_path: Path) -> None:
    config = write_operator_files(tmp_path)
    config.write_text(config.read_text() + "just some words\nDEVICE_ID=kiosk-9\n")
    result = run_build(config, tmp_path / "out", wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_INVALID_CONFIG
    assert "line 9: expected KEY=value" in result.stderr
    assert "line 10: DEVICE_ID is set twice" in result.stderr


@pytest.mark.parametrize("arguments", [[], ["--bogus"], ["a.conf", "b.conf"], ["--out"]])
def test_usage_errors_exit_2(arguments: list[str]) -> None:
    result = subprocess.run(
        ["bash", str(IMAGE_BUILD / "build.sh"), *arguments], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == EXIT_USAGE
    assert "usage" in result.stderr.lower() or "--dry-run" in result.stderr


def test_missing_config_file_is_invalid_config(tmp_path: Path) -> None:
    result = run_build(tmp_path / "nowhere.conf", tmp_path / "out", wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_INVALID_CONFIG
    assert "no such readable file" in result.stderr


def test_real_build_refuses_without_pi_gen_dir(tmp_path: Path) -> None:
    config = write_operator_files(tmp_path)
    env = {key: value for key, value in os.environ.items() if key != "PI_GEN_DIR"}
    result = subprocess.run(
        [
            "bash",
            str(IMAGE_BUILD / "build.sh"),
            "--out",
            str(tmp_path / "out"),
            "--wheel-dir",
            str(kiosk_wheel_dir()),
            str(config),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == EXIT_USAGE
    assert "PI_GEN_DIR" in result.stderr


CONFIG_CHARACTERS = st.characters(exclude_categories=["Cs"], exclude_characters="\n\r\0")
config_line = st.one_of(
    st.sampled_from(["BACKEND_URL", "DEVICE_ID", "WIFI_COUNTRY", "DATA_PARTITION_MB", "X", "#", ""]).flatmap(
        lambda key: st.text(alphabet=CONFIG_CHARACTERS, max_size=30).map(lambda value: f"{key}={value}")
    ),
    st.text(alphabet=CONFIG_CHARACTERS, max_size=30),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(config_line, max_size=6))
def test_any_extra_config_lines_give_ok_or_a_clear_refusal(tmp_path: Path, lines: list[str]) -> None:
    config = write_operator_files(tmp_path)
    config.write_text(config.read_text() + "\n".join(lines) + "\n")
    result = run_build(config, tmp_path / "out", wheel_dir=kiosk_wheel_dir())
    assert result.returncode in (EXIT_OK, EXIT_INVALID_CONFIG), result.stderr
    for bash_failure in ("unbound variable", "syntax error", "command not found", "bad substitution"):
        assert bash_failure not in result.stderr


needs_partition_tools = pytest.mark.skipif(
    not (have("sfdisk") and have("mke2fs") and have("blkid")),
    reason="sfdisk/mke2fs/blkid missing (Debian packages fdisk, e2fsprogs, util-linux)",
)
MIB = 1024 * 1024


def fake_pi_gen_image(path: Path) -> None:
    """Two partitions laid out as pi-gen's export-image does (8 MiB aligned, boot then root)."""
    with path.open("wb") as image:
        image.truncate(40 * MIB)
    table = "label: dos\nstart=16384, size=16384, type=c\nstart=32768, size=40960, type=83\n"
    subprocess.run(["sfdisk", "--quiet", str(path)], input=table, text=True, check=True)
    with path.open("r+b") as image:
        image.seek(8 * MIB)
        image.write(os.urandom(32 * MIB))


def partitions(image: Path) -> list[tuple[int, int, str]]:
    dump = subprocess.run(["sfdisk", "--dump", str(image)], capture_output=True, text=True, check=True).stdout
    return [
        (int(match[0]), int(match[1]), match[2])
        for match in re.findall(r"start=\s*(\d+), size=\s*(\d+), type=(\w+)", dump)
    ]


@needs_partition_tools
def test_data_partition_is_appended_as_ext4_without_touching_the_rest(tmp_path: Path) -> None:
    image = tmp_path / "kiosk.img"
    fake_pi_gen_image(image)
    # Everything after the partition table (boot and root contents) must stay byte for byte.
    before = hashlib.sha256(image.read_bytes()[512:]).hexdigest()
    result = subprocess.run(
        ["bash", str(IMAGE_BUILD / "lib/add-data-partition.sh"), str(image), "64"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    table = partitions(image)
    assert table[:2] == [(16384, 16384, "c"), (32768, 40960, "83")]
    start, size, kind = table[2]
    assert (start * 512) % (8 * MIB) == 0 and start * 512 >= 40 * MIB
    assert size * 512 == 64 * MIB and kind == "83"
    assert hashlib.sha256(image.read_bytes()[512 : 40 * MIB]).hexdigest() == before
    probe = subprocess.run(
        ["blkid", "--probe", f"--offset={start * 512}", "--output=export", str(image)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "LABEL=XINYI-DATA" in probe and "TYPE=ext4" in probe


@needs_partition_tools
def test_data_partition_refuses_an_image_that_already_has_one(tmp_path: Path) -> None:
    image = tmp_path / "kiosk.img"
    fake_pi_gen_image(image)
    script = str(IMAGE_BUILD / "lib/add-data-partition.sh")
    subprocess.run(["bash", script, str(image), "32"], check=True, capture_output=True)
    again = subprocess.run(["bash", script, str(image), "32"], capture_output=True, text=True)
    assert again.returncode == 3
    assert "found 3" in again.stderr
    missing = subprocess.run(["bash", script, str(tmp_path / "none.img"), "32"], capture_output=True, text=True)
    assert missing.returncode == 3


def test_the_shipped_example_config_is_valid_once_its_files_exist(tmp_path: Path) -> None:
    example = (IMAGE_BUILD / "examples" / "operator.conf.example").read_text()
    config = tmp_path / "operator.conf"
    config.write_text(example)
    (tmp_path / "files").mkdir()
    write_operator_files(tmp_path / "files")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "keys").mkdir()
    shutil.copy(tmp_path / "files" / "device.token", tmp_path / "secrets" / "kiosk-0042.token")
    shutil.copy(tmp_path / "files" / "authority.pem", tmp_path / "keys" / "authority-public.pem")
    result = run_build(config, tmp_path / "out", wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_OK, result.stderr


def test_relative_out_folder_becomes_absolute_for_pi_gen(tmp_path: Path) -> None:
    config = write_operator_files(tmp_path)
    result = subprocess.run(
        [
            "bash",
            str(IMAGE_BUILD / "build.sh"),
            "--dry-run",
            "--out",
            "rel-out",
            "--wheel-dir",
            str(kiosk_wheel_dir()),
            str(config),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == EXIT_OK, result.stderr
    assert pi_gen_settings(tmp_path / "rel-out", "STAGE_LIST")["STAGE_LIST"].endswith(
        f" {tmp_path}/rel-out/stage-kiosk"
    )


def test_out_folder_with_spaces_is_refused(tmp_path: Path) -> None:
    config = write_operator_files(tmp_path)
    result = run_build(config, tmp_path / "with space", wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_USAGE
    assert "must not contain spaces" in result.stderr


def _device_key(folder: Path, device: str) -> None:
    from backend.keys import KINDS, generate, write_key_files

    write_key_files(
        folder / "device.pem",
        folder / "device-public.pem",
        KINDS["device"],
        generate(KINDS["device"], "ed25519"),
        device=device,
    )


def test_a_device_key_signs_offline_receipts_and_its_public_half_comes_out(tmp_path: Path) -> None:
    _device_key(tmp_path, "kiosk-0042")
    config = write_operator_files(tmp_path, DEVICE_KEY_FILE="device.pem")
    out = tmp_path / "out"
    result = run_build(config, out, wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_OK, result.stderr
    laid = stage_file(out, "03-kiosk-config/files/device-key.pem")
    assert laid.read_bytes() == (tmp_path / "device.pem").read_bytes()
    assert stat.S_IMODE(laid.stat().st_mode) == 0o600
    kiosk_toml = stage_file(out, "03-kiosk-config/files/kiosk.toml")
    assert load_config(kiosk_toml).device_key == Path("/etc/xinyi-kiosk/device-key.pem")
    # The registry's copy: the public half only, for the service's device_keys.
    public = out / "kiosk-0042-device-public.pem"
    assert public.read_bytes() == (tmp_path / "device-public.pem").read_bytes()
    assert b"PRIVATE" not in public.read_bytes()
    assert b"PRIVATE" not in (stage_file(out, "03-kiosk-config/00-run.sh").read_bytes())


def test_a_device_key_of_another_device_or_without_its_public_half_is_refused(tmp_path: Path) -> None:
    _device_key(tmp_path, "kiosk-0043")
    config = write_operator_files(tmp_path, DEVICE_KEY_FILE="device.pem")
    result = run_build(config, tmp_path / "out", wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_INVALID_CONFIG and "names another device" in result.stderr
    (tmp_path / "device.pem").unlink()
    (tmp_path / "device-public.pem").unlink()
    _device_key(tmp_path, "kiosk-0042")
    (tmp_path / "device-public.pem").unlink()
    result = run_build(config, tmp_path / "out", wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_INVALID_CONFIG and "public half" in result.stderr
    (tmp_path / "device.pem").write_text(PRIVATE_PEM)
    result = run_build(config, tmp_path / "out", wheel_dir=kiosk_wheel_dir())
    assert result.returncode == EXIT_INVALID_CONFIG and "kiosk keys new" in result.stderr
    assert "PrivateBytes" not in result.stderr + result.stdout
