"""The config file is read strictly: every mistake names its key and nothing half-starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.common.policy_folder import load_catalog
from kiosk.station.config import ConfigError, load_config, resolve_config
from kiosk.station.site import resolve_site
from tests.support.paths import EXAMPLE_CONFIG as EXAMPLE_CONFIG_PATH


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_loads_and_resolves_paths_next_to_it() -> None:
    config = load_config(EXAMPLE_CONFIG_PATH)
    assert config.scanner.port == "/dev/xinyi-scanner"
    assert config.idcard.baud == 115200
    assert config.authority_keys[0].is_file(), "the example points at the shipped demo authority key"
    assert config.token_file == EXAMPLE_CONFIG_PATH.parent / "device-token"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("backend = 'http://x'", "backend"),
        ("backend_url = 'ftp://x'", "backend_url"),
        ("backend_url = 5", "backend_url"),
        ("locale = 'fr'", "locale"),
        ("offline_only = 'yes'", "offline_only"),
        ("max_bundle_age_hours = 0", "max_bundle_age_hours"),
        ("max_bundle_age_hours = true", "max_bundle_age_hours"),
        ("trust_files = ['', 'a.pem']", "trust_files"),
        ("[scanner]\nport = '/dev/x'\nspeed = 9600", "scanner.speed"),
        ("[scanner]\nbaud = 12345", "scanner.baud"),
        ("[idcard]\nport = ''", "idcard.port"),
        ("device_id = '   '", "device_id"),
        ("this is not toml", "(file)"),
        ("time_zone = 'Mars/Olympus'", "time_zone"),
        ("time_zone = '../../etc/passwd'", "time_zone"),
        ("counter_name = ''", "counter_name"),
        ("counter_name = {zh-CN = '3号窗口'}", "counter_name"),
        ("elder_view = 'yes'", "elder_view"),
    ],
)
def test_mistakes_name_their_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.key == key
    assert key in caught.value.detail
    assert caught.value.text.zh and caught.value.text.en


def test_site_settings_reach_the_screen(tmp_path: Path) -> None:
    defaults = resolve_site(load_config(None), load_catalog())
    assert defaults.time_zone == "Asia/Shanghai" and defaults.counter_name("en") == "the staffed counter"
    config = load_config(write(tmp_path, "time_zone = 'Europe/Berlin'\nelder_view = true\nspeak_results = true\n"
                                          "counter_name = {zh-CN = '3号窗口', en = 'Counter 3'}\n"))
    site = resolve_site(config, load_catalog())
    assert site.time_zone == "Europe/Berlin" and site.elder_view and site.speak_results
    assert site.counter_name("zh-CN") == "3号窗口" and site.counter_name("en") == "Counter 3"


def test_a_missing_file_and_a_binary_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(tmp_path / "absent.toml")
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError):
        load_config(binary)


def test_the_token_file_is_read_only_when_asked_and_must_not_be_empty(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "token_file = 'secret'"))
    with pytest.raises(ConfigError):
        config.device_token()
    (tmp_path / "secret").write_text("  \n", encoding="utf-8")
    with pytest.raises(ConfigError):
        config.device_token()
    (tmp_path / "secret").write_text("device-token-123\n", encoding="utf-8")
    assert config.device_token() == "device-token-123"


def test_options_beat_environment_beat_file(tmp_path: Path) -> None:
    path = write(tmp_path, "backend_url = 'http://file:1'\ndata_dir = 'data'")
    env = {"XINYI_CONFIG": str(path), "XINYI_BACKEND_URL": "http://env:2", "XINYI_DEVICE_TOKEN": "env-token"}
    from_env = resolve_config(environ=env)
    assert from_env.backend_url == "http://env:2"
    assert from_env.token == "env-token"
    assert from_env.data_dir == tmp_path / "data"
    from_option = resolve_config(backend_url="http://opt:3", token="opt", data_dir=tmp_path, environ=env)
    assert (from_option.backend_url, from_option.token, from_option.data_dir) == ("http://opt:3", "opt", tmp_path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_either_load_or_raise_config_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_bytes(raw)
    try:
        load_config(path)
    except ConfigError as error:
        assert error.text.en
