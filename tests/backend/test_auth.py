"""Device tokens at rest (salted HMAC), and the config file outside demo mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.auth import (
    DeviceCredential,
    DeviceRegistry,
    DeviceTokensError,
    read_tokens_file,
    write_tokens_file,
)
from backend.cli import main as backend_main
from backend.settings import BackendConfigError, load_settings
from demo.records import demo_subjects, write_demo_database
from tests.support.backend import AUTH, check_body, loopback_client, running_server


def test_the_registry_names_the_device_a_token_belongs_to() -> None:
    registry = DeviceRegistry(
        [DeviceCredential.from_token("kiosk-1", "alpha"), DeviceCredential.from_token("kiosk-2", "beta")]
    )
    assert registry.device_for("Bearer alpha") == "kiosk-1"
    assert registry.device_for("bearer beta") == "kiosk-2"
    for header in (None, "", "Bearer", "Bearer gamma", "alpha", "Basic alpha", "Bearer alphaa",
                   "Bearer " + "a" * 10_000):
        assert registry.device_for(header) is None


def test_equal_tokens_on_two_devices_do_not_show_at_rest() -> None:
    one, two = DeviceCredential.from_token("a", "same"), DeviceCredential.from_token("b", "same")
    assert one.salt != two.salt and one.digest != two.digest


def test_the_tokens_file_round_trips_and_never_holds_a_token(tmp_path: Path) -> None:
    path = tmp_path / "devices.json"
    write_tokens_file(path, [DeviceCredential.from_token("kiosk-0042", "s3cret-token-value")])
    assert "s3cret" not in path.read_text()
    assert path.stat().st_mode & 0o077 == 0
    registry = DeviceRegistry(read_tokens_file(path))
    assert registry.device_for("Bearer s3cret-token-value") == "kiosk-0042"


_SALT, _HASH = "0" * 32, "0" * 64
_ENTRY = '{"device": "k", "token_id": "' + "a" * 16 + '", "salt": "' + _SALT + '", "hmac_sha256": "' + _HASH + '"}'


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"devices": {}}',
        '{"devices": [], "extra": 1}',
        '{"devices": [{"device": "k", "salt": "00"}]}',
        '{"devices": [' + _ENTRY.replace(_SALT, "00") + "]}",
        '{"devices": [' + _ENTRY.replace(_HASH, "zz") + "]}",
        '{"devices": [' + _ENTRY.replace('"k"', '"bad id!"') + "]}",
        '{"devices": [' + _ENTRY + ", " + _ENTRY + "]}",
        '{"devices": [' + _ENTRY.replace("a" * 16, "A" * 16) + "]}",
        '{"devices": [' + _ENTRY.replace('"k"', '"k1"') + ", " + _ENTRY.replace('"k"', '"k2"') + "]}",
        '{"devices": [' + "[" * 5000 + "]" * 5000 + "]}",
    ],
)
def test_a_faulty_tokens_file_is_refused_by_name(tmp_path: Path, content: str) -> None:
    path = tmp_path / "devices.json"
    path.write_text(content)
    with pytest.raises(DeviceTokensError) as caught:
        read_tokens_file(path)
    assert "devices.json" in caught.value.detail
    assert caught.value.text.en


def _config(tmp_path: Path, extra: str = "") -> Path:
    write_demo_database(tmp_path / "records.sqlite3")
    assert backend_main(["keys", "new", "--kind", "authority", "--out", str(tmp_path / "authority")]) == 0
    config = tmp_path / "backend.toml"
    config.write_text(
        f'db = "records.sqlite3"\ndevice_tokens = "devices.json"\nauthority_key = "authority-private.pem"\n{extra}'
    )
    return config


@pytest.mark.parametrize("preload", [True, False], ids=["preloaded", "sqlite-per-request"])
def test_device_token_command_and_config_file_run_a_real_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], preload: bool
) -> None:
    tokens = tmp_path / "devices.json"
    assert backend_main(["device-token", "issue", "--device", "kiosk-0042", "--tokens", str(tokens)]) == 0
    issued = capsys.readouterr().out.strip()
    assert len(issued) >= 40 and issued not in tokens.read_text()
    assert backend_main(["device-token", "issue", "--device", "kiosk-0043", "--tokens", str(tokens)]) == 0
    capsys.readouterr()
    assert [c.device for c in read_tokens_file(tokens)] == ["kiosk-0042", "kiosk-0043"]
    extra = f"rate_per_second = 50\nrate_burst = 1000\nlog_requests = false\npreload_records = {str(preload).lower()}\n"
    settings = load_settings(_config(tmp_path, extra))
    assert settings.preload_records is preload
    with running_server(settings) as url, loopback_client(url) as http:
        for subject in [s for s in demo_subjects() if s.expected][::9]:
            for benefit, outcome in subject.expected.items():
                body = check_body(subject, benefit)
                body["device"] = "kiosk-0042"
                ok = http.post(
                    "/v1/eligibility", json=body, headers={"Authorization": f"Bearer {issued}"}
                )
                assert ok.status_code == 200, ok.text
                assert ok.json()["outcome"] == outcome
        assert http.post("/v1/eligibility", json=body, headers=AUTH).status_code == 401


def test_device_token_refuses_a_bad_device_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert backend_main(["device-token", "issue", "--device", "no spaces", "--tokens", str(tmp_path / "d.json")]) == 2
    assert not (tmp_path / "d.json").exists()


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ('device_tokens = "devices.json"\n', "db"),
        ('db = "records.sqlite3"\n', "device_tokens"),
        ('db = "records.sqlite3"\ndevice_tokens = "devices.json"\nport = "80"\n', "port"),
        ('db = "records.sqlite3"\ndevice_tokens = "devices.json"\nlog_requests = 1\n', "log_requests"),
        ('db = "records.sqlite3"\ndevice_tokens = "devices.json"\ncolour = "red"\n', "colour"),
        ('db = "missing.sqlite3"\ndevice_tokens = "devices.json"\n', "db"),
        ('db = "records.sqlite3"\ndevice_tokens = "devices.json"\nrate_burst = 0\n', "rate_burst"),
        ("db = [\n", "(file)"),
    ],
)
def test_a_faulty_config_names_the_key(tmp_path: Path, content: str, key: str) -> None:
    write_demo_database(tmp_path / "records.sqlite3")
    write_tokens_file(tmp_path / "devices.json", [DeviceCredential.from_token("k", "t")])
    config = tmp_path / "backend.toml"
    config.write_text(content)
    with pytest.raises(BackendConfigError) as caught:
        load_settings(config)
    assert f": {key}:" in caught.value.detail
