"""What a person types or points the kiosk at becomes one clear line (issue #18 items 8 and 9):
URLs with impossible ports or broken IPv6 literals from flag, environment or file; token files
that are not UTF-8 or not ASCII; deeply nested TOML; files that never end (/dev/zero)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.core.credentials import TrustKeyError
from kiosk.station.config import ConfigError, KioskConfig, load_config, resolve_config
from kiosk.station.offline import authority_keys, trust_store

REPO = Path(__file__).resolve().parents[2]
ENDLESS = r"not a regular file|larger than"
BAD_URLS = [
    "http://127.0.0.1:99999",
    "http://127.0.0.1:0",
    "http://127.0.0.1:-1",
    "http://[::1",
    "http://[zz::1]:8080",
    "http://[::1]:99999",
    "http://:8080",
    "http://exa mple.org",
    "http://例え.jp",
    "http://user:pw@127.0.0.1",
    "http://127.0.0.1/?q=1",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_backend_url_is_one_line_from_file_flag_and_environment(tmp_path: Path, url: str) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f"backend_url = {url!r}\n".replace("'", '"'), encoding="utf-8")
    errors = []
    for attempt in (
        lambda: load_config(config),
        lambda: resolve_config(None, backend_url=url, environ={}),
        lambda: resolve_config(None, environ={"XINYI_BACKEND_URL": url}),
    ):
        with pytest.raises(ConfigError) as caught:
            attempt()
        errors.append(caught.value.detail)
    assert all("\n" not in e for e in errors)
    assert errors[1].startswith("--backend") and errors[2].startswith("environment: XINYI_BACKEND_URL")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "https://[::1]:8443/base", "http://kiosk-backend.local"])
def test_good_backend_urls_pass(url: str) -> None:
    assert resolve_config(None, backend_url=url, environ={}).backend_url == url


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe t\x00o\x00k\x00", "not UTF-8"),
        ("tökén".encode(), "visible ASCII"),
        (b"tok en", "visible ASCII"),
        (b"tok\x1ben", "visible ASCII"),
        (b"x" * 5000, "larger than"),
        (b"  \n", "empty"),
    ],
)
def test_a_bad_token_file_is_one_line(tmp_path: Path, content: bytes, needle: str) -> None:
    token = tmp_path / "device-token"
    token.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        KioskConfig(token_file=token).device_token()
    assert needle in caught.value.detail and caught.value.key == "token_file"


def test_a_non_ascii_token_from_the_flag_or_environment_is_one_line() -> None:
    with pytest.raises(ConfigError, match="visible ASCII"):
        resolve_config(None, token="令牌", environ={})
    with pytest.raises(ConfigError, match="XINYI_DEVICE_TOKEN"):
        resolve_config(None, environ={"XINYI_DEVICE_TOKEN": "tok\nen"})


@pytest.mark.parametrize("depth", [5000, 50_000])
def test_deeply_nested_toml_is_one_line(tmp_path: Path, depth: int) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("trust_files = " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"too deeply|larger than"):
        load_config(config)


@pytest.mark.parametrize("key", ["data_dir", "token_file", "device_id"])
def test_a_nul_in_a_setting_is_one_line(tmp_path: Path, key: str) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'{key} = "a\\u0000b"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="NUL"):
        load_config(config)


def test_endless_files_are_refused_after_their_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (64 * 1024 + 1))
    with pytest.raises(ConfigError, match="larger than"):
        load_config(big)
    zero = Path("/dev/zero")
    with pytest.raises(ConfigError, match=ENDLESS):
        load_config(zero)
    with pytest.raises(ConfigError, match=ENDLESS):
        KioskConfig(token_file=zero).device_token()
    with pytest.raises(TrustKeyError, match=ENDLESS):
        authority_keys([zero])
    with pytest.raises(TrustKeyError, match=ENDLESS):
        trust_store([zero])


def _kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("XINYI_")}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=60, env={**clean, "XINYI_CONFIG": "", **(env or {})})


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["check", "--benefit", "expedited-permit", "--scan", "91110000600037341L", "--config", "/dev/zero"], {}),
        (["sync", "--config", "/dev/zero"], {}),
        (["check", "--benefit", "expedited-permit", "--scan", "91110000600037341L",
          "--backend", "http://127.0.0.1:99999"], {}),
        (["check", "--benefit", "expedited-permit", "--scan", "91110000600037341L"],
         {"XINYI_BACKEND_URL": "http://[::1"}),
        (["sync", "--backend", "http://[::1", "--authority", "/dev/null"], {}),
        (["check", "--benefit", "expedited-permit", "--scan", "91110000600037341L", "--token", "令牌"], {}),
    ],
)
def test_the_commands_say_it_in_one_line_and_exit_2(args: list[str], env: dict[str, str]) -> None:
    result = _kiosk(*args, env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
